import { existsSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { latestVersion } from '../../../src/delta/log/log.js';
import { loadSnapshot } from '../../../src/delta/log/open.js';
import { resolveDataFile } from '../../../src/delta/log/paths.js';
import { runFutures } from '../../../src/main.js';
import { acquireLock } from '../../../src/queue/lock.js';
import { COMPACT_LOCK } from '../../../src/queue/paths.js';
import { runBin } from '../../helpers/bin.js';
import { testCtx } from '../../helpers/ctx.js';
import { assertDistBuilt, buildTable, makeTempDir, removeTempDirs } from './helpers.js';

async function run(args: string[]) {
  const ctx = testCtx({ now: () => new Date() });
  const code = await runFutures(args, ctx);
  return { code, stdout: ctx.stdout.text(), stderr: ctx.stderr.text() };
}

let dataDir: string;
let lake: string;
beforeAll(async () => {
  dataDir = makeTempDir('cli-compact-');
  lake = path.join(dataDir, 'lake');
  await buildTable(path.join(lake, 'a'), 9); // → lake/a/ticks
  await buildTable(path.join(lake, 'b'), 6);
});
afterAll(() => removeTempDirs());

const tableA = () => path.join(lake, 'a', 'ticks');
const tableB = () => path.join(lake, 'b', 'ticks');

describe('futures compact', () => {
  test('compacts the named tables and prints one JSON document with per-table metrics', async () => {
    const { code, stdout, stderr } = await run([
      'compact',
      tableA(),
      tableB(),
      '--data-dir',
      dataDir,
      '--json',
    ]);
    expect(code, stderr).toBe(0);
    const doc = JSON.parse(stdout);
    expect(doc.schema).toBe('futures.compact/v1');
    expect(doc.tables).toHaveLength(2);
    const [a, b] = doc.tables;
    expect(a).toMatchObject({
      status: 'ok',
      filesBefore: 9,
      filesAfter: 3,
      rows: 36,
      versionsWritten: 1,
      error: null,
    });
    expect(a.bytesBefore).toBeGreaterThan(a.bytesAfter);
    expect(a.checkpoint).toEqual({ version: 10, written: true });
    expect(a.optimize.rowsRewritten).toBe(36);
    expect(a.vacuum).toBeNull();
    expect(b).toMatchObject({ filesBefore: 6, filesAfter: 3, rows: 24 });
  });

  test('by default takes every table under <dataDir>/lake; TSV when piped; --vacuum --dry-run changes nothing', async () => {
    const lakeDir = makeTempDir('cli-lake-');
    await buildTable(path.join(lakeDir, 'lake'), 4); // → lake/ticks
    const table = path.join(lakeDir, 'lake', 'ticks');
    const before = await latestVersion(table);
    const dry = await run(['compact', '--data-dir', lakeDir, '--vacuum', '--dry-run']);
    expect(dry.code, dry.stderr).toBe(0);
    const dryRecords = dry.stdout
      .trim()
      .split('\n')
      .map((l) => l.split('\t'));
    expect(dryRecords[0]?.slice(0, 2)).toEqual(['table', 'ticks']);
    expect(dryRecords[0]?.at(-1)).toBe('dry-run');
    // The plan, one record each, led by its type, numbers raw: awk can sum it.
    const optimize = dryRecords.find((r) => r[0] === 'optimize');
    expect(optimize?.slice(0, 2)).toEqual(['optimize', 'ticks']);
    expect(optimize?.slice(2).every((f) => /^\d+$/.test(f))).toBe(true);
    expect(dryRecords.find((r) => r[0] === 'vacuum')?.slice(0, 2)).toEqual(['vacuum', 'ticks']);
    expect(
      dryRecords.every((r) =>
        ['table', 'optimize', 'log_cleanup', 'vacuum', 'vacuum_file'].includes(r[0] ?? ''),
      ),
    ).toBe(true);
    expect(await latestVersion(table)).toBe(before);
    const real = await run(['compact', '--data-dir', lakeDir]);
    expect(real.code, real.stderr).toBe(0);
    const cells = real.stdout.trim().split('\t');
    expect(cells.slice(0, 4)).toEqual(['table', 'ticks', '4', '3']);
  });

  test('bad input: clear message, exit 2, nothing written', async () => {
    const table = tableB();
    const version = await latestVersion(table);
    const cases: Array<[string[], RegExp]> = [
      [['compact', 'no_such_table'], /No table 'no_such_table'/],
      [['compact', table, '--target-size', '0'], /--target-size: the target size must be greater than 0/],
      [['compact', table, '--target-size', 'huge'], /cannot read size 'huge'/],
      [['compact', table, '--vacuum', '--retain', 'soon'], /--retain: cannot read duration 'soon'/],
      [['compact', table, '--retain', '7d'], /--retain only applies with --vacuum/],
      [['compact', table, '--vacuum', '--retain', '1h'], /retention of 1h.*Force the retention only when/s],
      [['compact', table, '--partition', "symbol = 'ES'"], /partition columns/],
    ];
    for (const [args, message] of cases) {
      const { code, stderr } = await run([...args, '--data-dir', dataDir]);
      expect(code, args.join(' ')).toBe(2);
      expect(stderr).toMatch(message);
    }
    expect(await latestVersion(table)).toBe(version);
  });

  test('a table we cannot write (deletion vectors) is refused with exit 4 before any table is touched', async () => {
    const dir = makeTempDir('cli-dv-');
    const dv = await buildTable(dir, 3);
    writeFileSync(
      path.join(dv, '_delta_log', '00000000000000000004.json'),
      `${JSON.stringify({ commitInfo: { operation: 'UPGRADE' } })}\n${JSON.stringify({ protocol: { minReaderVersion: 3, minWriterVersion: 7, readerFeatures: ['deletionVectors'], writerFeatures: ['deletionVectors'] } })}\n`,
    );
    const other = tableA();
    const version = await latestVersion(other);
    const { code, stderr } = await run(['compact', other, dv, '--data-dir', dataDir]);
    expect(code).toBe(4);
    expect(stderr).toMatch(/deletionVectors/);
    expect(await latestVersion(other)).toBe(version);
  });

  test('a second compactor exits 5 naming the holder', async () => {
    const lock = await acquireLock(path.join(dataDir, 'state'), COMPACT_LOCK, {
      now: new Date(),
      command: 'futures compact (the first one)',
      releaseOnExit: false,
    });
    try {
      const { code, stderr } = await run(['compact', tableA(), '--data-dir', dataDir]);
      expect(code).toBe(5);
      expect(stderr).toMatch(new RegExp(`held by pid ${process.pid}.*the first one`));
    } finally {
      await lock.release();
    }
    expect((await run(['compact', tableA(), '--data-dir', dataDir])).code).toBe(0);
  });
});

describe('futures table verify', () => {
  test('exit 0 when sound, 4 with the problems otherwise (TSV and JSON)', async () => {
    const dir = makeTempDir('cli-verify-');
    const table = await buildTable(dir, 4);
    const piped = await run(['table', 'verify', table]);
    expect(piped.code, piped.stderr).toBe(0);
    // verify TABLE VERSION SOUND VERSIONS FILES ROWS HASHES PAGE_CRCS CHECKPOINTS PROBLEMS
    const summary = piped.stdout.trim().split('\t');
    expect(summary.slice(0, 4)).toEqual(['verify', table, expect.stringMatching(/^\d+$/), '1']);
    expect(summary).toHaveLength(11);
    expect(summary.at(-1)).toBe('0');
    const ok = await run(['table', 'verify', table, '--json']);
    expect(ok.code, ok.stderr).toBe(0);
    expect(JSON.parse(ok.stdout)).toMatchObject({
      schema: 'futures.table.verify/v1',
      sound: true,
      problems: [],
    });

    const snapshot = await loadSnapshot(table);
    const file = [...snapshot.files.values()][0];
    if (!file) throw new Error('no file');
    rmSync(resolveDataFile(table, file.relativePath));
    const bad = await run(['table', 'verify', table]);
    expect(bad.code).toBe(4);
    const [head, ...problems] = bad.stdout.trimEnd().split('\n');
    expect(head?.split('\t').slice(0, 4)).toEqual(['verify', table, expect.any(String), '0']);
    expect(head?.split('\t').at(-1)).toBe('1');
    expect(problems).toEqual([
      `problem\tmissing-file\t-\t${file.relativePath}\t${file.relativePath} is listed in the log but does not exist.`,
    ]);
    const json = await run(['table', 'verify', table, '--json']);
    expect(json.code).toBe(4);
    expect(JSON.parse(json.stdout).problems).toEqual([
      expect.objectContaining({ kind: 'missing-file', file: file.relativePath }),
    ]);
    expect((await run(['table', 'verify', path.join(dir, 'nope')])).code).toBe(2);
  });

  test('the built binary reports the documented exit codes', async () => {
    assertDistBuilt();
    const dir = makeTempDir('cli-bin-');
    const table = await buildTable(dir, 3);
    expect((await runBin('futures', ['table', 'verify', table])).exitCode).toBe(0);
    const compacted = await runBin('futures', ['compact', table, '--data-dir', dir, '--json']);
    expect(compacted.exitCode, compacted.stderr).toBe(0);
    expect(JSON.parse(compacted.stdout).tables[0].filesAfter).toBe(3);
    expect(
      (await runBin('futures', ['compact', table, '--data-dir', dir, '--target-size', '0'])).exitCode,
    ).toBe(2);
    const live = [...(await loadSnapshot(table)).files.values()][0];
    if (!live) throw new Error('no file');
    rmSync(resolveDataFile(table, live.relativePath));
    const broken = await runBin('futures', ['table', 'verify', table]);
    expect(broken.exitCode).toBe(4);
    expect(broken.stdout).toMatch(/^problem\tmissing-file\t/m);
    expect(existsSync(table)).toBe(true);
  });
});
