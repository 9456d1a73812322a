import { afterEach, describe, expect, it } from 'vitest';
import { type Simulator, type SimulatorOptions, startSimulator } from '../../src/sim/index.js';
import { attrMaskFor, TickAttr } from '../../src/sim/messages.js';
import { parseScenario, type ScenarioInput } from '../../src/sim/scenario.js';
import { RawClient, RTH_INSTANT, until, WEEKEND_INSTANT } from './helpers.js';

/** The message-level fixes M2–M11 of research/ibkr-fidelity.md §1.2, seen on the wire. */

let sim: Simulator | undefined;
let clock = RTH_INSTANT.getTime();
afterEach(async () => {
  await sim?.close();
  sim = undefined;
  clock = RTH_INSTANT.getTime();
});

async function client(
  options: SimulatorOptions = {},
  faults: ScenarioInput['faults'] = [],
): Promise<RawClient> {
  sim = await startSimulator({
    now: () => new Date(clock),
    seed: 5,
    streamIntervalMs: 0,
    snapshotEndDelayMs: 5,
    scenario: parseScenario({ name: 't', faults }),
    ...options,
  });
  const raw = await RawClient.open(sim);
  await raw.start(3);
  return raw;
}

const C = ['', 'ES', 'FUT', '202612', '', '', '', 'CME', '', 'USD', '', ''];
const mktData = (reqId: number, snapshot: 0 | 1) => [1, 11, reqId, ...C, 0, '', snapshot, 0, ''];
const history = (reqId: number, bar: string, end: string, keepUpToDate: 0 | 1) => [
  20,
  reqId,
  ...C,
  0,
  end,
  bar,
  '1 D',
  0,
  'TRADES',
  1,
  keepUpToDate,
  '',
];
const framesSince = (raw: RawClient, from: number) => raw.frames.slice(from);

describe('message-level fidelity (M2–M11)', () => {
  it('M2/M4/M5: MARKET_DATA_TYPE, then TICK_REQ_PARAMS, then ticks; live bid/ask can auto-execute; generic 0.0', async () => {
    const raw = await client();
    const from = raw.frames.length;
    raw.send(mktData(7, 1));
    await raw.frame((f) => f[0] === '57');
    const frames = framesSince(raw, from);
    expect(frames[0]).toEqual(['58', '1', '7', '1']);
    expect(frames[1]).toEqual(['81', '7', '0.25', '', '3']);
    const bid = frames.find((f) => f[0] === '1' && f[3] === '1');
    const last = frames.find((f) => f[0] === '1' && f[3] === '4');
    expect(bid?.[6]).toBe('1');
    expect(last?.[6]).toBe('0');
    expect(frames.find((f) => f[0] === '45')).toEqual(['45', '6', '7', '49', '0.0']);
  });

  it('M4: closed-market and delayed prices carry no attribute; old clients get only the bits they know', async () => {
    clock = WEEKEND_INSTANT.getTime();
    const raw = await client();
    const from = raw.frames.length;
    raw.send(mktData(8, 1));
    await raw.frame((f) => f[0] === '57');
    const prices = framesSince(raw, from).filter((f) => f[0] === '1');
    expect(prices.length).toBeGreaterThan(0);
    expect(prices.every((f) => f[6] === '0')).toBe(true);
    expect(attrMaskFor(100, TickAttr.CAN_AUTO_EXECUTE | TickAttr.PRE_OPEN)).toBe(1);
    expect(attrMaskFor(120, 7)).toBe(3);
    expect(attrMaskFor(193, 7)).toBe(7);
  });

  it('M3: with delayed data, 10167 follows MARKET_DATA_TYPE 3 (it does not precede it)', async () => {
    const raw = await client({}, [{ type: 'delayedOnly', symbols: ['ES'] }]);
    raw.send([59, 1, 3]);
    const from = raw.frames.length;
    raw.send(mktData(9, 1));
    await raw.frame((f) => f[0] === '57');
    const ids = framesSince(raw, from).map((f) => (f[0] === '4' ? `4:${f[3]}` : f[0]));
    expect(ids.slice(0, 3)).toEqual(['58', '81', '4:10167']);
  });

  it('M7: the start-up farm notices can be the inactive variant real gateways send', async () => {
    const raw = await client({ startupFarms: 'inactive' });
    const notices = raw.frames.filter((f) => f[0] === '4').map((f) => [f[3], f[4]]);
    expect(notices).toEqual([
      ['2104', 'Market data farm connection is OK:usfarm'],
      ['2107', 'HMDS data farm connection is inactive but should be available upon demand.ushmds'],
      ['2158', 'Sec-def data farm connection is OK:secdefil'],
    ]);
  });

  it('M8: cancelling an answered historical request gets 366; cancelling an unanswered one gets 162 "cancelled"', async () => {
    const raw = await client({}, [{ type: 'historicalSilence', onHistoricalRequest: 2 }]);
    raw.send(history(11, '1 hour', '', 0));
    await raw.frame((f) => f[0] === '17');
    raw.send([25, 1, 11]);
    const unknown = await raw.frame((f) => f[0] === '4' && f[2] === '11');
    expect(unknown.slice(3, 5)).toEqual(['366', 'No historical data query found for ticker id:11']);
    raw.send(history(12, '1 hour', '', 0));
    raw.send([49, 1]);
    await raw.frame((f) => f[0] === '49');
    expect(raw.frames.some((f) => f[2] === '12')).toBe(false);
    raw.send([25, 1, 12]);
    const cancelled = await raw.frame((f) => f[0] === '4' && f[2] === '12');
    expect(cancelled[3]).toBe('162');
    expect(cancelled[4]).toMatch(/API historical data query cancelled: 12$/);
  });

  it('M9: error 100 is followed by a disconnect when the gateway is strict', async () => {
    const raw = await client({ maxMessagesPerSecond: 5, rateLimitDisconnectMs: 20 });
    for (let i = 0; i < 8; i++) raw.send([49, 1]);
    await raw.frame((f) => f[0] === '4' && f[3] === '100');
    await raw.waitClosed();
  });

  it('M10: keepUpToDate streams HISTORICAL_DATA_UPDATE (90) for the current bar until cancelled', async () => {
    const raw = await client();
    raw.send(history(13, '1 min', '', 1));
    await raw.frame((f) => f[0] === '17');
    clock += 120_000;
    sim?.pump();
    const update = await raw.frame((f) => f[0] === '90');
    expect(update[1]).toBe('13');
    expect(update).toHaveLength(10);
    expect(update[3]).toBe('20261014 10:01:00 US/Eastern');
    raw.send([25, 1, 13]);
    raw.send([49, 1]);
    await raw.frame((f) => f[0] === '49');
    const count = raw.frames.filter((f) => f[0] === '90').length;
    clock += 180_000;
    sim?.pump();
    raw.send([49, 1]);
    await until(() => (raw.frames.filter((f) => f[0] === '49').length === 2 ? true : undefined));
    expect(raw.frames.filter((f) => f[0] === '90')).toHaveLength(count);
    expect(raw.frames.some((f) => f[0] === '4' && f[2] === '13')).toBe(false);
  });

  it('M11: bar sizes are spelt 1W/1M as IB lists them; "1 week" is a validation error', async () => {
    const raw = await client();
    raw.send(history(14, '1 week', '', 0));
    const bad = await raw.frame((f) => f[0] === '4' && f[2] === '14');
    expect(bad[3]).toBe('321');
    raw.send(history(15, '1W', '', 0));
    const week = await raw.frame((f) => f[0] === '4' && f[2] === '15');
    expect(week[3]).toBe('162');
  });
});
