/**
 * Canonical JSON text of rows (no DuckDB dependency, so renderers can import it without loading DuckDB).
 * BIGINT beyond 2^53 is kept as bigint and written as exact digits.
 */

export type CanonicalValue =
  | null
  | boolean
  | number
  | bigint
  | string
  | CanonicalValue[]
  | { [key: string]: CanonicalValue };

export type CanonicalRow = Record<string, CanonicalValue>;

/**
 * Compact JSON; bigint written as exact digits. With sortKeys (the default) object keys are sorted,
 * so two equal rows always give the same text and it doubles as a sort/compare key; without it keys
 * keep their order (column order for scan output).
 */
export function canonicalJson(value: CanonicalValue, sortKeys = true): string {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'boolean':
      return value ? 'true' : 'false';
    case 'bigint':
      return value.toString();
    case 'number':
      return Number.isFinite(value) ? JSON.stringify(value) : JSON.stringify(String(value));
    case 'string':
      return JSON.stringify(value);
  }
  if (Array.isArray(value)) return `[${value.map((v) => canonicalJson(v, sortKeys)).join(',')}]`;
  const keys = sortKeys ? Object.keys(value).sort() : Object.keys(value);
  return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(value[k] as CanonicalValue, sortKeys)}`).join(',')}}`;
}

/** Sorts rows by their canonical JSON text (a stable order for comparison). */
export function sortCanonicalRows<T extends CanonicalValue>(rows: readonly T[]): T[] {
  return rows
    .map((row) => ({ row, key: canonicalJson(row) }))
    .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
    .map((x) => x.row);
}
