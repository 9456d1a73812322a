import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runBin } from '../../helpers/bin.js';
import { tempDir } from '../../lake/inputs/fixtures.js';
import { buildSignalLake } from './lake-fixture.js';

/** The built binary (dist/): exit codes and the JSON error document as cron and the decision engine see them. */
let crash: string;
let empty: string;
const cleanups: Array<() => Promise<void>> = [];
beforeAll(async () => {
  const a = await tempDir('sig-bin-crash-');
  const b = await tempDir('sig-bin-empty-');
  cleanups.push(a.cleanup, b.cleanup);
  crash = a.dir;
  empty = b.dir;
  await buildSignalLake(crash, { crash: true });
}, 120_000);
afterAll(async () => {
  for (const c of cleanups) await c();
});

describe('signals (built binary)', () => {
  it('exits 0 with one document, 10 at the --fail-on level, 2 on an unknown symbol, 6 on an empty lake', async () => {
    const ok = await runBin('signals', [
      'premarket',
      '--json',
      '--data-dir',
      crash,
      '--as-of',
      '2026-03-10 09:25',
    ]);
    expect(ok.exitCode).toBe(0);
    expect(JSON.parse(ok.stdout).schema).toBe('signals.premarket/v3');

    const alert = await runBin('signals', [
      'regime',
      '--json',
      '--data-dir',
      crash,
      '--as-of',
      '2026-03-10T07:00:00-04:00',
      '--fail-on',
      'warning',
    ]);
    expect(alert.exitCode).toBe(10);
    expect(JSON.parse(alert.stdout)).toMatchObject({ schema: 'signals.regime/v3', level: 'critical' });

    const usage = await runBin('signals', ['regime', '--symbols', 'ES,SPX', '--data-dir', crash]);
    expect(usage.exitCode).toBe(2);
    expect(usage.stderr).toContain("unknown symbol 'SPX'");

    const none = await runBin('signals', ['regime', '--json', '--data-dir', empty]);
    expect(none.exitCode).toBe(6);
    expect(JSON.parse(none.stdout)).toMatchObject({
      schema: 'error/v1',
      error: { code: 'stale', exitCode: 6 },
    });
  }, 120_000);
});
