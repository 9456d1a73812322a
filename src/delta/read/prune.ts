/**
 * File pruning: decides from the log alone whether a file can hold rows matching a predicate.
 * Partition columns are judged on their exact values; data columns on min/max/nullCount stats.
 *
 * Conservative by construction: any doubt (no stats, unparseable stat, NaN-prone float/double or
 * rounded decimal stats, a possibly truncated string max) answers "may match". Timestamp max stats
 * are millisecond-truncated by writers, so a max is widened by 999 µs.
 */

import type { FileStats } from '../log/types.js';
import type { BoundColumn, BoundPredicate } from './predicate.js';
import { compareScalars, parseDate, parseTimestamp, type Scalar, scalarTypeOf } from './scalar.js';

/** Per-file facts the pruner needs. */
export interface PruneFacts {
  /** Typed partition values (null = null partition) for every partition column. */
  partitionValues: ReadonlyMap<string, Scalar | null>;
  stats: FileStats | undefined;
}

type Verdict = 'no' | 'maybe';

/** Spark truncates string stats to a 32-character prefix; a max that long may be below the real max. */
const STRING_STATS_PREFIX = 32;

interface Bounds {
  min: Scalar | undefined;
  max: Scalar | undefined;
  /** Number of nulls, when known. */
  nullCount: number | undefined;
  numRecords: number | undefined;
}

function statScalar(raw: unknown, column: BoundColumn, isMax: boolean): Scalar | undefined {
  const kind = scalarTypeOf(column.type);
  switch (kind) {
    case 'integer': {
      if (typeof raw === 'number' && Number.isSafeInteger(raw))
        return { type: 'integer', value: BigInt(raw) };
      if (typeof raw === 'string' && /^[+-]?\d+$/.test(raw)) return { type: 'integer', value: BigInt(raw) };
      return undefined; // an unsafe integer lost precision in JSON.parse
    }
    case 'string':
      if (typeof raw !== 'string') return undefined;
      if (isMax && [...raw].length >= STRING_STATS_PREFIX) return undefined;
      return { type: 'string', value: raw };
    case 'date': {
      if (typeof raw !== 'string') return undefined;
      const days = parseDate(raw.slice(0, 10));
      return days === undefined ? undefined : { type: 'date', value: days };
    }
    case 'timestamp':
    case 'timestamp_ntz': {
      if (typeof raw !== 'string') return undefined;
      const parsed = parseTimestamp(raw);
      if (!parsed) return undefined;
      return { type: kind, value: isMax ? parsed.micros + 999n : parsed.micros };
    }
    default:
      // float/double (NaN is not in stats but sorts above every number in DuckDB), decimals
      // (JSON numbers may be rounded), booleans and binary: no data skipping.
      return undefined;
  }
}

function boundsFor(column: BoundColumn, stats: FileStats | undefined): Bounds | undefined {
  if (!stats) return undefined;
  const nullRaw = stats.nullCount?.[column.name];
  return {
    min: statScalar(stats.minValues?.[column.name], column, false),
    max: statScalar(stats.maxValues?.[column.name], column, true),
    nullCount: typeof nullRaw === 'number' ? nullRaw : undefined,
    numRecords: stats.numRecords,
  };
}

const cmp = (a: Scalar, b: Scalar): number | undefined => compareScalars(a, b);

/** Can a value in [min, max] satisfy `value op literal`? */
function rangeMayMatch(bounds: Bounds, op: string, literal: Scalar): Verdict {
  const { min, max } = bounds;
  const lo = min ? cmp(min, literal) : undefined; // sign of min - literal
  const hi = max ? cmp(max, literal) : undefined; // sign of max - literal
  switch (op) {
    case '=':
      if (lo !== undefined && lo > 0) return 'no';
      if (hi !== undefined && hi < 0) return 'no';
      return 'maybe';
    case '<':
      return lo !== undefined && lo >= 0 ? 'no' : 'maybe';
    case '<=':
      return lo !== undefined && lo > 0 ? 'no' : 'maybe';
    case '>':
      return hi !== undefined && hi <= 0 ? 'no' : 'maybe';
    case '>=':
      return hi !== undefined && hi < 0 ? 'no' : 'maybe';
    case '!=':
      return lo === 0 && hi === 0 && min?.type !== 'timestamp' && min?.type !== 'timestamp_ntz'
        ? 'no'
        : 'maybe';
    default:
      return 'maybe';
  }
}

function allNull(bounds: Bounds): boolean {
  return (
    bounds.nullCount !== undefined && bounds.numRecords !== undefined && bounds.nullCount >= bounds.numRecords
  );
}

/** Exact evaluation for a partition column; undefined when the order is unknown. */
function partitionVerdict(value: Scalar | null, p: BoundPredicate): Verdict {
  switch (p.kind) {
    case 'isNull':
      return (value === null) !== p.negated ? 'maybe' : 'no';
    case 'compare': {
      if (value === null) return 'no';
      const c = cmp(value, p.value);
      if (c === undefined) return 'maybe';
      const ok =
        p.op === '='
          ? c === 0
          : p.op === '!='
            ? c !== 0
            : p.op === '<'
              ? c < 0
              : p.op === '<='
                ? c <= 0
                : p.op === '>'
                  ? c > 0
                  : c >= 0;
      return ok ? 'maybe' : 'no';
    }
    case 'between': {
      if (value === null) return 'no';
      const a = cmp(value, p.low);
      const b = cmp(value, p.high);
      if (a === undefined || b === undefined) return 'maybe';
      return a >= 0 && b <= 0 ? 'maybe' : 'no';
    }
    case 'in': {
      if (value === null) return 'no';
      for (const v of p.values) {
        const c = cmp(value, v);
        if (c === undefined || c === 0) return 'maybe';
      }
      return 'no';
    }
    default:
      return 'maybe';
  }
}

function statsVerdict(bounds: Bounds | undefined, p: BoundPredicate): Verdict {
  if (!bounds) return 'maybe';
  switch (p.kind) {
    case 'isNull':
      if (!p.negated) return bounds.nullCount === 0 ? 'no' : 'maybe';
      return allNull(bounds) ? 'no' : 'maybe';
    case 'compare':
      if (allNull(bounds)) return 'no';
      return rangeMayMatch(bounds, p.op, p.value);
    case 'between':
      if (allNull(bounds)) return 'no';
      return rangeMayMatch(bounds, '>=', p.low) === 'no' || rangeMayMatch(bounds, '<=', p.high) === 'no'
        ? 'no'
        : 'maybe';
    case 'in':
      if (allNull(bounds)) return 'no';
      return p.values.every((v) => rangeMayMatch(bounds, '=', v) === 'no') ? 'no' : 'maybe';
    default:
      return 'maybe';
  }
}

export type PruneResult = 'keep' | 'partition' | 'stats';

/**
 * Whether a file may hold matching rows ('keep'), or which kind of evidence rules it out.
 * AND: any conjunct ruling the file out suffices; OR: every disjunct must rule it out.
 */
export function pruneFile(predicate: BoundPredicate, facts: PruneFacts): PruneResult {
  const evaluate = (p: BoundPredicate): PruneResult => {
    switch (p.kind) {
      case 'and': {
        let result: PruneResult = 'keep';
        for (const arg of p.args) {
          const r = evaluate(arg);
          if (r === 'partition') return 'partition';
          if (r === 'stats') result = 'stats';
        }
        return result;
      }
      case 'or': {
        let sawStats = false;
        for (const arg of p.args) {
          const r = evaluate(arg);
          if (r === 'keep') return 'keep';
          if (r === 'stats') sawStats = true;
        }
        if (p.args.length === 0) return 'partition';
        return sawStats ? 'stats' : 'partition';
      }
      default: {
        if (p.column.isPartition) {
          const value = facts.partitionValues.get(p.column.name);
          if (value === undefined) return 'keep';
          return partitionVerdict(value, p) === 'no' ? 'partition' : 'keep';
        }
        return statsVerdict(boundsFor(p.column, facts.stats), p) === 'no' ? 'stats' : 'keep';
      }
    }
  };
  return evaluate(predicate);
}
