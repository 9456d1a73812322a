/**
 * The one seeded pseudo-random generator of the tests. Random timing (kill delays) is drawn from it so a
 * failing run can be replayed: a suite prints its seed and names it in failure messages, and
 * FUTURES_TEST_SEED=<n> makes the next run use that seed.
 */

/** A linear congruential generator: numbers in [0, 1), the same sequence for the same seed. */
export function lcg(seed: number): () => number {
  let s = seed;
  return () => {
    s = (s * 1103515245 + 12345) % 2 ** 31;
    return s / 2 ** 31;
  };
}

export interface SeededRandom {
  seed: number;
  /** Numbers in [0, 1). */
  next: () => number;
  /** An integer in [lo, hi]. */
  int: (lo: number, hi: number) => number;
  /** "seed <n> (replay with FUTURES_TEST_SEED=<n>)", for failure messages. */
  replay: string;
}

/**
 * The random source of one suite: seeded by FUTURES_TEST_SEED when set, else by a fresh seed each run
 * (so runs keep exploring different timings). The seed is printed.
 */
export function seededRandom(suite: string): SeededRandom {
  const raw = process.env.FUTURES_TEST_SEED;
  const seed = raw === undefined || raw === '' ? Math.floor(Math.random() * 2 ** 31) : Number(raw);
  if (!Number.isSafeInteger(seed) || seed < 0) {
    throw new Error(`FUTURES_TEST_SEED must be a non-negative integer, not ${JSON.stringify(raw)}.`);
  }
  const replay = `seed ${seed} (replay with FUTURES_TEST_SEED=${seed})`;
  console.info(`${suite}: random ${replay}`);
  const next = lcg(seed);
  return { seed, next, int: (lo, hi) => lo + Math.floor(next() * (hi - lo + 1)), replay };
}
