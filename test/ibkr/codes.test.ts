import { describe, expect, it } from 'vitest';
import { harness, TUESDAY_10_ET } from '../app/collect/helpers.js';
import { allRows, checkConsistency, snapshotJobs } from '../commands/futures-collect/expect.js';

/**
 * Every IB code src/ibkr/errors.ts handles, driven by a simulator fault through the real client and the
 * collector or backfill in-process, with the outcome a user sees: row flags, slot status and reason,
 * exit code and the warning on stderr.
 */

const CONFIG = {
  collect: { firstRunLookbackSeconds: 0 },
  ib: { requestTimeoutMs: 3_000, snapshotTimeoutMs: 3_000 },
};

async function collectOnce(faults: unknown[]) {
  const h = await harness(TUESDAY_10_ET, { config: CONFIG, faults });
  const run = await h.run(['collect', '--once', '--json']);
  const jobs = await snapshotJobs(await h.queue());
  const rows = await allRows(h.dataDir);
  const job = (symbol: string) => jobs.find((j) => j.symbol === symbol);
  const row = (symbol: string) => rows.find((r) => r.symbol === symbol);
  return { h, run, jobs, rows, job, row, summary: JSON.parse(run.stdout) };
}

async function backfill(faults: unknown[]) {
  const h = await harness(TUESDAY_10_ET, { config: CONFIG, faults });
  const run = await h.run(['backfill', '--symbols', 'ES', '--days', '1', '--bar', '1min', '--json']);
  return { h, run, summary: JSON.parse(run.stdout) };
}

describe('market-data codes through collect --once', () => {
  it.each([10089, 10168])('%i on live data: delayed fallback, row type 3 flagged delayed', async (code) => {
    const c = await collectOnce([{ type: 'marketDataError', code, symbols: ['NQ'], marketDataTypes: [1] }]);
    expect(c.run.code).toBe(0);
    expect(c.job('NQ')?.status).toBe('done');
    expect(c.row('NQ')).toMatchObject({ marketDataType: 3 });
    expect(c.row('NQ')?.quality).toContain('delayed');
    expect(c.row('ES')?.quality).not.toContain('delayed');
  });

  it.each([10090, 10091])('%i: the ticks still flow, the row is stored and flagged partial', async (code) => {
    const c = await collectOnce([{ type: 'marketDataError', code, symbols: ['NQ'] }]);
    expect(c.run.code).toBe(0);
    expect(c.row('NQ')?.quality).toContain('partial');
    expect(c.row('NQ')?.last).not.toBeNull();
    expect(c.row('RTY')?.quality).not.toContain('partial');
  });

  it('10186 for live and delayed: the slot fails for good with the reason, exit 2', async () => {
    const c = await collectOnce([{ type: 'marketDataError', code: 10186, symbols: ['NQ'] }]);
    expect(c.run.code).toBe(2);
    expect(c.job('NQ')).toMatchObject({ status: 'failed', ibErrorCode: 10186 });
    expect(c.job('NQ')?.reason).toMatch(/live or delayed.*Delayed market data is not enabled/);
    expect(c.run.stderr).toMatch(/warning: NQ: .*code 10186/);
    expect(c.rows.map((r) => r.symbol).sort()).toEqual(['ES', 'RTY', 'VIX']);
  });

  it('10197 competing live session: the slot is retried (not failed), and collected once the session is gone', async () => {
    const c = await collectOnce([{ type: 'marketDataError', code: 10197, symbols: ['NQ'] }]);
    expect(c.run.code).toBe(0);
    expect(c.job('NQ')).toMatchObject({ status: 'pending', ibErrorCode: 10197, attempts: 1 });
    expect(c.job('NQ')?.reason).toMatch(/competing live session/);
    expect(c.summary.failures[0]).toMatchObject({ symbol: 'NQ', ibCode: 10197, permanent: false });
    expect(c.run.stderr).toMatch(/warning: NQ: IB refused snapshot of NQU6 for now/);
    c.h.sim.setFaults([]);
    c.h.clock.advance(20_000);
    const again = await c.h.run(['collect', '--once', '--json']);
    expect(again.code).toBe(0);
    const jobs = await snapshotJobs(await c.h.queue());
    expect(jobs.find((j) => j.symbol === 'NQ')?.status).toBe('done');
    expect(checkConsistency(jobs, await allRows(c.h.dataDir))).toEqual([]);
  });

  it('200 while the sec-def farm is broken (2157) is spurious: retried, not failed', async () => {
    const c = await collectOnce([
      { type: 'systemMessages', afterMessages: 0, codes: [2157], holdRequests: false },
      { type: 'noSecurityDefinition', symbols: ['NQ'], sessions: 1 },
    ]);
    expect(c.run.code).toBe(0);
    expect(c.job('NQ')).toMatchObject({ status: 'pending', ibErrorCode: 200 });
    expect(c.run.stderr).toMatch(/IB 2157: Sec-def data farm connection is broken/);
  });

  it('200 with the farms up is a configuration error: failed for good, exit 2', async () => {
    const c = await collectOnce([{ type: 'noSecurityDefinition', symbols: ['NQ'] }]);
    expect(c.run.code).toBe(2);
    expect(c.job('NQ')).toMatchObject({ status: 'failed', ibErrorCode: 200 });
  });

  it('326 client id in use: the next id of the range is taken, the round is stored', async () => {
    const c = await collectOnce([{ type: 'clientIdInUse', clientIds: [101] }]);
    expect(c.run.code).toBe(0);
    expect(c.summary.slots.done).toBe(4);
    expect(c.h.sim.stats().faultsFired).toContainEqual(expect.stringMatching(/clientIdInUse/));
  });

  it('326 on every id of the range: exit 3 naming the ids, nothing failed', async () => {
    const ids = [101, 102, 103, 104, 105, 106, 107, 108, 109, 110];
    const c = await collectOnce([{ type: 'clientIdInUse', clientIds: ids }]);
    expect(c.run.code).toBe(3);
    expect(c.run.stdout).toMatch(/101/);
    expect(c.jobs.every((j) => j.status === 'pending' && j.attempts === 0)).toBe(true);
  });

  it.each([
    [[1100, 1102], 'data maintained'],
    [[1100, 1101], 'data lost: lines re-requested'],
  ])('%j: requests held during the outage, then the round is stored (%s)', async (codes) => {
    const c = await collectOnce([{ type: 'systemMessages', afterMessages: 2, codes, intervalMs: 50 }]);
    expect(c.run.code).toBe(0);
    expect(c.summary.slots.done).toBe(4);
    expect(c.run.stderr).toMatch(/IB 1100: Connectivity between IB and Trader Workstation has been lost/);
    expect(checkConsistency(c.jobs, c.rows)).toEqual([]);
  });

  it('2103↔2104 flapping: warned, the round is stored', async () => {
    const c = await collectOnce([
      {
        type: 'systemMessages',
        afterMessages: 1,
        codes: [2103, 2104, 2103, 2104],
        intervalMs: 30,
        holdRequests: false,
      },
    ]);
    expect(c.run.code).toBe(0);
    expect(c.summary.slots.done).toBe(4);
    expect(c.run.stderr).toMatch(/IB 2103: Market data farm connection is broken:usfarm/);
  });
});

describe('historical codes through backfill', () => {
  it.each([
    ['cancelled', /API historical data query cancelled/],
    ['competingSession', /connected from a different IP address/],
    ['liveUpdatesDisconnected', /Failed to request live updates \(disconnected\)\. \(code 10182\)/],
  ])('%s: transient, the job is retried, exit 3', async (error, text) => {
    const b = await backfill([{ type: 'historicalError', error }]);
    expect(b.run.code).toBe(3);
    expect(b.summary.jobs).toMatchObject({ failed: 0, retried: 1 });
    expect(b.run.stderr).toMatch(text);
  });

  it('166 expired contract: the job fails for good, exit 2, code in the summary', async () => {
    const b = await backfill([{ type: 'historicalError', error: 'expired' }]);
    expect(b.run.code).toBe(2);
    expect(b.summary.jobs).toMatchObject({ failed: 1 });
    expect(b.summary.failures[0]).toMatchObject({ ibCode: 166, permanent: true });
  });

  it('a historical request that never answers: a typed timeout (not an empty result), retried, exit 3', async () => {
    const b = await backfill([{ type: 'historicalSilence' }]);
    expect(b.run.code).toBe(3);
    expect(b.summary.jobs).toMatchObject({ done: 0, retried: 1 });
    expect(b.summary.bars.written).toBe(0);
    expect(b.run.stderr).toMatch(/did not complete 1 min TRADES bars of ESU6 .* within 3000 ms/);
    expect(b.h.sim.stats().faultsFired).toEqual(['conn 1: historicalSilence reqId 2']);
  });
});

describe('codes with no outcome of their own', () => {
  it('366 (cancel of a query the gateway no longer knows) and 162 "cancelled" after our own cancel are only logged', async () => {
    const { classifyIbError } = await import('../../src/ibkr/index.js');
    expect(classifyIbError(366)).toMatchObject({ action: 'ignore', transient: false });
    // In flight, a cancelled query was dropped by IB: transient (the request is retried, see above).
    expect(classifyIbError(162, 'API historical data query cancelled: 7')).toMatchObject({ transient: true });
  });
});
