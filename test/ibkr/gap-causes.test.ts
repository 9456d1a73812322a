import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { harness, TUESDAY_10_ET } from '../app/collect/helpers.js';
import { snapshotJobs } from '../commands/futures-collect/expect.js';

/**
 * `futures status` names the cause of every gap from what the collector recorded when it could not
 * collect: the gateway refusing, IB interrupted (1100) inside or outside its nightly reset window, a
 * competing session (10197), nobody collecting. The collector runs against the simulator (or a closed
 * port), the slots go missed on the next run, and status groups them.
 */

const CONFIG = {
  collect: { firstRunLookbackSeconds: 0, maxLatenessSeconds: 300 },
  ib: { requestTimeoutMs: 2_000, snapshotTimeoutMs: 2_000, connectTimeoutMs: 3_000 },
};

/** A loopback port nobody listens on (connection refused). */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

interface StatusDoc {
  gaps: Array<{ symbol: string; kind: string; cause: string; slots: number; code: number | null }>;
  gapCauses: Array<{ cause: string; text: string; slots: number }>;
}

/**
 * Cron's path: `collect --once` every minute for `minutes` minutes (default 4) with the fault on (a
 * closed port when `refused`), then the fault gone and one run five minutes later, which marks those
 * slots missed (and collects the rest); then status.
 */
async function gapAfter(
  start: Date,
  faults: unknown[],
  options: { refused?: boolean; minutes?: number } = {},
) {
  const minutes = options.minutes ?? 4;
  const h = await harness(start, { config: CONFIG, faults });
  const refused = options.refused
    ? { factory: { target: { host: '127.0.0.1', port: await closedPort() } } }
    : {};
  const codes: number[] = [];
  for (let minute = 0; minute < minutes; minute++) {
    codes.push((await h.run(['collect', '--once', '--json'], refused)).code);
    h.clock.advance(60_000);
  }
  h.sim.setFaults([]);
  h.clock.advance(5 * 60_000);
  const last = await h.run(['collect', '--once', '--json']);
  expect(last.code).toBe(0);
  const jobs = await snapshotJobs(await h.queue());
  const status = await h.run(['status', '--json']);
  const human = await h.run(['status']);
  return { codes, jobs, doc: JSON.parse(status.stdout) as StatusDoc, human: human.stdout };
}

describe('futures status names the cause of a gap', () => {
  it('gateway not running (connection refused): code 502, "gateway not running"', async () => {
    const g = await gapAfter(TUESDAY_10_ET, [], { refused: true });
    expect(g.codes).toEqual([3, 3, 3, 3]);
    const missed = g.jobs.filter((j) => j.status === 'missed');
    expect(missed).toHaveLength(16);
    expect(missed.every((j) => j.ibErrorCode === 502)).toBe(true);
    expect(g.doc.gapCauses).toEqual([
      { cause: 'gateway_down', text: 'gateway not running or connection refused', slots: 16 },
    ]);
    expect(g.human).toMatch(/^gap\tES\tmissed\t\S+\t\S+\t4\tgateway_down\t502$/m);
    expect(g.human).not.toMatch(/unexplained/);
  });

  it.each([
    ['outside the reset window: IB outage', TUESDAY_10_ET, 'ib_outage'],
    ['at 23:50 ET on a Tuesday: IB daily reset', new Date('2026-09-02T03:50:00Z'), 'ib_reset'],
  ])('1100 without a restore, %s', async (_label, start, cause) => {
    const g = await gapAfter(
      start,
      [{ type: 'systemMessages', afterMessages: 2, codes: [1100], holdRequests: true }],
      { minutes: 2 },
    );
    expect(g.codes).toEqual([3, 3]);
    const missed = g.jobs.filter((j) => j.status === 'missed');
    expect(missed).toHaveLength(8);
    expect(missed.every((j) => j.ibErrorCode === 1100)).toBe(true);
    expect(g.doc.gapCauses.map((c) => c.cause)).toEqual([cause]);
    expect(g.doc.gaps.every((gap) => gap.cause === cause && gap.code === 1100)).toBe(true);
  });

  it('a gateway that has lost IB when the collector connects (1100 right after nextValidId): IB outage, not "no answer"', async () => {
    const g = await gapAfter(
      TUESDAY_10_ET,
      [{ type: 'systemMessages', afterMessages: 0, codes: [1100], holdRequests: true }],
      { minutes: 1 },
    );
    expect(g.codes).toEqual([3]);
    const missed = g.jobs.filter((j) => j.status === 'missed');
    expect(missed).toHaveLength(4);
    expect(missed.every((j) => j.ibErrorCode === 1100)).toBe(true);
    expect(g.doc.gapCauses.map((c) => c.cause)).toEqual(['ib_outage']);
  });

  it('10197 competing live session: the slot retried, then missed, is named a competing session', async () => {
    const g = await gapAfter(TUESDAY_10_ET, [{ type: 'marketDataError', code: 10197, symbols: ['NQ'] }]);
    expect(g.codes).toEqual([0, 0, 0, 0]);
    expect(g.doc.gaps).toEqual([
      expect.objectContaining({
        symbol: 'NQ',
        kind: 'missed',
        cause: 'competing_session',
        code: 10197,
        slots: 4,
      }),
    ]);
    expect(g.human).toMatch(/^gap\tNQ\tmissed\t\S+\t\S+\t4\tcompeting_session\t10197$/m);
  });

  it('slots nobody collected are "collector not running", next to IB causes in one report', async () => {
    const h = await harness(TUESDAY_10_ET, {
      config: CONFIG,
      faults: [{ type: 'marketDataError', code: 10197, symbols: ['ES'] }],
    });
    expect((await h.run(['collect', '--once'])).code).toBe(0);
    h.sim.setFaults([]);
    // Nobody runs for 20 minutes; the next run queues the passed slots as missed (its catch-up).
    h.clock.advance(20 * 60_000);
    expect((await h.run(['collect', '--once'])).code).toBe(0);
    const doc = JSON.parse((await h.run(['status', '--json'])).stdout) as StatusDoc;
    const causes = Object.fromEntries(doc.gapCauses.map((c) => [c.cause, c.slots]));
    // 14:01–14:14 for four symbols (14:15–14:20 were within the lateness: collected by the second run).
    expect(causes).toEqual({ collector_down: 56, competing_session: 1 });
  });
});
