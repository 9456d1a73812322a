import { readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { DeltaLogCorruptError } from '../../../src/delta/errors.js';
import { listLog } from '../../../src/delta/log/log.js';
import { loadSnapshot } from '../../../src/delta/log/open.js';
import { resolveDataFile } from '../../../src/delta/log/paths.js';
import type { LiveFile } from '../../../src/delta/log/types.js';
import { checkpointOnDemand } from '../../../src/delta/ops/maintenance.js';
import { loadSoundSnapshot } from '../../../src/delta/ops/preflight.js';
import { planRepair } from '../../../src/delta/ops/repair.js';
import { verifyTable } from '../../../src/delta/ops/verify.js';
import type { VerifyProblemKind } from '../../../src/delta/ops/verify-problems.js';
import { quoteLiteral } from '../../../src/delta/read/schema.js';
import { useMemoryDuckDb } from '../shared-duckdb.js';
import { buildTable, makeTempDir, removeTempDirs } from './helpers.js';

const duck = useMemoryDuckDb();
afterAll(removeTempDirs);

async function freshTable(commits = 12): Promise<{ table: string; file: LiveFile; absolute: string }> {
  const table = await buildTable(makeTempDir(), commits);
  const snapshot = await loadSnapshot(table);
  const file = [...snapshot.files.values()][0] as LiveFile;
  return { table, file, absolute: resolveDataFile(table, file.relativePath) };
}

async function kinds(table: string): Promise<VerifyProblemKind[]> {
  const report = await verifyTable(table, { connection: duck.connection, checkpoints: 'all' });
  expect(report.sound).toBe(report.problems.length === 0);
  return [...new Set(report.problems.map((p) => p.kind))].sort();
}

function logFile(table: string, name: string): string {
  return path.join(table, '_delta_log', name);
}

describe('verify', () => {
  test('a sound table has no problems and verify changes nothing', async () => {
    const { table } = await freshTable();
    const before = readFileSync(logFile(table, '00000000000000000012.json'), 'utf8');
    const report = await verifyTable(table, { connection: duck.connection, checkpoints: 'all' });
    expect(report.problems).toEqual([]);
    expect(report.checked).toMatchObject({
      versions: 13,
      files: 12,
      rows: 48,
      checkpoints: 1,
      checkpointsNotComparable: 0,
    });
    expect(readFileSync(logFile(table, '00000000000000000012.json'), 'utf8')).toBe(before);
  });

  test('detects a missing file', async () => {
    const { table, file, absolute } = await freshTable();
    rmSync(absolute);
    const report = await verifyTable(table, { connection: duck.connection });
    expect(report.problems).toEqual([
      expect.objectContaining({ kind: 'missing-file', file: file.relativePath }),
    ]);
  });

  test('detects a truncated file', async () => {
    const { table, file, absolute } = await freshTable();
    truncateSync(absolute, Math.floor(file.add.size / 2));
    const report = await verifyTable(table, { connection: duck.connection });
    const problems = report.problems.filter((p) => p.file === file.relativePath).map((p) => p.kind);
    expect(problems).toEqual(['size-mismatch', 'unreadable-file']);
    expect(report.sound).toBe(false);
  });

  test('detects a wrong logged size', async () => {
    const { table, file } = await freshTable(3);
    const name = '00000000000000000001.json';
    const text = readFileSync(logFile(table, name), 'utf8');
    writeFileSync(
      logFile(table, name),
      text.replace(`"size":${file.add.size}`, `"size":${file.add.size + 7}`),
    );
    expect(await kinds(table)).toEqual(['size-mismatch']);
  });

  test('detects a schema mismatch (a column stored with another type, a timestamp without UTC adjustment)', async () => {
    const { table, absolute } = await freshTable(3);
    const wrong = `COPY (SELECT ts::TIMESTAMP AS ts, symbol, CAST(price AS VARCHAR) AS price, size, writer, seq FROM read_parquet(${quoteLiteral(absolute)})) TO ${quoteLiteral(`${absolute}.tmp`)} (FORMAT parquet)`;
    await duck.connection.run(wrong);
    rmSync(absolute);
    const { renameSync } = await import('node:fs');
    renameSync(`${absolute}.tmp`, absolute);
    const report = await verifyTable(table, { connection: duck.connection });
    const schema = report.problems.filter((p) => p.kind === 'schema-mismatch');
    expect(schema.map((p) => p.column).sort()).toEqual(['price', 'ts']);
    expect(schema.find((p) => p.column === 'ts')?.message).toMatch(/isAdjustedToUTC/);
  });

  test('detects a missing version', async () => {
    const { table } = await freshTable();
    rmSync(logFile(table, '00000000000000000005.json'));
    const report = await verifyTable(table, { connection: duck.connection });
    expect(report.problems).toEqual([expect.objectContaining({ kind: 'missing-version', version: 5 })]);
    // After the checkpoint, a gap makes the latest version unreadable.
    rmSync(logFile(table, '00000000000000000011.json'));
    expect(await kinds(table)).toEqual(['log-unreadable', 'missing-version']);
  });

  test('a commit far past the newest (a damaged name) is a gap walked by its ends, not version by version', async () => {
    const { table } = await freshTable(3);
    const copy = readFileSync(logFile(table, '00000000000000000001.json'));
    // Version 10^12: the walk took every version (a 2^53 one ran out of 4 GB of memory).
    writeFileSync(logFile(table, '00000001000000000000.json'), copy);
    const report = await verifyTable(table, { connection: duck.connection });
    const missing = report.problems.filter((p) => p.kind === 'missing-version');
    expect(missing.map((p) => p.version)).toEqual([...Array.from({ length: 20 }, (_, i) => 4 + i), 24]);
    expect(missing.at(-1)?.message).toMatch(
      /commits 24\.\.999999999999 are missing too \(999999999976 more\)/,
    );
    // Past 2^53 − 1 a version is no exact number: the listing refuses the file by name.
    rmSync(logFile(table, '00000001000000000000.json'));
    writeFileSync(logFile(table, '99999999999999999999.json'), copy);
    await expect(listLog(table)).rejects.toThrow(
      /99999999999999999999\.json names version 99999999999999999999, beyond any version a writer reaches/,
    );
    await expect(loadSnapshot(table)).rejects.toBeInstanceOf(DeltaLogCorruptError);
    rmSync(logFile(table, '99999999999999999999.json'));
    // A multi-part checkpoint claiming 9,999,999,999 parts is incomplete; its count sizes no array.
    writeFileSync(logFile(table, '00000000000000000002.checkpoint.0000000001.9999999999.parquet'), 'x');
    expect((await listLog(table)).checkpoints).toEqual([]);
    expect((await loadSnapshot(table)).version).toBe(3);
  });

  test('an empty commit file is a damaged log: readers refuse it, verify, maintenance and repair name it', async () => {
    const { table } = await freshTable();
    // Below the checkpoint at 10 no reader replays commit 5, but it is still a lost commit.
    writeFileSync(logFile(table, '00000000000000000005.json'), '');
    expect((await loadSnapshot(table)).version).toBe(12);
    const below = await verifyTable(table, { connection: duck.connection });
    expect(below.problems).toEqual([
      expect.objectContaining({
        kind: 'empty-commit',
        version: 5,
        file: '_delta_log/00000000000000000005.json',
      }),
    ]);
    await expect(loadSoundSnapshot(await listLog(table), duck.connection)).rejects.toThrow(
      /commit 5 .* is empty/,
    );
    // The newest commit empty: it was the one replayed, so the table does not open (it used to open as version 12 without 12's rows).
    writeFileSync(logFile(table, '00000000000000000012.json'), '');
    await expect(loadSnapshot(table)).rejects.toThrow(
      /_delta_log\/00000000000000000012\.json is empty \(0 bytes\)/,
    );
    await expect(loadSnapshot(table)).rejects.toBeInstanceOf(DeltaLogCorruptError);
    expect(await kinds(table)).toEqual(['empty-commit', 'log-unreadable']);
    const plan = await planRepair(table, { connection: duck.connection });
    expect(plan.steps).toEqual([]);
    expect(plan.unrepaired.map((p) => [p.kind, p.version])).toEqual([
      ['empty-commit', 5],
      ['empty-commit', 12],
      ['log-unreadable', 12],
    ]);
    // Blank lines only are no commit either.
    writeFileSync(logFile(table, '00000000000000000012.json'), '\n\n');
    await expect(loadSnapshot(table)).rejects.toThrow(/is empty \(blank lines only\)/);
  });

  test('detects a checkpoint that disagrees with the JSON log', async () => {
    const { table } = await freshTable();
    const checkpoint = logFile(table, '00000000000000000010.checkpoint.parquet');
    // Drop one add row from the checkpoint: a reader starting there would lose a file's rows.
    await duck.connection.run(
      `COPY (SELECT * FROM read_parquet(${quoteLiteral(checkpoint)}) WHERE "add" IS NULL OR "add".path NOT IN (SELECT min("add".path) FROM read_parquet(${quoteLiteral(checkpoint)}))) TO ${quoteLiteral(`${checkpoint}.tmp`)} (FORMAT parquet)`,
    );
    const { renameSync } = await import('node:fs');
    renameSync(`${checkpoint}.tmp`, checkpoint);
    const report = await verifyTable(table, { connection: duck.connection });
    expect(report.problems.map((p) => p.kind)).toEqual(['checkpoint-mismatch']);
    expect(report.problems[0]?.version).toBe(10);
    expect(report.problems[0]?.message).toMatch(/missing from the checkpoint/);
  });

  test('detects an unreadable checkpoint', async () => {
    const { table } = await freshTable();
    writeFileSync(logFile(table, '00000000000000000010.checkpoint.parquet'), 'garbage');
    expect(await kinds(table)).toEqual(['checkpoint-unreadable']);
  });

  test('detects row counts and stats bounds that do not hold', async () => {
    const { table, file } = await freshTable(3);
    const name = '00000000000000000001.json';
    const stats = JSON.parse(String(file.add.stats));
    const text = readFileSync(logFile(table, name), 'utf8');
    const tampered = {
      ...stats,
      numRecords: stats.numRecords + 1,
      minValues: { ...stats.minValues, seq: stats.minValues.seq + 1 },
    };
    const escaped = (s: string) => JSON.stringify(s).slice(1, -1);
    writeFileSync(
      logFile(table, name),
      text.replace(escaped(String(file.add.stats)), escaped(JSON.stringify(tampered))),
    );
    expect(await kinds(table)).toEqual(['row-count-mismatch', 'stats-mismatch']);
  });

  test('checkpoints whose commits were cleaned up are opened but not compared', async () => {
    const { table } = await freshTable(23);
    await checkpointOnDemand(table, { connection: duck.connection });
    for (let v = 0; v < 20; v++) rmSync(logFile(table, `${String(v).padStart(20, '0')}.json`));
    rmSync(logFile(table, '00000000000000000010.checkpoint.parquet'));
    const report = await verifyTable(table, { connection: duck.connection, checkpoints: 'all' });
    expect(report.problems).toEqual([]);
    expect(report.checked.checkpoints).toBe(2);
    expect(report.checked.checkpointsNotComparable).toBe(1);
  });
});
