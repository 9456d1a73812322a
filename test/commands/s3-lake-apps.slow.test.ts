/**
 * The lake's readers and importer on a lake in an S3 bucket (Ceph radosgw) answer as on a local lake:
 * the same fixtures written to both, then `futures import` of one CSV into each, `signals evaluate`,
 * the dashboard's JSON endpoints and `futures report --html`, whose documents must match once the
 * lake's location and anything timed are set aside.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { runProgram } from '../../src/cli/program.js';
import { futuresCommands } from '../../src/commands/futures/index.js';
import { signalsCommands } from '../../src/commands/signals/index.js';
import { useLakeUri } from '../../src/lake/index.js';
import { startDashboard } from '../app/dashboard/harness.js';
import { buildScorecardLake } from '../app/evaluate/scorecard-fixture.js';
import { describeS3, freshBucket, useS3 } from '../delta/s3/helpers.js';
import { testCtx } from '../helpers/ctx.js';
import { buildSignalLake } from './signals/lake-fixture.js';

const futures = { name: 'futures' as const, description: 'futures', commands: futuresCommands };
const signals = { name: 'signals' as const, description: 'signals', commands: signalsCommands };
/** 11:00 ET on the signal fixture's last session. */
const MARCH = new Date('2026-03-10T16:00:00Z');
/** After the scorecard fixture's last session. */
const DECEMBER = new Date('2026-12-07T16:00:00Z');

/** A document with the lake's location and anything timed or sized replaced, so two lakes' answers compare. */
function comparable(doc: unknown, lake: string, dataDir: string): unknown {
  const scrub = (value: unknown): unknown => {
    if (typeof value === 'string') return value.split(lake).join('<lake>').split(dataDir).join('<dataDir>');
    if (Array.isArray(value)) return value.map(scrub);
    if (value && typeof value === 'object') {
      return Object.fromEntries(
        Object.entries(value)
          .filter(
            ([k]) => !/(duration|elapsed|Ms$|timestamp|modificationTime|commitAt|cache|bytes|size)/i.test(k),
          )
          .map(([k, v]) => [k, scrub(v)]),
      );
    }
    return value;
  };
  return scrub(doc);
}

/** The documents a `futures report --html` file carries. */
function reportDocuments(html: string): unknown {
  const m = /<script id="dashboard-data" type="application\/json">([\s\S]*?)<\/script>/.exec(html);
  if (!m) throw new Error('the report carries no dashboard-data');
  return JSON.parse(m[1] as string);
}

/** One-minute ES bars of 2026-03-11 (after both fixtures' snapshots), one a minute from 09:30 ET. */
function barsCsv(): string {
  const lines = ['ts,open,high,low,close,volume'];
  for (let i = 0; i < 90; i++) {
    const t = new Date(Date.parse('2026-03-11T13:30:00Z') + i * 60_000).toISOString();
    const close = 6000 + Math.sin(i / 7) * 12 + i * 0.25;
    lines.push(`${t},${close - 0.5},${close + 1.25},${close - 1.5},${close},${100 + i}`);
  }
  return `${lines.join('\n')}\n`;
}

describeS3('import, evaluate, the dashboard and the report on an S3 lake (radosgw)', (env) => {
  let local: string;
  let remote: string;
  let uri: string;
  let inputs: string;
  let csv: string;
  const remoteEnv = () => ({ NO_COLOR: '1', FUTURES_LAKE_URI: uri, FUTURES_S3_ENDPOINT: env.endpoint });

  beforeAll(async () => {
    local = await mkdtemp(join(tmpdir(), 's3-apps-local-'));
    remote = await mkdtemp(join(tmpdir(), 's3-apps-remote-'));
    inputs = await mkdtemp(join(tmpdir(), 's3-apps-inputs-'));
    csv = join(inputs, 'es-1min.csv');
    await writeFile(csv, barsCsv());
    useS3(env, join(remote, 'cache'));
    uri = `s3://${await freshBucket(env, 'lake-apps')}/prod/lake`;
    for (const dir of [local, remote]) {
      if (dir === remote) useLakeUri(remote, uri);
      await buildSignalLake(dir);
      await buildScorecardLake(dir);
    }
  }, 300_000);
  afterAll(async () => {
    await rm(local, { recursive: true, force: true });
    await rm(remote, { recursive: true, force: true });
    await rm(inputs, { recursive: true, force: true });
  });

  async function both(spec: typeof futures | typeof signals, args: string[], now: Date) {
    const run = async (dataDir: string, runEnv: Record<string, string>, lake: string) => {
      const ctx = testCtx({ cwd: dataDir, now: () => now, env: runEnv });
      const code = await runProgram(spec, [...args, '--json', '--data-dir', dataDir], ctx);
      expect(code, `${args.join(' ')}: ${ctx.stderr.text()}`).toBe(0);
      return comparable(JSON.parse(ctx.stdout.text()), lake, dataDir);
    };
    const fromDisk = await run(local, { NO_COLOR: '1' }, join(local, 'lake'));
    const fromStore = await run(remote, remoteEnv(), uri);
    return { fromDisk, fromStore };
  }

  it('futures import appends a CSV to the bucket as to the disk, and a second import adds nothing', async () => {
    const args = ['import', csv, '--symbol', 'ES', '--bar-size', '1 min'];
    const first = await both(futures, args, DECEMBER);
    expect(first.fromStore).toEqual(first.fromDisk);
    expect(first.fromStore).toMatchObject({ newRows: 90 });
    const again = await both(futures, args, DECEMBER);
    expect(again.fromStore).toEqual(again.fromDisk);
    expect(again.fromStore).toMatchObject({ newRows: 0 });
    const scan = ['table', 'scan', 'futures_bars', '--where', "trade_date = '2026-03-11'", '--order', 'ts'];
    const rows = await both(futures, scan, DECEMBER);
    expect(rows.fromStore).toEqual(rows.fromDisk);
    expect(JSON.stringify(rows.fromStore)).toContain('2026-03-11T14:59:00');
  }, 120_000);

  it('signals evaluate grades the same sessions from the bucket as from the disk', async () => {
    const args = ['evaluate', '--from', '2026-10-26', '--to', '2026-11-27', '--symbols', 'ES'];
    const { fromDisk, fromStore } = await both(signals, args, DECEMBER);
    expect(fromStore).toEqual(fromDisk);
    expect(fromStore).toMatchObject({ schema: 'signals.evaluate/v1', window: { sessions: 24 } });
  }, 180_000);

  it("the dashboard's endpoints serve the same documents from the bucket as from the disk", async () => {
    const paths = [
      'api/status',
      'api/premarket?date=2026-03-10',
      'api/regime?date=2026-03-10',
      'api/series?date=2026-03-10',
      'api/timeline?date=2026-03-10',
      'api/coverage?date=2026-03-10',
      'api/premarket',
    ];
    const serve = async (dataDir: string, runEnv: Record<string, string>, lake: string) => {
      const dashboard = await startDashboard(dataDir, MARCH, [], runEnv);
      try {
        const docs: Record<string, unknown> = {};
        for (const path of paths) {
          const res = await fetch(new URL(path, dashboard.url));
          docs[path] = { status: res.status, body: comparable(await res.json(), lake, dataDir) };
        }
        return docs;
      } finally {
        const stopped = await dashboard.stop();
        expect(stopped.code, stopped.stderr).toBe(0);
      }
    };
    const fromDisk = await serve(local, { NO_COLOR: '1' }, join(local, 'lake'));
    const fromStore = await serve(remote, remoteEnv(), uri);
    for (const path of paths) {
      expect(fromStore[path], path).toEqual(fromDisk[path]);
      expect(fromStore[path], path).toMatchObject({ status: 200 });
    }
  }, 180_000);

  it('futures report --html writes the same documents from the bucket as from the disk', async () => {
    const args = ['report', '--date', '2026-03-10'];
    const report = async (dataDir: string, runEnv: Record<string, string>, lake: string) => {
      const file = join(dataDir, 'report.html');
      const ctx = testCtx({ cwd: dataDir, now: () => MARCH, env: runEnv });
      const code = await runProgram(futures, [...args, '--html', file, '--json', '--data-dir', dataDir], ctx);
      expect(code, ctx.stderr.text()).toBe(0);
      expect(JSON.parse(ctx.stdout.text())).toMatchObject({ errors: [] });
      return comparable(reportDocuments(await readFile(file, 'utf8')), lake, dataDir);
    };
    const fromDisk = await report(local, { NO_COLOR: '1' }, join(local, 'lake'));
    const fromStore = await report(remote, remoteEnv(), uri);
    expect(fromStore).toEqual(fromDisk);
    expect(JSON.stringify(fromStore)).toContain('futures.status/');
  }, 180_000);
});
