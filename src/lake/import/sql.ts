/** SQL text helpers of the import. */

export function quoteText(value: string): string {
  return `'${value.replaceAll("'", "''")}'`;
}

export function ident(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/** SQL: the time text carries its own offset (Z, ±HH, ±HHMM, ±HH:MM), so --tz does not apply to it. */
export const HAS_OFFSET_SQL = (v: string) => `regexp_matches(${v}, '(Z|[+-]\\d{2}(:?\\d{2})?)$')`;
