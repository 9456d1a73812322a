/**
 * Runtime honesty: every futures command run for real (in-process, on a small lake the simulator fills,
 * with a manual clock) prints --json documents that the committed schema files accept, checked with ajv
 * as a consumer would. `futures demo` takes minutes: its document is checked here from a captured run (signals
 * computed in memory) and in test/docs from a real one.
 */
import { readdirSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { z } from 'zod';
import { runProgram } from '../../../src/cli/program.js';
import { futuresGatewayCommand } from '../../../src/commands/futures/gateway.js';
import { FUTURES_DOCUMENT_SCHEMAS } from '../../../src/commands/schemas/index.js';
import { etWallTime } from '../../../src/market/zoned.js';
import { computePremarket, computeRegime } from '../../../src/signals/index.js';
import { referenceInstant } from '../../../src/signals/sessions.js';
import { harness, TUESDAY_10_ET } from '../../app/collect/helpers.js';
import { testCtx } from '../../helpers/ctx.js';
import { compileAll, schemaErrors } from '../../helpers/schemas.js';
import { flat, premarketInputs, regimeInputs } from '../../signals/fixtures.js';
import capturedDemo from './fixtures/demo-captured.json' with { type: 'json' };

type Schemas = typeof FUTURES_DOCUMENT_SCHEMAS;

interface Printed {
  command: string;
  code: number;
  doc: { schema?: unknown };
}

function parquetFiles(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.parquet') && !f.includes('_delta_log'))
    .map((f) => join(dir, f));
}

async function gatewayDocument(): Promise<Printed> {
  const controller = new AbortController();
  controller.abort();
  const ctx = testCtx({ signal: controller.signal });
  const spec = { name: 'futures' as const, description: 'test', commands: [futuresGatewayCommand] };
  const code = await runProgram(spec, ['gateway', '--port', '0', '--json'], ctx);
  return { command: 'gateway', code, doc: JSON.parse(ctx.stdout.text()) };
}

describe('the --json documents of a real run match the committed schemas', () => {
  it('every schema file compiles under ajv strict mode', () => {
    expect(compileAll().length).toBeGreaterThan(Object.keys(FUTURES_DOCUMENT_SCHEMAS).length);
  });

  it('the demo document: captured from a run, with signal documents computed as the demo does', () => {
    const at = etWallTime('2025-06-11', 11, 0);
    const signals = JSON.parse(
      JSON.stringify({
        premarket: computePremarket(premarketInputs({ z: { ES: 1, NQ: 1, RTY: 1 } })),
        regime: computeRegime(
          regimeInputs(at, referenceInstant('2025-06-10', false), { ES: { minutes: flat(241) } }),
        ),
      }),
    );
    const demo = { ...capturedDemo, signals };
    expect(schemaErrors(demo)).toEqual([]);
    expect(schemaErrors({ ...demo, signals: { ...signals, regime: null } })).not.toEqual([]);
    expect(schemaErrors({ ...demo, scenario: 'storm' })).not.toEqual([]);
  });

  it('every futures command but demo, and the error document', async () => {
    const h = await harness(TUESDAY_10_ET, { config: { collect: { firstRunLookbackSeconds: 0 } } });
    const printed: Printed[] = [];
    const run = async (args: string[]) => {
      const r = await h.run([...args, '--json']);
      printed.push({ command: args.join(' '), code: r.code, doc: JSON.parse(r.stdout) });
    };
    const lake = join(h.dataDir, 'lake');

    await run(['collect', '--once', '--symbols', 'ES,NQ']);
    h.clock.advance(2 * 60_000);
    await run(['collect', '--once', '--symbols', 'ES,NQ']);
    await run(['backfill', '--symbols', 'ES', '--days', '3', '--bar', '1day']);
    await run(['status', '--max-age', '5m']);
    await run(['calendar', '--from', '2026-09-04', '--to', '2026-09-08']);
    await run(['calendar', 'is-open']);
    await run(['calendar', 'is-open', '--at', '2026-09-07T12:00:00-04:00']);
    const csv = join(h.dir, 'bars.csv');
    writeFileSync(csv, 'ts,close\n2026-03-10 09:30:00,5000\n2026-03-10 09:31:00,oops\n');
    await run(['import', csv, '--symbol', 'ES', '--tz', 'America/New_York', '--skip-bad']);
    for (const sub of ['info', 'history', 'verify', 'files']) await run(['table', sub, 'futures_snapshots']);
    await run(['table', 'scan', 'futures_snapshots', '--limit', '3']);
    await run(['table', 'verify', 'futures_snapshots', '--deep']);
    await run(['table', 'files', 'futures_snapshots', '--format', 'duckdb']);
    await run(['table', 'manifest', 'futures_snapshots', '--enable']);
    await run(['compact']);
    await run(['compact', 'futures_snapshots', '--vacuum', '--retain', '0s', '--force-retention']);
    await run(['queue', 'rebuild', '--force']);
    // A data file renamed: verify reports it missing, repair adds the renamed file in its place.
    const moved = parquetFiles(join(lake, 'futures_bars'))[0] as string;
    renameSync(moved, join(dirname(moved), 'part-renamed.parquet'));
    await run(['table', 'verify', 'futures_bars']);
    await run(['table', 'repair', 'futures_bars', '--apply']);
    await run(['table', 'info', 'no_such_table']);
    await run(['completion', 'bash']);
    await run(['report', '--html', join(h.dir, 'report.html')]);
    printed.push(await gatewayDocument());

    const expected = [
      ['collect --once --symbols ES,NQ', 'futures.collect/v1'],
      ['backfill --symbols ES --days 3 --bar 1day', 'futures.backfill/v1'],
      ['status --max-age 5m', 'futures.status/v3'],
      ['calendar --from 2026-09-04 --to 2026-09-08', 'futures.calendar/v1'],
      ['calendar is-open', 'futures.calendar.is-open/v1'],
      ['import', 'futures.import/v1'],
      ['table info futures_snapshots', 'futures.table.info/v1'],
      ['table history futures_snapshots', 'futures.table.history/v1'],
      ['table verify futures_snapshots', 'futures.table.verify/v1'],
      ['table files futures_snapshots', 'futures.table.files/v1'],
      ['table scan futures_snapshots --limit 3', 'futures.table.scan/v1'],
      ['table manifest futures_snapshots --enable', 'futures.table.manifest/v1'],
      ['compact', 'futures.compact/v1'],
      ['queue rebuild --force', 'futures.queue.rebuild/v1'],
      ['table repair futures_bars --apply', 'futures.table.repair/v1'],
      ['table info no_such_table', 'error/v1'],
      ['completion bash', 'futures.completion/v1'],
      ['report --html', 'futures.report/v1'],
      ['gateway', 'futures.gateway/v1'],
    ] as const;
    for (const [prefix, id] of expected) {
      const p = printed.find((x) => x.command.startsWith(prefix));
      expect(p?.doc.schema, prefix).toBe(id);
    }
    for (const p of printed) {
      expect({ command: p.command, code: p.code, errors: schemaErrors(p.doc) }).toEqual({
        command: p.command,
        code: p.doc.schema === 'error/v1' ? expect.any(Number) : p.code,
        errors: [],
      });
    }
    // Every futures document but the demo's and the dashboard's (it serves until stopped: its document is
    // checked in test/app/dashboard/api.test.ts) was printed and accepted.
    const seen = new Set(printed.map((p) => p.doc.schema));
    expect(Object.keys(FUTURES_DOCUMENT_SCHEMAS).filter((id) => !seen.has(id))).toEqual([
      'futures.dashboard/v1',
      'futures.demo/v1',
    ]);
    // The documents exercise the optional parts of their schemas, not only the empty cases.
    const doc = <Id extends keyof Schemas>(prefix: string, _id: Id) =>
      printed.find((p) => p.command.startsWith(prefix))?.doc as z.infer<Schemas[Id]>;
    expect(doc('import', 'futures.import/v1').badRows.length).toBe(1);
    expect(doc('table verify futures_bars', 'futures.table.verify/v1').problems.length).toBeGreaterThan(0);
    expect(doc('table repair futures_bars', 'futures.table.repair/v1').steps.length).toBeGreaterThan(0);
    expect(doc('compact futures_snapshots --vacuum', 'futures.compact/v1').tables[0]?.vacuum).not.toBeNull();
    expect(doc('table files futures_snapshots --format', 'futures.table.files/v1').statement).not.toBeNull();
    expect(doc('table scan', 'futures.table.scan/v1').rows.length).toBe(3);
    // And the schemas are strict: an unknown key or a malformed instant is refused.
    const status = doc('status', 'futures.status/v3');
    expect(schemaErrors({ ...status, extra: 1 })).not.toEqual([]);
    expect(schemaErrors({ ...status, now: 'yesterday' })).not.toEqual([]);
  }, 300_000);
});
