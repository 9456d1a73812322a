import { existsSync } from 'node:fs';
import path from 'node:path';
import { it } from 'vitest';
import { SHARED } from '../../helpers/bin.js';

/** The golden Delta tables (delta-io, delta-rs, Spark), read in place from ../shared beside the checkout. */
export const GOLDEN = path.join(SHARED, 'delta-golden');

/**
 * Whether `dir` (inside the golden tables) exists. When it does not, the golden tests skip on a
 * developer machine, but under CI (CI set in the environment) a failing test is registered in their
 * place, so CI cannot go green without them.
 */
export function haveGolden(dir: string = GOLDEN): boolean {
  if (existsSync(dir)) return true;
  if (process.env.CI) {
    it('finds the golden tables', () => {
      throw new Error(`Golden tables not found at ${dir}: CI needs ../shared beside the checkout.`);
    });
  }
  return false;
}
