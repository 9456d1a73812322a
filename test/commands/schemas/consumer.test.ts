/**
 * examples/consumer.mjs as a decision engine runs it: real documents and replays of the `signals`
 * commands (on the crash fixture lake, so replays hold documents and skip records) piped into it.
 */
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT } from '../../helpers/bin.js';
import { tempDir } from '../../lake/inputs/fixtures.js';
import { buildSignalLake, runSignals } from '../signals/lake-fixture.js';

let lake: string;
let cleanup: () => Promise<void> = async () => {};
beforeAll(async () => {
  const t = await tempDir('consumer-');
  lake = t.dir;
  cleanup = t.cleanup;
  await buildSignalLake(lake, { crash: true });
}, 120_000);
afterAll(() => cleanup());

async function consume(input: string) {
  const r = await execa(process.execPath, [`${ROOT}examples/consumer.mjs`], { input, reject: false });
  return { code: r.exitCode, stdout: String(r.stdout), stderr: String(r.stderr) };
}

async function signals(args: string[]): Promise<string> {
  const r = await runSignals([...args, '--data-dir', lake]);
  expect(r.code, r.stderr).toBe(0);
  return r.stdout;
}

describe('examples/consumer.mjs', () => {
  it('accepts every line of a premarket replay, skip records included (exit 0)', async () => {
    const replay = await signals(['premarket', '--from', '2026-03-02', '--to', '2026-03-10']);
    const lines = replay.trim().split('\n');
    expect(lines.some((l) => l.includes('"signals.replay-skip/v1"'))).toBe(true);
    expect(lines.some((l) => l.includes('"signals.premarket/v3"'))).toBe(true);
    const r = await consume(replay);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout.trim().split('\n').length).toBe(lines.length);
    expect(r.stdout).toMatch(/skipped \(stale: /);
    expect(r.stdout).toMatch(/^premarket 2026-03-10T13:25:00\.000Z: /m);
  });

  it('accepts every line of a regime replay (exit 0)', async () => {
    const replay = await signals(['regime', '--from', '2026-03-10', '--to', '2026-03-10', '--every', '30m']);
    const r = await consume(replay);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout.trim().split('\n').length).toBe(replay.trim().split('\n').length);
    expect(r.stdout).toMatch(/^regime .*: critical/m);
  });

  it('accepts one document of either signal and of a futures command', async () => {
    const premarket = await signals(['premarket', '--json', '--as-of', '2026-03-10 09:25']);
    expect(await consume(premarket)).toMatchObject({
      code: 0,
      stderr: '',
      stdout: expect.stringMatching(/^premarket /),
    });
    const regime = await signals(['regime', '--json', '--as-of', '2026-03-10 07:00']);
    expect(await consume(regime)).toMatchObject({
      code: 0,
      stderr: '',
      stdout: expect.stringMatching(/^regime /),
    });
    const calendar = JSON.stringify({
      schema: 'futures.calendar.is-open/v1',
      at: '2026-03-10T09:25:00-04:00',
      open: true,
      reason: 'open',
      tradeDate: '2026-03-10',
      segment: 'overnight',
      nextOpen: null,
      closesAt: '2026-03-10T17:00:00-04:00',
      note: null,
    });
    expect(await consume(calendar)).toMatchObject({
      code: 0,
      stdout: 'futures.calendar.is-open/v1: valid',
    });
  });

  it('exits 3 on an error document, 4 on an invalid or unknown one, 2 on no input', async () => {
    const failed = await runSignals(['premarket', '--json', '--data-dir', `${lake}/nothing-here`]);
    expect(failed.code).not.toBe(0);
    expect(await consume(failed.stdout)).toMatchObject({
      code: 3,
      stdout: expect.stringMatching(/^error: /),
    });

    const premarket = JSON.parse(await signals(['premarket', '--json', '--as-of', '2026-03-10 09:25']));
    const invalid = await consume(
      JSON.stringify({ ...premarket, decision: { ...premarket.decision, bias: 'up' } }),
    );
    expect(invalid.code).toBe(4);
    expect(invalid.stderr).toContain('/decision/bias must be equal to one of the allowed values');

    const skip = {
      schema: 'signals.replay-skip/v1',
      kind: 'premarket',
      asOf: '2026-03-09T13:25:00.000Z',
      error: { code: 'stale', message: 'no usable index', hint: null, exitCode: 6 },
    };
    const lines = [premarket, skip, { schema: skip.schema, kind: 'premarket' }].map((d) => JSON.stringify(d));
    const r = await consume(`${lines.join('\n')}\n`);
    expect(r.code).toBe(4);
    expect(r.stdout.split('\n').length).toBe(2);
    expect(r.stderr).toMatch(/^consumer: line 3: signals\.replay-skip\/v1 document is invalid/);

    expect((await consume('{"schema":"futures.nope/v1"}')).code).toBe(4);
    expect((await consume('')).code).toBe(2);
  });
});
