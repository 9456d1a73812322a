/** Documents kept per lake version: asked again they come from memory, until a commit lands. */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DocumentCache, lakeVersions } from '../../../src/app/dashboard/document-cache.js';
import { appendToLake } from '../../../src/lake/index.js';

let dir: string;

const oneRow = (ms: number) => ({
  sql: `SELECT make_timestamptz(${ms * 1000}) AS ts, DATE '2026-03-10' AS trade_date, 'overnight' AS segment,
    'ES' AS symbol, 'FUT' AS sec_type, 1 AS con_id, 'ESH6' AS local_symbol, 6000.0 AS bid, 6000.25 AS ask,
    6000.25 AS "last", 6000.125 AS mid, 1 AS market_data_type, CAST([] AS VARCHAR[]) AS quality, 'sim' AS source`,
});

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'dash-cache-'));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('DocumentCache', () => {
  it('computes once per key and lake version, again after a commit, and keeps no failure', async () => {
    expect(await lakeVersions(dir)).toEqual({
      futures_snapshots: null,
      futures_bars: null,
      signal_runs: null,
    });
    const cache = new DocumentCache(() => lakeVersions(dir));
    let made = 0;
    const make = async () => ({ n: ++made });
    expect(await cache.get('premarket 2026-03-10 09:25', make)).toEqual({ n: 1 });
    expect(await cache.get('premarket 2026-03-10 09:25', make)).toEqual({ n: 1 });
    expect(await cache.get('regime 2026-03-10 09:25', make)).toEqual({ n: 2 });

    await appendToLake(dir, 'futures_snapshots', oneRow(Date.parse('2026-03-10T12:00:00Z')));
    const v0 = (await lakeVersions(dir)).futures_snapshots;
    expect(v0).not.toBeNull();
    expect(await cache.get('premarket 2026-03-10 09:25', make)).toEqual({ n: 3 });
    expect(await cache.get('premarket 2026-03-10 09:25', make)).toEqual({ n: 3 });
    await appendToLake(dir, 'futures_snapshots', oneRow(Date.parse('2026-03-10T12:01:00Z')));
    expect((await lakeVersions(dir)).futures_snapshots).toBe(v0! + 1);
    expect(await cache.get('premarket 2026-03-10 09:25', make)).toEqual({ n: 4 });
    expect(cache.stats).toEqual({ hits: 2, computed: 4 });

    let fail = true;
    const flaky = async () => {
      if (fail) throw new Error('lake busy');
      return { ok: true };
    };
    await expect(cache.get('flaky', flaky)).rejects.toThrow('lake busy');
    fail = false;
    expect(await cache.get('flaky', flaky)).toEqual({ ok: true });
  });

  it('shares one computation between concurrent asks', async () => {
    const cache = new DocumentCache(() => lakeVersions(dir));
    let made = 0;
    let release: () => void = () => {};
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const make = async () => {
      made++;
      await gate;
      return { made };
    };
    const both = Promise.all([cache.get('same', make), cache.get('same', make)]);
    // Both asks await the versions before looking up the key; let them get there, then finish.
    await new Promise((resolve) => setTimeout(resolve, 50));
    release();
    expect(await both).toEqual([{ made: 1 }, { made: 1 }]);
  });
});
