/**
 * Numeric flag values, read strictly: `z.coerce.number()` turns '' and ' ' into 0 and accepts 0x10 and
 * 1e3, so `--version "$V"` with an unset V silently read version 0. A flag value must be written as a
 * plain decimal number; numbers that come from the config file (already numbers) pass through.
 */
import { z } from 'zod';

const INTEGER = /^[+-]?\d+$/;
const DECIMAL = /^[+-]?(\d+(\.\d*)?|\.\d+)$/;

function strict(pattern: RegExp, expected: string) {
  return z.union([z.string(), z.number()]).transform((value, ctx) => {
    if (typeof value === 'number') return value;
    const text = value.trim();
    if (!pattern.test(text)) {
      ctx.addIssue({
        code: 'custom',
        message: `expected ${expected}, got ${value.trim() === '' ? 'an empty value' : `'${value}'`}`,
      });
      return z.NEVER;
    }
    return Number(text);
  });
}

/** A whole number written in decimal digits ('' , '0x10', '1e3', '1.5' are refused). */
export function integerFlag() {
  return strict(INTEGER, 'a whole number').pipe(z.number().int().safe());
}

/** A decimal number ('', '0x10', '1e3', 'NaN', 'Infinity' are refused). */
export function decimalFlag() {
  return strict(DECIMAL, 'a decimal number').pipe(z.number().finite());
}

/** The same rule for an environment variable's text: the number, or undefined when it is not one. */
export function strictInteger(text: string): number | undefined {
  const trimmed = text.trim();
  return INTEGER.test(trimmed) ? Number(trimmed) : undefined;
}
