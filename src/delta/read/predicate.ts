/**
 * Row predicates for scans: the AST, a small parser for predicate text
 * (`ts >= '2026-01-02T00:00:00Z' AND symbol IN ('ES','NQ')`), binding to a table schema (literals
 * coerced to the column's type), and rendering as a DuckDB SQL filter.
 *
 * The full predicate is always applied as SQL; file pruning (prune.ts) is only an optimisation.
 */

import { DeltaPredicateError } from '../errors.js';
import type { DeltaStructType, DeltaType } from '../log/types.js';
import {
  parseDate,
  parseScalarText,
  parseTimestamp,
  type Scalar,
  scalarToSql,
  scalarTypeOf,
} from './scalar.js';
import { deltaTypeToDuckDb, quoteIdentifier } from './schema.js';

export type LiteralValue = string | number | bigint | boolean | Date;
export type CompareOp = '=' | '!=' | '<' | '<=' | '>' | '>=';

export type Predicate =
  | { kind: 'and'; args: Predicate[] }
  | { kind: 'or'; args: Predicate[] }
  | { kind: 'compare'; column: string; op: CompareOp; value: LiteralValue }
  | { kind: 'between'; column: string; low: LiteralValue; high: LiteralValue }
  | { kind: 'in'; column: string; values: LiteralValue[] }
  | { kind: 'isNull'; column: string; negated: boolean };

// Small builders for code that constructs predicates.
export const and = (...args: Predicate[]): Predicate => ({ kind: 'and', args });
export const or = (...args: Predicate[]): Predicate => ({ kind: 'or', args });
export const compare = (column: string, op: CompareOp, value: LiteralValue): Predicate => ({
  kind: 'compare',
  column,
  op,
  value,
});
export const between = (column: string, low: LiteralValue, high: LiteralValue): Predicate => ({
  kind: 'between',
  column,
  low,
  high,
});
export const inList = (column: string, values: LiteralValue[]): Predicate => ({ kind: 'in', column, values });
export const isNull = (column: string, negated = false): Predicate => ({ kind: 'isNull', column, negated });

// ---------------------------------------------------------------------------------------------
// Parser

type Token =
  | { t: 'ident'; v: string; pos: number }
  | { t: 'string'; v: string; pos: number }
  | { t: 'number'; v: string; pos: number }
  | { t: 'op'; v: string; pos: number }
  | { t: 'punct'; v: '(' | ')' | ','; pos: number }
  | { t: 'end'; pos: number };

const PREDICATE_HINT =
  "Example: ts >= '2026-01-02T00:00:00Z' AND symbol IN ('ES','NQ') (operators =, !=, <, <=, >, >=, BETWEEN … AND …, IN (…), IS [NOT] NULL, AND, OR, parentheses; quote strings, dates and timestamps with single quotes).";

function predicateError(text: string, pos: number, why: string): DeltaPredicateError {
  return new DeltaPredicateError(
    `Invalid predicate at position ${pos + 1}: ${why}.\n  ${text}\n  ${' '.repeat(pos)}^`,
    {
      hint: PREDICATE_HINT,
    },
  );
}

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const ch = text[i] as string;
    if (/\s/.test(ch)) {
      i++;
      continue;
    }
    const start = i;
    if (ch === "'") {
      let value = '';
      i++;
      for (;;) {
        if (i >= text.length) throw predicateError(text, start, 'unterminated string literal');
        const c = text[i] as string;
        if (c === "'") {
          if (text[i + 1] === "'") {
            value += "'";
            i += 2;
            continue;
          }
          i++;
          break;
        }
        value += c;
        i++;
      }
      tokens.push({ t: 'string', v: value, pos: start });
      continue;
    }
    if (ch === '"') {
      const end = text.indexOf('"', i + 1);
      if (end < 0) throw predicateError(text, start, 'unterminated quoted column name');
      tokens.push({ t: 'ident', v: text.slice(i + 1, end), pos: start });
      i = end + 1;
      continue;
    }
    const number = /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?/i.exec(text.slice(i));
    const prev = tokens[tokens.length - 1];
    const signAllowed =
      !prev || prev.t === 'op' || (prev.t === 'punct' && prev.v !== ')') || prev.t === 'ident';
    if (number && (/\d|\./.test(ch) || signAllowed)) {
      tokens.push({ t: 'number', v: number[0], pos: start });
      i += number[0].length;
      continue;
    }
    const op = /^(<=|>=|!=|<>|==|=|<|>)/.exec(text.slice(i));
    if (op) {
      tokens.push({ t: 'op', v: op[0] === '<>' ? '!=' : op[0] === '==' ? '=' : op[0], pos: start });
      i += op[0].length;
      continue;
    }
    if (ch === '(' || ch === ')' || ch === ',') {
      tokens.push({ t: 'punct', v: ch, pos: start });
      i++;
      continue;
    }
    const ident = /^[A-Za-z_][A-Za-z0-9_.]*/.exec(text.slice(i));
    if (ident) {
      tokens.push({ t: 'ident', v: ident[0], pos: start });
      i += ident[0].length;
      continue;
    }
    throw predicateError(text, start, `unexpected character '${ch}'`);
  }
  tokens.push({ t: 'end', pos: text.length });
  return tokens;
}

/** Deeper nesting is refused (the recursive parser, binder and pruner would overflow the stack). */
export const MAX_PREDICATE_DEPTH = 256;

class PredicateParser {
  private i = 0;
  private depth = 0;
  constructor(
    private readonly text: string,
    private readonly tokens: Token[],
  ) {}

  parse(): Predicate {
    const p = this.parseOr();
    const t = this.peek();
    if (t.t !== 'end') throw this.error(t, 'expected AND, OR or the end of the predicate');
    return p;
  }

  private peek(): Token {
    return this.tokens[this.i] as Token;
  }
  private next(): Token {
    return this.tokens[this.i++] as Token;
  }
  private error(t: Token, why: string): DeltaPredicateError {
    return predicateError(this.text, t.pos, why);
  }
  private isKeyword(t: Token, word: string): boolean {
    return t.t === 'ident' && t.v.toUpperCase() === word;
  }
  private expectKeyword(word: string): void {
    const t = this.next();
    if (!this.isKeyword(t, word)) throw this.error(t, `expected ${word}`);
  }

  private parseOr(): Predicate {
    const args = [this.parseAnd()];
    while (this.isKeyword(this.peek(), 'OR')) {
      this.next();
      args.push(this.parseAnd());
    }
    return args.length === 1 ? (args[0] as Predicate) : { kind: 'or', args };
  }

  private parseAnd(): Predicate {
    const args = [this.parseAtom()];
    while (this.isKeyword(this.peek(), 'AND')) {
      this.next();
      args.push(this.parseAtom());
    }
    return args.length === 1 ? (args[0] as Predicate) : { kind: 'and', args };
  }

  private parseAtom(): Predicate {
    const t = this.next();
    if (t.t === 'punct' && t.v === '(') {
      if (++this.depth > MAX_PREDICATE_DEPTH) {
        throw this.error(t, `parentheses nested deeper than ${MAX_PREDICATE_DEPTH} levels`);
      }
      const inner = this.parseOr();
      const close = this.next();
      if (!(close.t === 'punct' && close.v === ')')) throw this.error(close, "expected ')'");
      this.depth--;
      return inner;
    }
    if (t.t !== 'ident' || ['AND', 'OR', 'IN', 'BETWEEN', 'IS', 'NOT'].includes(t.v.toUpperCase())) {
      throw this.error(t, 'expected a column name');
    }
    const column = t.v;
    const op = this.next();
    if (op.t === 'op') return { kind: 'compare', column, op: op.v as CompareOp, value: this.literal() };
    if (this.isKeyword(op, 'BETWEEN')) {
      const low = this.literal();
      this.expectKeyword('AND');
      return { kind: 'between', column, low, high: this.literal() };
    }
    if (this.isKeyword(op, 'IN')) {
      const open = this.next();
      if (!(open.t === 'punct' && open.v === '(')) throw this.error(open, "expected '(' after IN");
      const values = [this.literal()];
      for (;;) {
        const sep = this.next();
        if (sep.t === 'punct' && sep.v === ')') break;
        if (!(sep.t === 'punct' && sep.v === ',')) throw this.error(sep, "expected ',' or ')'");
        values.push(this.literal());
      }
      return { kind: 'in', column, values };
    }
    if (this.isKeyword(op, 'IS')) {
      let negated = false;
      if (this.isKeyword(this.peek(), 'NOT')) {
        this.next();
        negated = true;
      }
      this.expectKeyword('NULL');
      return { kind: 'isNull', column, negated };
    }
    throw this.error(
      op,
      `expected an operator after '${column}' (=, !=, <, <=, >, >=, BETWEEN, IN, IS NULL)`,
    );
  }

  private literal(): LiteralValue {
    const t = this.next();
    if (t.t === 'string') return t.v;
    if (t.t === 'number') {
      if (/^[+-]?\d+$/.test(t.v)) {
        const big = BigInt(t.v);
        return big <= BigInt(Number.MAX_SAFE_INTEGER) && big >= BigInt(Number.MIN_SAFE_INTEGER)
          ? Number(big)
          : big;
      }
      return Number(t.v);
    }
    if (this.isKeyword(t, 'TRUE')) return true;
    if (this.isKeyword(t, 'FALSE')) return false;
    // DATE '…' / TIMESTAMP '…' typed literals: the type comes from the column anyway.
    if (this.isKeyword(t, 'DATE') || this.isKeyword(t, 'TIMESTAMP') || this.isKeyword(t, 'TIMESTAMPTZ')) {
      const s = this.next();
      if (s.t === 'string') return s.v;
      throw this.error(s, `expected a quoted value after ${(t as { v: string }).v}`);
    }
    if (this.isKeyword(t, 'NULL')) throw this.error(t, 'compare with NULL using IS NULL / IS NOT NULL');
    if (t.t === 'end') throw this.error(t, 'expected a value, found the end of the predicate');
    throw this.error(t, "expected a value (a number, TRUE/FALSE, or a 'quoted' string/date/timestamp)");
  }
}

/** Parses predicate text. Throws DeltaPredicateError pointing at the offending position. */
export function parsePredicate(text: string): Predicate {
  if (text.trim() === '') throw new DeltaPredicateError('The predicate is empty.', { hint: PREDICATE_HINT });
  return new PredicateParser(text, tokenize(text)).parse();
}

// ---------------------------------------------------------------------------------------------
// Binding to a schema

export interface BoundColumn {
  /** The column's name as in the schema. */
  name: string;
  type: DeltaType;
  isPartition: boolean;
}

export type BoundPredicate =
  | { kind: 'and' | 'or'; args: BoundPredicate[] }
  | { kind: 'compare'; column: BoundColumn; op: CompareOp; value: Scalar }
  | { kind: 'between'; column: BoundColumn; low: Scalar; high: Scalar }
  | { kind: 'in'; column: BoundColumn; values: Scalar[] }
  | { kind: 'isNull'; column: BoundColumn; negated: boolean };

function coerceLiteral(value: LiteralValue, column: BoundColumn): Scalar {
  const kind = scalarTypeOf(column.type);
  const fail = (why: string) =>
    new DeltaPredicateError(
      `Invalid predicate: ${why} (column '${column.name}' has type ${typeof column.type === 'string' ? column.type : column.type.type}).`,
      { hint: PREDICATE_HINT },
    );
  if (kind === undefined || kind === 'binary') throw fail('cannot filter on this column type');
  if (value instanceof Date) {
    if (Number.isNaN(value.getTime())) throw fail('invalid Date');
    if (kind === 'timestamp' || kind === 'timestamp_ntz')
      return { type: kind, value: BigInt(value.getTime()) * 1000n };
    if (kind === 'date') return { type: 'date', value: Math.floor(value.getTime() / 86_400_000) };
    throw fail('a Date value needs a date or timestamp column');
  }
  if (typeof value === 'boolean') {
    if (kind !== 'boolean') throw fail(`${value} is a boolean`);
    return { type: 'boolean', value };
  }
  if (typeof value === 'number' || typeof value === 'bigint') {
    if (kind === 'integer') {
      if (typeof value === 'number' && !Number.isInteger(value)) {
        // An integer column compared with a fraction: DuckDB compares numerically, keep it exact.
        throw fail(`${value} is not an integer`);
      }
      const scalar = parseScalarText(String(value), column.type);
      if (!scalar) throw fail(`${value} is out of range`);
      return scalar;
    }
    if (kind === 'float') return { type: 'float', value: Number(value) };
    if (kind === 'decimal') {
      const scalar = parseScalarText(String(value), column.type);
      if (!scalar) throw fail(`${value} is not a decimal`);
      return scalar;
    }
    throw fail(`${String(value)} is a number; quote ${kind} values, e.g. '…'`);
  }
  // A string literal: parse by the column's type.
  if (kind === 'date') {
    const days = parseDate(value);
    if (days === undefined) throw fail(`'${value}' is not a date (YYYY-MM-DD)`);
    return { type: 'date', value: days };
  }
  if (kind === 'timestamp' || kind === 'timestamp_ntz') {
    const parsed = parseTimestamp(value);
    if (!parsed) throw fail(`'${value}' is not a timestamp (e.g. 2026-01-02T15:04:05Z)`);
    if (kind === 'timestamp_ntz' && parsed.zoned) {
      throw fail(`'${value}' has a time zone but timestamp_ntz values have none; drop the zone`);
    }
    return { type: kind, value: parsed.micros };
  }
  const scalar = parseScalarText(value, column.type);
  if (!scalar)
    throw fail(`'${value}' is not a valid ${typeof column.type === 'string' ? column.type : kind} value`);
  return scalar;
}

/** Resolves columns (exact name, else case-insensitive) and coerces literals to column types. */
export function bindPredicate(
  predicate: Predicate,
  schema: DeltaStructType,
  partitionColumns: readonly string[],
): BoundPredicate {
  const partitions = new Set(partitionColumns);
  const resolve = (name: string): BoundColumn => {
    const field =
      schema.fields.find((f) => f.name === name) ??
      schema.fields.find((f) => f.name.toLowerCase() === name.toLowerCase());
    if (!field) {
      throw new DeltaPredicateError(`Invalid predicate: no column '${name}'.`, {
        hint: `Columns: ${schema.fields.map((f) => f.name).join(', ')}.`,
      });
    }
    return { name: field.name, type: field.type, isPartition: partitions.has(field.name) };
  };
  const bind = (p: Predicate): BoundPredicate => {
    switch (p.kind) {
      case 'and':
      case 'or':
        return { kind: p.kind, args: p.args.map(bind) };
      case 'compare': {
        const column = resolve(p.column);
        return { kind: 'compare', column, op: p.op, value: coerceLiteral(p.value, column) };
      }
      case 'between': {
        const column = resolve(p.column);
        return {
          kind: 'between',
          column,
          low: coerceLiteral(p.low, column),
          high: coerceLiteral(p.high, column),
        };
      }
      case 'in': {
        const column = resolve(p.column);
        return { kind: 'in', column, values: p.values.map((v) => coerceLiteral(v, column)) };
      }
      case 'isNull':
        return { kind: 'isNull', column: resolve(p.column), negated: p.negated };
    }
  };
  return bind(predicate);
}

/** The predicate as a DuckDB boolean expression over columns named as in the schema. */
export function predicateToSql(predicate: BoundPredicate): string {
  switch (predicate.kind) {
    case 'and':
    case 'or':
      if (predicate.args.length === 0) return predicate.kind === 'and' ? 'TRUE' : 'FALSE';
      return `(${predicate.args.map(predicateToSql).join(predicate.kind === 'and' ? ' AND ' : ' OR ')})`;
    case 'compare': {
      const type = deltaTypeToDuckDb(predicate.column.type);
      const op = predicate.op === '!=' ? '<>' : predicate.op;
      return `(${quoteIdentifier(predicate.column.name)} ${op} ${scalarToSql(predicate.value, type)})`;
    }
    case 'between': {
      const type = deltaTypeToDuckDb(predicate.column.type);
      return `(${quoteIdentifier(predicate.column.name)} BETWEEN ${scalarToSql(predicate.low, type)} AND ${scalarToSql(predicate.high, type)})`;
    }
    case 'in': {
      const type = deltaTypeToDuckDb(predicate.column.type);
      return `(${quoteIdentifier(predicate.column.name)} IN (${predicate.values.map((v) => scalarToSql(v, type)).join(', ')}))`;
    }
    case 'isNull':
      return `(${quoteIdentifier(predicate.column.name)} IS ${predicate.negated ? 'NOT ' : ''}NULL)`;
  }
}
