import { describe, expect, it } from 'vitest';
import { harness, TUESDAY_10_ET } from '../app/collect/helpers.js';
import { allRows } from '../commands/futures-collect/expect.js';

/**
 * Liveness judged by the data, not by the socket: a futures line whose data stops arriving while the
 * connection is up is found by the age of its last trade and requested again; a snapshot taken across a
 * restore (1102) or a market data farm flap (2103→2104) is requested again rather than trusted. The
 * simulator serves such lines from a frozen cache (frozenQuotes fault; during 2103, policy).
 */

const CONFIG = {
  collect: { firstRunLookbackSeconds: 0 },
  ib: { requestTimeoutMs: 3_000, snapshotTimeoutMs: 3_000 },
};

async function collectOnce(faults: unknown[], options: { ib?: object; snapshotEndDelayMs?: number } = {}) {
  const h = await harness(TUESDAY_10_ET, {
    config: { ...CONFIG, ib: { ...CONFIG.ib, ...options.ib } },
    faults,
    ...(options.snapshotEndDelayMs ? { snapshotEndDelayMs: options.snapshotEndDelayMs } : {}),
  });
  const run = await h.run(['collect', '--once', '--json']);
  const rows = await allRows(h.dataDir);
  const row = (symbol: string) => rows.find((r) => r.symbol === symbol);
  return { h, run, row, fired: h.sim.stats().faultsFired };
}

describe('data-age liveness per instrument', () => {
  it('a line served 10 min old while the connection is up is requested again and stored fresh', async () => {
    const c = await collectOnce([{ type: 'frozenQuotes', symbols: ['ES'], ageMs: 600_000, requests: 1 }]);
    expect(c.run.code).toBe(0);
    expect(c.fired.filter((f) => f.includes('frozenQuotes'))).toHaveLength(1);
    expect(c.run.stderr).toMatch(
      /ES: data was 600 s old while the connection was up; requested again: fresh/,
    );
    expect(c.row('ES')?.quality).not.toContain('stale');
    expect(c.row('ES')?.ts?.toISOString()).toBe(TUESDAY_10_ET.toISOString());
  });

  it('a line that stays frozen is stored flagged stale, with a warning naming it and its data age', async () => {
    const c = await collectOnce([{ type: 'frozenQuotes', symbols: ['NQ'], ageMs: 900_000 }]);
    expect(c.run.code).toBe(0);
    expect(c.fired.filter((f) => f.includes('frozenQuotes NQ'))).toHaveLength(2);
    expect(c.run.stderr).toMatch(
      /warning: NQ: no new data for 900 s while CME trades \(connection up, farms OK\); requested again, still old/,
    );
    expect(c.row('NQ')?.quality).toContain('stale');
    expect(c.row('ES')?.quality).not.toContain('stale');
  });

  it('a line frozen for several rounds is warned about once, every row flagged stale', async () => {
    const h = await harness(TUESDAY_10_ET, {
      config: CONFIG,
      faults: [{ type: 'frozenQuotes', symbols: ['NQ'], ageMs: 900_000 }],
    });
    const run = await h.run(['collect', '--rounds', '3', '--json']);
    expect(run.code).toBe(0);
    expect(run.stderr.match(/warning: NQ: no new data/g)).toHaveLength(1);
    expect(run.stderr).not.toMatch(/NQ: data arrives again/);
    const nq = (await allRows(h.dataDir)).filter((r) => r.symbol === 'NQ');
    expect(nq).toHaveLength(3);
    expect(nq.every((r) => r.quality.includes('stale'))).toBe(true);
  });

  it('the VIX index is not held to a futures line’s data age', async () => {
    const c = await collectOnce([{ type: 'frozenQuotes', symbols: ['VIX'], ageMs: 900_000 }]);
    expect(c.fired.filter((f) => f.includes('frozenQuotes VIX'))).toHaveLength(1);
    expect(c.row('VIX')?.quality).toContain('stale');
  });
});

describe('lines re-verified after a restore or a farm flap', () => {
  it('2103→2104 while the snapshots are out: each line taken while the farm was down is requested again', async () => {
    // The farm breaks on the 4th request (a contract request) and is back 100 ms later; the snapshots
    // go out at once (farmWaitMs 0) and end 1 s later, after the 2104.
    const c = await collectOnce(
      [
        {
          type: 'systemMessages',
          afterMessages: 4,
          codes: [2103, 2104],
          intervalMs: 100,
          holdRequests: false,
        },
      ],
      { ib: { farmWaitMs: 0 }, snapshotEndDelayMs: 1_000 },
    );
    expect(c.run.code).toBe(0);
    expect(c.run.stderr).toMatch(/IB 2103: Market data farm connection is broken/);
    const again = c.run.stderr.match(
      /snapshot taken across a connectivity restore or farm recovery; requested again/g,
    );
    expect(again).toHaveLength(4);
    for (const symbol of ['ES', 'NQ', 'RTY', 'VIX'])
      expect(c.row(symbol)?.quality).not.toContain('farm_degraded');
  });

  it('1100→1102 ("data maintained") during the round: the lines are requested again, not trusted', async () => {
    const c = await collectOnce([
      { type: 'systemMessages', afterMessages: 4, codes: [1100, 1102], intervalMs: 100, holdRequests: false },
    ]);
    expect(c.run.code).toBe(0);
    expect(c.run.stderr).toMatch(/IB 1102: connectivity restored/);
    const again =
      c.run.stderr.match(/across a connectivity restore or farm recovery; requested again/g) ?? [];
    expect(again.length).toBeGreaterThanOrEqual(1);
    expect(JSON.parse(c.run.stdout).slots.done).toBe(4);
  });
});
