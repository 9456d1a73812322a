/** Deterministic hashing for the market model: every random number is a pure function of its inputs. */

/** A 32-bit mix of three integers (murmur3-style finaliser). Unsigned result. */
export function hash32(a: number, b: number, c: number): number {
  let h =
    Math.imul(a | 0, 0x9e3779b1) ^ Math.imul(b | 0, 0x85ebca77) ^ Math.imul((c | 0) + 0x27d4eb2f, 0xc2b2ae3d);
  h ^= Math.floor(c / 4294967296) | 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** Uniform in (0, 1). */
export function uniform(a: number, b: number, c: number): number {
  return (hash32(a, b, c) + 0.5) / 4294967296;
}

/** Standard normal via Box–Muller from two hashed uniforms. */
export function gaussian(seed: number, stream: number, index: number): number {
  const u1 = uniform(seed, stream * 2 + 1, index);
  const u2 = uniform(seed ^ 0x5bd1e995, stream * 2 + 2, index);
  return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
}

/** Six standard normals for one index: three Box–Muller pairs (cheaper than six single draws). */
export function gaussianPairs(seed: number, index: number, out: Float64Array): void {
  for (let k = 0; k < 3; k++) {
    const u1 = uniform(seed, 2 * k + 1, index);
    const u2 = uniform(seed ^ 0x5bd1e995, 2 * k + 2, index);
    const r = Math.sqrt(-2 * Math.log(u1));
    const theta = 2 * Math.PI * u2;
    out[2 * k] = r * Math.cos(theta);
    out[2 * k + 1] = r * Math.sin(theta);
  }
}
