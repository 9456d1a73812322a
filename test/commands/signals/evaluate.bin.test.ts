/** `signals evaluate` through the built binary (dist/): the JSON document, the piped table, exit codes. */
import { readFileSync } from 'node:fs';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { evaluateDocumentSchema } from '../../../src/signals/scorecard-schema.js';
import { buildScorecardLake, CRASH_DAY } from '../../app/evaluate/scorecard-fixture.js';
import { ROOT, runBin } from '../../helpers/bin.js';
import { tempDir } from '../../lake/inputs/fixtures.js';

let lake: string;
let empty: string;
const cleanups: Array<() => Promise<void>> = [];
beforeAll(async () => {
  const a = await tempDir('sig-eval-');
  const b = await tempDir('sig-eval-empty-');
  cleanups.push(a.cleanup, b.cleanup);
  lake = a.dir;
  empty = b.dir;
  await buildScorecardLake(lake);
}, 120_000);
afterAll(async () => {
  for (const c of cleanups) await c();
});

const RANGE = ['--from', '2026-10-26', '--to', '2026-11-27', '--symbols', 'ES'];

describe('signals evaluate (built binary)', () => {
  it('prints one signals.evaluate/v1 document that its JSON Schema describes', async () => {
    const r = await runBin('signals', ['evaluate', ...RANGE, '--json', '--data-dir', lake]);
    expect(r.stderr).toBe('');
    expect(r.exitCode).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(evaluateDocumentSchema.parse(doc)).toEqual(doc);
    const jsonSchema = JSON.parse(readFileSync(`${ROOT}schemas/signals.evaluate.v1.json`, 'utf8'));
    expect(jsonSchema.properties.schema).toMatchObject({ const: 'signals.evaluate/v1' });
    const ajv = new Ajv2020({ allErrors: true, strict: false });
    addFormats.default(ajv);
    const validate = ajv.compile(jsonSchema);
    expect(validate(doc), JSON.stringify(validate.errors)).toBe(true);
    expect(validate({ ...doc, window: { ...doc.window, sessions: -1 } })).toBe(false);
    expect(doc.window).toMatchObject({ from: '2026-10-26', to: '2026-11-27', sessions: 24, reference: 'ES' });
    expect(doc.earlyWarning.drawdowns.map((d: { session: string }) => d.session)).toEqual([CRASH_DAY]);
  }, 120_000);

  it('prints tab-separated rows when piped', async () => {
    const r = await runBin('signals', ['evaluate', ...RANGE, '--data-dir', lake]);
    expect(r.exitCode).toBe(0);
    const rows = r.stdout
      .trim()
      .split('\n')
      .map((l) => l.split('\t'));
    expect(rows.some((row) => row[0] === 'band' && row[1] === 'ge_t3' && row[2] === 'naive')).toBe(true);
    expect(rows.find((row) => row[0] === 'drawdown')?.[1]).toBe(CRASH_DAY);
    expect(rows.filter((row) => row[0] === 'reason').length).toBeGreaterThanOrEqual(3);
  }, 120_000);

  it('exits 2 on a call after the open, a range in the future or too long, 6 on an empty lake', async () => {
    const late = await runBin('signals', ['evaluate', ...RANGE, '--at', '09:45', '--data-dir', lake]);
    expect(late.exitCode).toBe(2);
    expect(late.stderr).toContain('--at 09:45');
    const future = await runBin('signals', ['evaluate', '--from', '2099-01-05', '--to', '2099-01-09']);
    expect(future.exitCode).toBe(2);
    const long = await runBin('signals', [
      'evaluate',
      '--from',
      '2015-01-02',
      '--to',
      '2025-12-31',
      '--data-dir',
      lake,
    ]);
    expect(long.exitCode).toBe(2);
    expect(long.stderr).toContain('at most 520');
    const none = await runBin('signals', ['evaluate', ...RANGE, '--json', '--data-dir', empty]);
    expect(none.exitCode).toBe(6);
    expect(JSON.parse(none.stdout)).toMatchObject({ schema: 'error/v1', error: { code: 'stale' } });
  }, 120_000);
});
