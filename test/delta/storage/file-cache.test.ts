/** The local cache of object store files: keyed by location and size, bounded, least recently used out first. */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { FileCache } from '../../../src/delta/storage/file-cache.js';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function cacheOf(maxBytes: number, clock: { t: number }) {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'file-cache-'));
  dirs.push(dir);
  return { dir, cache: new FileCache({ dir, maxBytes, pinMs: 0, now: () => clock.t }) };
}

/** A fetch that writes `bytes` bytes of `fill` and counts its calls. */
function fetcher(bytes: number, fill: string) {
  const calls = { n: 0 };
  const fetch = async (temp: string) => {
    calls.n++;
    writeFileSync(temp, fill.repeat(bytes));
    return bytes;
  };
  return { fetch, calls };
}

describe('FileCache', () => {
  it('downloads once per location and size, and again when the size differs', async () => {
    const clock = { t: 1_000 };
    const { cache } = cacheOf(1_000, clock);
    const a = fetcher(100, 'a');
    const first = await cache.get('s3://b/t/a.parquet', 100, a.fetch);
    expect(await cache.get('s3://b/t/a.parquet', 100, a.fetch)).toBe(first);
    expect(a.calls.n).toBe(1);
    expect(readFileSync(first, 'utf8')).toBe('a'.repeat(100));
    const resized = fetcher(120, 'A');
    const second = await cache.get('s3://b/t/a.parquet', 120, resized.fetch);
    expect(second).not.toBe(first);
    expect(cache.stats).toMatchObject({ hits: 1, misses: 2 });
  });

  it('evicts the least recently used files to stay within its bound', async () => {
    const clock = { t: 1_000 };
    const { cache } = cacheOf(250, clock);
    const one = await cache.get('s3://b/1', 100, fetcher(100, '1').fetch);
    clock.t += 10;
    const two = await cache.get('s3://b/2', 100, fetcher(100, '2').fetch);
    clock.t += 10;
    await cache.get('s3://b/1', 100, fetcher(100, 'x').fetch); // a hit: 1 is now newer than 2
    clock.t += 10;
    const three = await cache.get('s3://b/3', 100, fetcher(100, '3').fetch);
    expect(existsSync(one)).toBe(true);
    expect(existsSync(two)).toBe(false);
    expect(existsSync(three)).toBe(true);
    expect(cache.stats).toMatchObject({ evictions: 1, bytes: 200 });
  });

  it('adopts the files an earlier process left, and refetches one another process evicted', async () => {
    const clock = { t: 1_000 };
    const { dir, cache } = cacheOf(1_000, clock);
    const kept = await cache.get('s3://b/k', 50, fetcher(50, 'k').fetch);
    const again = new FileCache({ dir, maxBytes: 1_000, pinMs: 0, now: () => clock.t });
    const refetch = fetcher(50, 'k');
    expect(await again.get('s3://b/k', 50, refetch.fetch)).toBe(kept);
    expect(refetch.calls.n).toBe(0);
    rmSync(kept);
    expect(readFileSync(await again.get('s3://b/k', 50, refetch.fetch), 'utf8')).toBe('k'.repeat(50));
    expect(refetch.calls.n).toBe(1);
  });
});
