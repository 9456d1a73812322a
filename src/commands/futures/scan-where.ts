/**
 * `table scan --where`: the predicate with the command line's time-zone rule applied. A literal
 * compared with a `timestamp` column and written without an offset or Z ('2026-11-20 09:00', or a date
 * alone for its midnight) is ET, read by the one parser of typed times (parseInstantMicros); the Delta
 * library itself reads zone-less text as UTC, as the protocol does for partition values.
 */

import { UsageError } from '../../core/errors.js';
import {
  type DeltaStructType,
  formatMicros,
  type Predicate,
  parsePredicate,
  parseTimestamp,
} from '../../delta/index.js';
import { parseInstantMicros } from '../../market/index.js';

type Literal = Extract<Predicate, { kind: 'compare' }>['value'];

function columnType(schema: DeltaStructType, name: string): unknown {
  const field =
    schema.fields.find((f) => f.name === name) ??
    schema.fields.find((f) => f.name.toLowerCase() === name.toLowerCase());
  return field?.type;
}

function inEt(value: Literal, column: string): Literal {
  if (typeof value !== 'string') return value;
  const parsed = parseTimestamp(value);
  // Zoned, or not a timestamp at all (the library names the bad literal).
  if (parsed === undefined || parsed.zoned) return value;
  try {
    return `${formatMicros(parseInstantMicros(value, { dateOnly: true }).micros)}Z`;
  } catch (error) {
    throw new UsageError(`--where: ${column}: ${error instanceof Error ? error.message : String(error)}`, {
      hint: "Times without an offset are ET; give an offset or Z (e.g. '2026-11-20T14:00:00Z') for another zone.",
    });
  }
}

/** Rewrites the zone-less timestamp literals of a predicate as the UTC instants they mean in ET. */
export function withEtTimestamps(predicate: Predicate, schema: DeltaStructType): Predicate {
  const rewrite = (p: Predicate): Predicate => {
    switch (p.kind) {
      case 'and':
      case 'or':
        return { kind: p.kind, args: p.args.map(rewrite) };
      case 'isNull':
        return p;
      default: {
        if (columnType(schema, p.column) !== 'timestamp') return p;
        if (p.kind === 'compare') return { ...p, value: inEt(p.value, p.column) };
        if (p.kind === 'between') return { ...p, low: inEt(p.low, p.column), high: inEt(p.high, p.column) };
        return { ...p, values: p.values.map((v) => inEt(v, p.column)) };
      }
    }
  };
  return rewrite(predicate);
}

/** The --where text as a predicate under the ET rule. */
export function scanPredicate(text: string, schema: DeltaStructType): Predicate {
  return withEtTimestamps(parsePredicate(text), schema);
}
