/**
 * Per-snapshot file index for planScan: every live file's partition values parsed once, and for each
 * partition column with a total order, the distinct values sorted with their files. Pruning a
 * date range then costs O(log partitions + matches) instead of a walk over every live file, so a
 * scan of the last few trade dates does not grow with the history the table holds.
 *
 * HAZARDS:
 * - Snapshots are immutable once built (the snapshot cache never mutates one it handed out), so an
 *   index built for a Snapshot object stays valid for its lifetime; the WeakMap lets both go together.
 * - The index must never exclude a file that pruneFile would keep: a file is left out only when a
 *   partition conjunct rules it out exactly as partitionVerdict would ('partition'), so plans and
 *   their metrics equal the full walk. Columns whose order is not total (float NaN, decimals,
 *   binary) are not indexed; a predicate on them selects every file and pruneFile decides.
 */
import { DeltaLogCorruptError } from '../errors.js';
import { resolveDataFile } from '../log/paths.js';
import type { DeltaType, LiveFile, Snapshot } from '../log/types.js';
import type { BoundPredicate } from './predicate.js';
import { parseScalarText, type Scalar, scalarTypeOf } from './scalar.js';

export interface IndexedFile {
  file: LiveFile;
  /** Position in snapshot.files (plans list files in this order). */
  ordinal: number;
  absolutePath: string;
  partitionValues: Map<string, Scalar | null>;
}

type SortKey = number | bigint | boolean | Buffer;

interface PartitionGroup {
  key: SortKey;
  files: IndexedFile[];
}

interface ColumnIndex {
  scalarType: Scalar['type'];
  /** Distinct non-null values, ascending. */
  groups: PartitionGroup[];
  nulls: IndexedFile[];
}

export interface SnapshotIndex {
  /** Every live file, in snapshot.files order. */
  files: IndexedFile[];
  columns: Map<string, ColumnIndex>;
}

const INDEXED_TYPES: ReadonlySet<Scalar['type']> = new Set([
  'integer',
  'date',
  'string',
  'timestamp',
  'timestamp_ntz',
  'boolean',
]);

/** Parses a partition value from the log into a typed scalar (null for null partitions). */
export function parsePartitionValue(
  raw: string | null | undefined,
  type: DeltaType,
  where: string,
): Scalar | null {
  if (raw === null || raw === undefined) return null;
  const kind = scalarTypeOf(type);
  if (raw === '' && kind !== 'string') return null;
  const scalar = parseScalarText(raw, type);
  if (!scalar) {
    throw new DeltaLogCorruptError(
      `Delta log is corrupt: partition value ${JSON.stringify(raw)} ${where} is not a valid ${typeof type === 'string' ? type : 'value'}.`,
      { hint: 'The add action carries a partition value that does not match the column type.' },
    );
  }
  return scalar;
}

const indexes = new WeakMap<Snapshot, SnapshotIndex>();

/** Order-preserving key: compares exactly as compareScalars does for the indexed types. */
function sortKey(scalar: Scalar): SortKey | undefined {
  switch (scalar.type) {
    case 'integer':
    case 'timestamp':
    case 'timestamp_ntz':
      return scalar.value;
    case 'date':
      return Number.isNaN(scalar.value) ? undefined : scalar.value;
    case 'boolean':
      return scalar.value;
    case 'string':
      // compareScalars orders strings by UTF-8 bytes (DuckDB's order), not UTF-16 code units.
      return Buffer.from(scalar.value, 'utf8');
    default:
      return undefined;
  }
}

function compareKeys(a: SortKey, b: SortKey): number {
  if (Buffer.isBuffer(a) && Buffer.isBuffer(b)) return Math.sign(Buffer.compare(a, b));
  if (typeof a === 'boolean' && typeof b === 'boolean') return a === b ? 0 : a ? 1 : -1;
  return a < b ? -1 : a > b ? 1 : 0;
}

/** The index of a snapshot, built on first use. Throws DeltaLogCorruptError for a bad partition value. */
export function snapshotIndex(snapshot: Snapshot): SnapshotIndex {
  const cached = indexes.get(snapshot);
  if (cached) return cached;
  const partitionSet = new Set(snapshot.partitionColumns);
  const partitionFields = snapshot.schema.fields.filter((f) => partitionSet.has(f.name));
  const files: IndexedFile[] = [];
  const building = new Map<
    string,
    { type: Scalar['type']; byKey: Map<unknown, PartitionGroup>; nulls: IndexedFile[]; ok: boolean }
  >();
  for (const field of partitionFields) {
    const type = scalarTypeOf(field.type);
    building.set(field.name, {
      type: type ?? 'binary',
      byKey: new Map(),
      nulls: [],
      ok: type !== undefined && INDEXED_TYPES.has(type),
    });
  }
  let ordinal = 0;
  for (const file of snapshot.files.values()) {
    const partitionValues = new Map<string, Scalar | null>();
    const indexed: IndexedFile = {
      file,
      ordinal: ordinal++,
      absolutePath: resolveDataFile(snapshot.tablePath, file.relativePath),
      partitionValues,
    };
    for (const field of partitionFields) {
      if (!(field.name in file.add.partitionValues)) {
        throw new DeltaLogCorruptError(
          `Delta log is corrupt: the add for ${file.add.path} has no value for partition column '${field.name}'.`,
          { hint: 'Every add must carry every partition column in partitionValues.' },
        );
      }
      const value = parsePartitionValue(
        file.add.partitionValues[field.name],
        field.type,
        `for '${field.name}' of ${file.add.path}`,
      );
      partitionValues.set(field.name, value);
      const column = building.get(field.name);
      if (!column?.ok) continue;
      if (value === null) {
        column.nulls.push(indexed);
        continue;
      }
      const key = sortKey(value);
      if (key === undefined || value.type !== column.type) {
        column.ok = false;
        continue;
      }
      // Map keys: Buffers compare by identity, so strings group by their text instead.
      const mapKey = Buffer.isBuffer(key) ? `s:${value.value as string}` : key;
      const group = column.byKey.get(mapKey);
      if (group) group.files.push(indexed);
      else column.byKey.set(mapKey, { key, files: [indexed] });
    }
    files.push(indexed);
  }
  const columns = new Map<string, ColumnIndex>();
  for (const [name, column] of building) {
    if (!column.ok) continue;
    const groups = [...column.byKey.values()].sort((a, b) => compareKeys(a.key, b.key));
    columns.set(name, { scalarType: column.type, groups, nulls: column.nulls });
  }
  const index = { files, columns };
  indexes.set(snapshot, index);
  return index;
}

/** First group with key ≥ (strict: >) the given key. */
function bound(groups: readonly PartitionGroup[], key: SortKey, strict: boolean): number {
  let lo = 0;
  let hi = groups.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    const c = compareKeys((groups[mid] as PartitionGroup).key, key);
    if (c < 0 || (strict && c === 0)) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function filesOf(groups: readonly PartitionGroup[], from: number, to: number): IndexedFile[] {
  const out: IndexedFile[] = [];
  for (let i = from; i < to; i++) for (const f of (groups[i] as PartitionGroup).files) out.push(f);
  return out;
}

/** Files a partition leaf can keep, or undefined when the index cannot tell (every file). */
function leafFiles(index: SnapshotIndex, p: Exclude<BoundPredicate, { kind: 'and' | 'or' }>) {
  if (!p.column.isPartition) return undefined;
  const column = index.columns.get(p.column.name);
  if (!column) return undefined;
  const { groups } = column;
  const keyOf = (s: Scalar) => (s.type === column.scalarType ? sortKey(s) : undefined);
  switch (p.kind) {
    case 'isNull':
      return p.negated ? filesOf(groups, 0, groups.length) : column.nulls;
    case 'compare': {
      const key = keyOf(p.value);
      if (key === undefined) return undefined;
      const ge = bound(groups, key, false);
      const gt = bound(groups, key, true);
      switch (p.op) {
        case '=':
          return filesOf(groups, ge, gt);
        case '!=':
          return [...filesOf(groups, 0, ge), ...filesOf(groups, gt, groups.length)];
        case '<':
          return filesOf(groups, 0, ge);
        case '<=':
          return filesOf(groups, 0, gt);
        case '>':
          return filesOf(groups, gt, groups.length);
        case '>=':
          return filesOf(groups, ge, groups.length);
        default:
          return undefined;
      }
    }
    case 'between': {
      const low = keyOf(p.low);
      const high = keyOf(p.high);
      if (low === undefined || high === undefined) return undefined;
      const from = bound(groups, low, false);
      const to = bound(groups, high, true);
      return from < to ? filesOf(groups, from, to) : [];
    }
    case 'in': {
      const out: IndexedFile[] = [];
      const seen = new Set<number>();
      for (const value of p.values) {
        const key = keyOf(value);
        if (key === undefined) return undefined;
        const from = bound(groups, key, false);
        const to = bound(groups, key, true);
        if (from < to && !seen.has(from)) {
          seen.add(from);
          out.push(...filesOf(groups, from, to));
        }
      }
      return out;
    }
    default:
      return undefined;
  }
}

/** Files not ruled out by partition values; undefined = every file. Unordered. */
function select(index: SnapshotIndex, p: BoundPredicate): IndexedFile[] | undefined {
  switch (p.kind) {
    case 'and': {
      let best: IndexedFile[] | undefined;
      const sets: IndexedFile[][] = [];
      for (const arg of p.args) {
        const files = select(index, arg);
        if (files === undefined) continue;
        sets.push(files);
        if (best === undefined || files.length < best.length) best = files;
      }
      if (best === undefined) return undefined;
      if (sets.length === 1) return best;
      const others = sets.filter((s) => s !== best).map((s) => new Set(s));
      return best.filter((f) => others.every((s) => s.has(f)));
    }
    case 'or': {
      const out = new Set<IndexedFile>();
      for (const arg of p.args) {
        const files = select(index, arg);
        if (files === undefined) return undefined;
        for (const f of files) out.add(f);
      }
      return [...out];
    }
    default:
      return leafFiles(index, p);
  }
}

/**
 * The files a predicate may need, judged on partition values alone, in snapshot order. Every file
 * left out is one pruneFile rules out by partition; the caller still runs pruneFile on the rest.
 */
export function candidateFiles(index: SnapshotIndex, predicate: BoundPredicate | undefined): IndexedFile[] {
  if (!predicate) return index.files;
  const selected = select(index, predicate);
  if (selected === undefined) return index.files;
  const unique = [...new Set(selected)];
  return unique.sort((a, b) => a.ordinal - b.ordinal);
}
