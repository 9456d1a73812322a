/**
 * planScan prunes through a per-snapshot partition index (scan-index.ts). These tests hold it to
 * the plain walk it replaced: for every predicate, the files planned (in order) and the pruning
 * metrics equal those of running pruneFile over every live file — on the golden tables and on
 * synthetic snapshots with dates, strings, integers, null partitions and stats.
 */
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DeltaLogCorruptError } from '../../../src/delta/errors.js';
import { loadSnapshot } from '../../../src/delta/log/open.js';
import type { DeltaStructField, FileStats, LiveFile, Snapshot } from '../../../src/delta/log/types.js';
import { bindPredicate, type LiteralValue, type Predicate } from '../../../src/delta/read/predicate.js';
import { pruneFile } from '../../../src/delta/read/prune.js';
import { parsePartitionValue, planScan } from '../../../src/delta/read/scan.js';
import { candidateFiles, snapshotIndex } from '../../../src/delta/read/scan-index.js';
import { GOLDEN, haveGolden } from './golden-tables.js';

/** The reference: pruneFile over every live file, in snapshot order. */
function walkPlan(snapshot: Snapshot, where: Predicate) {
  const predicate = bindPredicate(where, snapshot.schema, snapshot.partitionColumns);
  const partitionFields = snapshot.schema.fields.filter((f) => snapshot.partitionColumns.includes(f.name));
  const kept: string[] = [];
  let byPartition = 0;
  let byStats = 0;
  for (const file of snapshot.files.values()) {
    const partitionValues = new Map(
      partitionFields.map((f) => [
        f.name,
        parsePartitionValue(file.add.partitionValues[f.name], f.type, 'test'),
      ]),
    );
    const verdict = pruneFile(predicate, { partitionValues, stats: file.stats });
    if (verdict === 'partition') byPartition++;
    else if (verdict === 'stats') byStats++;
    else kept.push(file.add.path);
  }
  return { kept, byPartition, byStats };
}

function expectSamePlan(snapshot: Snapshot, where: Predicate): number {
  const plan = planScan(snapshot, { where });
  const walk = walkPlan(snapshot, where);
  const label = JSON.stringify(where, (_k, v) => (typeof v === 'bigint' ? `${v}n` : v));
  expect(
    plan.files.map((f) => f.file.add.path),
    label,
  ).toEqual(walk.kept);
  expect(plan.metrics.filesPrunedByPartition, label).toBe(walk.byPartition);
  expect(plan.metrics.filesPrunedByStats, label).toBe(walk.byStats);
  expect(plan.metrics.filesRead, label).toBe(walk.kept.length);
  return walk.kept.length;
}

// ---------------------------------------------------------------------------------------------
// Synthetic snapshots

function mulberry32(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const field = (name: string, type: DeltaStructField['type']): DeltaStructField => ({
  name,
  type,
  nullable: true,
  metadata: {},
});

const SYMBOLS = ['ES', 'NQ', 'RTY', 'VIX', 'é-utf8', '𝔘-astral', 'a', 'Z'];
const DATES = Array.from({ length: 60 }, (_, i) =>
  new Date(Date.UTC(2025, 0, 1 + i * 3)).toISOString().slice(0, 10),
);

function syntheticSnapshot(seed: number, count: number): Snapshot {
  const rnd = mulberry32(seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(rnd() * items.length)] as T;
  const files = new Map<string, LiveFile>();
  for (let i = 0; i < count; i++) {
    const date = rnd() < 0.05 ? null : pick(DATES);
    const symbol = rnd() < 0.05 ? null : pick(SYMBOLS);
    const bucket = rnd() < 0.05 ? null : String(Math.floor(rnd() * 40) - 20);
    const p = `part-${i}.parquet`;
    const day = date ?? '2025-06-01';
    const lo = Date.parse(`${day}T00:00:00Z`) + Math.floor(rnd() * 40_000) * 1000;
    const stats: FileStats | undefined =
      rnd() < 0.1
        ? undefined
        : {
            numRecords: 10,
            minValues: { ts: new Date(lo).toISOString(), qty: Math.floor(rnd() * 50) },
            maxValues: { ts: new Date(lo + 3_600_000).toISOString(), qty: 50 + Math.floor(rnd() * 50) },
            nullCount: { ts: 0, qty: rnd() < 0.1 ? 10 : 0 },
          };
    files.set(p, {
      add: {
        path: p,
        partitionValues: { trade_date: date, symbol, bucket },
        size: 100 + i,
        modificationTime: 0,
        dataChange: true,
      },
      relativePath: p,
      stats,
    });
  }
  const schema = {
    type: 'struct' as const,
    fields: [
      field('ts', 'timestamp'),
      field('trade_date', 'date'),
      field('symbol', 'string'),
      field('bucket', 'integer'),
      field('qty', 'long'),
      field('price', 'double'),
    ],
  };
  return {
    tablePath: '/tmp/synthetic-table',
    version: 1,
    protocol: { minReaderVersion: 1, minWriterVersion: 2 },
    metadata: {
      id: 'synthetic',
      format: { provider: 'parquet', options: {} },
      schemaString: JSON.stringify(schema),
      partitionColumns: ['trade_date', 'symbol', 'bucket'],
      configuration: {},
    },
    schema,
    partitionColumns: ['trade_date', 'symbol', 'bucket'],
    files,
    txns: new Map(),
    tombstones: new Map(),
    timestamp: 0,
    checkpointVersion: undefined,
  } as Snapshot;
}

function randomPredicate(rnd: () => number, depth = 0): Predicate {
  const pick = <T>(items: readonly T[]): T => items[Math.floor(rnd() * items.length)] as T;
  if (depth < 2 && rnd() < 0.35) {
    const args = Array.from({ length: 1 + Math.floor(rnd() * 3) }, () => randomPredicate(rnd, depth + 1));
    return { kind: rnd() < 0.5 ? 'and' : 'or', args };
  }
  const columns: Array<[string, () => LiteralValue]> = [
    ['trade_date', () => (rnd() < 0.8 ? pick(DATES) : '2026-01-01')],
    ['symbol', () => (rnd() < 0.8 ? pick(SYMBOLS) : 'MISSING')],
    ['bucket', () => Math.floor(rnd() * 50) - 25],
    ['ts', () => new Date(Date.parse(`${pick(DATES)}T00:00:00Z`) + Math.floor(rnd() * 86_400) * 1000)],
    ['qty', () => Math.floor(rnd() * 120)],
  ];
  const [column, value] = pick(columns);
  const kind = rnd();
  if (kind < 0.45)
    return { kind: 'compare', column, op: pick(['=', '!=', '<', '<=', '>', '>='] as const), value: value() };
  if (kind < 0.7) return { kind: 'between', column, low: value(), high: value() };
  if (kind < 0.9) return { kind: 'in', column, values: Array.from({ length: Math.floor(rnd() * 4) }, value) };
  return { kind: 'isNull', column, negated: rnd() < 0.5 };
}

describe('planScan through the partition index', () => {
  it('plans exactly what the full walk plans, for random predicates on synthetic snapshots', () => {
    let nonEmpty = 0;
    let pruned = 0;
    for (const seed of [1, 2, 3]) {
      const snapshot = syntheticSnapshot(seed, 400);
      const rnd = mulberry32(seed * 7919);
      for (let i = 0; i < 250; i++) {
        const where = randomPredicate(rnd);
        const kept = expectSamePlan(snapshot, where);
        if (kept > 0) nonEmpty++;
        if (kept < snapshot.files.size) pruned++;
      }
    }
    // The generator really exercises both outcomes.
    expect(nonEmpty).toBeGreaterThan(100);
    expect(pruned).toBeGreaterThan(100);
  });

  it('narrows a date range by binary search and keeps snapshot order', () => {
    const snapshot = syntheticSnapshot(9, 300);
    const index = snapshotIndex(snapshot);
    expect(snapshotIndex(snapshot)).toBe(index);
    const predicate = bindPredicate(
      { kind: 'between', column: 'trade_date', low: DATES[10] as string, high: DATES[12] as string },
      snapshot.schema,
      snapshot.partitionColumns,
    );
    const candidates = candidateFiles(index, predicate);
    const expected = [...snapshot.files.values()].filter((f) => {
      const d = f.add.partitionValues.trade_date;
      return d !== null && d !== undefined && d >= (DATES[10] as string) && d <= (DATES[12] as string);
    });
    expect(candidates.map((c) => c.file)).toEqual(expected);
    expect(candidates.length).toBeLessThan(snapshot.files.size / 5);
    const ordinals = candidates.map((c) => c.ordinal);
    expect(ordinals).toEqual([...ordinals].sort((a, b) => a - b));
  });

  it('still reports a corrupt partition value or a missing partition column', () => {
    const bad = syntheticSnapshot(4, 20);
    const first = [...bad.files.values()][0] as LiveFile;
    first.add.partitionValues.trade_date = 'not-a-date';
    expect(() =>
      planScan(bad, { where: { kind: 'compare', column: 'symbol', op: '=', value: 'ES' } }),
    ).toThrow(DeltaLogCorruptError);
    const missing = syntheticSnapshot(5, 20);
    delete (([...missing.files.values()][3] as LiveFile).add.partitionValues as Record<string, unknown>)
      .bucket;
    expect(() => planScan(missing)).toThrow(/no value for partition column 'bucket'/);
  });
});

// ---------------------------------------------------------------------------------------------
// Golden tables

function goldenTables(): string[] {
  if (!existsSync(GOLDEN)) return [];
  const out: string[] = [];
  for (const group of ['delta-io', 'delta-rs']) {
    const dir = path.join(GOLDEN, group);
    if (!existsSync(dir)) continue;
    for (const name of readdirSync(dir)) out.push(path.join(dir, name));
  }
  return out;
}

/** Predicates built from the partition values a table really holds. */
function goldenPredicates(snapshot: Snapshot): Predicate[] {
  const out: Predicate[] = [];
  for (const column of snapshot.partitionColumns) {
    const values = [...new Set([...snapshot.files.values()].map((f) => f.add.partitionValues[column]))]
      .filter((v): v is string => typeof v === 'string' && v !== '')
      .sort();
    out.push({ kind: 'isNull', column, negated: false }, { kind: 'isNull', column, negated: true });
    for (const value of values.slice(0, 6)) {
      for (const op of ['=', '!=', '<', '<=', '>', '>='] as const)
        out.push({ kind: 'compare', column, op, value });
    }
    if (values.length >= 2) {
      out.push({ kind: 'between', column, low: values[0] as string, high: values[1] as string });
      out.push({ kind: 'in', column, values: [values[0] as string, values.at(-1) as string] });
      out.push({
        kind: 'or',
        args: [
          { kind: 'compare', column, op: '=', value: values[0] as string },
          { kind: 'isNull', column, negated: false },
        ],
      });
    }
  }
  return out;
}

describe('planScan through the partition index on the golden tables', () => {
  const tables = haveGolden() ? goldenTables() : [];
  if (tables.length === 0) {
    it.skip(`SKIPPED: golden tables not found at ${GOLDEN}`, () => {});
    return;
  }
  it('plans exactly what the full walk plans on every partitioned golden table', async () => {
    let checked = 0;
    let partitioned = 0;
    for (const dir of tables) {
      let snapshot: Snapshot;
      try {
        snapshot = await loadSnapshot(dir);
      } catch {
        continue; // tables the reader rejects are covered by golden.test.ts
      }
      if (snapshot.partitionColumns.length === 0) continue;
      partitioned++;
      for (const where of goldenPredicates(snapshot)) {
        try {
          bindPredicate(where, snapshot.schema, snapshot.partitionColumns);
        } catch {
          continue; // a raw partition text that is not a literal of the column type
        }
        expectSamePlan(snapshot, where);
        checked++;
      }
    }
    expect(partitioned).toBeGreaterThanOrEqual(3);
    expect(checked).toBeGreaterThan(50);
  });
});
