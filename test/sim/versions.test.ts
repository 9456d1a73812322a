import { afterEach, describe, expect, it } from 'vitest';
import { type Simulator, startSimulator } from '../../src/sim/index.js';
import { fixedClock, RawClient, RTH_INSTANT } from './helpers.js';
import { decodeFrame } from './wire-decoder.js';

/**
 * M1: every message is laid out for the negotiated server version. Golden frames pin the layouts at the
 * versions where they change; an independent decoder (wire-decoder.ts, from the official field order)
 * reads every reply at every version from 100 to 193 and must consume each frame exactly.
 */

let sim: Simulator | undefined;
afterEach(async () => {
  await sim?.close();
  sim = undefined;
});

async function session(version: number): Promise<RawClient> {
  sim ??= await startSimulator({ port: 0, seed: 7, now: fixedClock(RTH_INSTANT), snapshotEndDelayMs: 5 });
  const raw = await RawClient.open(sim);
  raw.handshake(100, version);
  const hello = await raw.frame((f) => f.length === 2, 'server version');
  expect(hello[0]).toBe(String(version));
  raw.send([71, 2, version, '']);
  await raw.frame((f) => f[0] === '9', 'nextValidId');
  return raw;
}

const C = ['', 'ES', 'FUT', '202612', '', '', '', 'CME', '', 'USD', '', ''];

function historicalRequest(v: number, reqId: number): (string | number)[] {
  const head = v < 124 ? [20, 6, reqId] : [20, reqId];
  const tail = v < 124 ? [''] : [0, ''];
  return [...head, ...C, 0, '20261013 16:00:00 US/Eastern', '1 hour', '1 D', 0, 'TRADES', 1, ...tail];
}

/** Sends one of each request and waits for their answers; returns the frames after the start-up ones. */
async function exchange(raw: RawClient, v: number): Promise<string[][]> {
  const skip = raw.frames.length;
  raw.send([9, 8, 2, ...C, 0, '', '', ...(v >= 176 ? [''] : [])]);
  raw.send([9, 8, 3, '', 'XX', 'FUT', '', '', '', '', 'CME', '', 'USD', '', '', 0, '', '', '']);
  raw.send(historicalRequest(v, 4));
  raw.send([1, 11, 5, ...C, 0, '', 1, 0, '']);
  raw.send([49, 1]);
  if (v >= 118) raw.send([87, 6, ...C, 0, 0, 'TRADES', 1]);
  await raw.frame((f) => f[0] === '57', 'tickSnapshotEnd');
  await raw.frame((f) => f[0] === '49', 'currentTime');
  if (v >= 118) await raw.frame((f) => f[0] === '88', 'headTimestamp');
  return raw.frames.slice(skip);
}

const mask = (f: string[]) => f.map((x) => (x.length > 40 ? '<long>' : x));
const find = (frames: string[][], id: string) => frames.find((f) => f[0] === id) ?? [];

/** The ES Dec 2026 contract details, by server version (tradingHours, liquidHours, orderTypes masked). */
const CONTRACT_HEAD = ['ES', 'FUT', '20261218'];
const CONTRACT_MID = ['0', '', 'CME', 'USD', 'ESZ6', 'ES', 'ES', '612454684', '0.25'];
const CONTRACT_DETAILS = ['50', '<long>', 'CME', '1', '11004968', 'E-mini S&P 500', '', '202612', '', '', ''];
const CONTRACT_ZONE = ['US/Central', '<long>', '<long>', '', '0', '0', '2', 'ES', 'IND'];
const GOLDEN_CONTRACT: Record<number, string[]> = {
  100: ['10', '8', '2', ...CONTRACT_HEAD, ...CONTRACT_MID, ...CONTRACT_DETAILS, ...CONTRACT_ZONE.slice(0, 6)],
  123: ['10', '8', '2', ...CONTRACT_HEAD, ...CONTRACT_MID, '1', ...CONTRACT_DETAILS, ...CONTRACT_ZONE],
  163: [
    ...['10', '8', '2', ...CONTRACT_HEAD, ...CONTRACT_MID, '1', ...CONTRACT_DETAILS, ...CONTRACT_ZONE],
    ...['67', '20261218', '', '1'],
  ],
  176: [
    ...['10', '2', ...CONTRACT_HEAD, ...CONTRACT_MID, ...CONTRACT_DETAILS, ...CONTRACT_ZONE],
    ...['67', '20261218', '', '1', '1', '1'],
  ],
  193: [
    ...['10', '2', ...CONTRACT_HEAD, '20261218', ...CONTRACT_MID, ...CONTRACT_DETAILS, ...CONTRACT_ZONE],
    ...['67', '20261218', '', '1', '1', '1', '0'],
  ],
};
const NO_SECURITY = 'No security definition has been found for the request';
const FIRST_BAR = [
  '20261012 18:00:00 US/Eastern',
  '6988',
  '6999.5',
  '6982',
  '6998.25',
  '20489',
  '6989.747282',
];
const WINDOW = ['20261012 18:00:00 US/Eastern', '20261013 16:00:00 US/Eastern', '22'];

describe('per-version layouts (M1)', () => {
  it('golden frames: CONTRACT_DATA, ERR_MSG and HISTORICAL_DATA where their layouts change', async () => {
    for (const v of [100, 123, 163, 176, 193]) {
      const raw = await session(v);
      const frames = await exchange(raw, v);
      expect(mask(find(frames, '10')), `CONTRACT_DATA at ${v}`).toEqual(GOLDEN_CONTRACT[v]);
      const error = v >= 166 ? ['4', '2', '3', '200', NO_SECURITY, ''] : ['4', '2', '3', '200', NO_SECURITY];
      expect(find(frames, '4'), `ERR_MSG at ${v}`).toEqual(error);
      const history = find(frames, '17');
      const head =
        v < 124
          ? ['17', '3', '4', ...WINDOW, ...FIRST_BAR, 'false', '5130']
          : ['17', '4', ...WINDOW, ...FIRST_BAR, '5130'];
      expect(history.slice(0, head.length), `HISTORICAL_DATA at ${v}`).toEqual(head);
      raw.close();
    }
  });

  it('an independent decoder reads every reply exactly at every version from 100 to 193', async () => {
    for (let v = 100; v <= 193; v++) {
      const raw = await session(v);
      const frames = [...raw.frames, ...(await exchange(raw, v))].slice(1);
      const decoded = frames.map((f) => decodeFrame(v, f));
      const contract = decoded.find((d) => d.msg === 'contractData');
      expect(contract, `v${v}`).toMatchObject({
        reqId: 2,
        conId: 612454684,
        localSymbol: 'ESZ6',
        exchange: 'CME',
      });
      expect(contract?.lastTradeDateOrContractMonth).toBe('20261218');
      expect(decoded.find((d) => d.msg === 'error' && d.id === 3)).toMatchObject({ code: 200 });
      const history = decoded.find((d) => d.msg === 'historicalData');
      expect(history?.bars).toHaveLength(22);
      expect((history?.bars ?? []) as { count: number }[]).toContainEqual(
        expect.objectContaining({ count: 5130 }),
      );
      expect(decoded.some((d) => d.msg === 'tickSnapshotEnd' && d.reqId === 5)).toBe(true);
      raw.close();
    }
  }, 60_000);

  it('a 193 layout read by a 176 decoder fails (the check is not vacuous)', () => {
    const frame193 = ['4', '2', '3', '200', NO_SECURITY, ''];
    expect(() => decodeFrame(165, frame193)).toThrow(/left over/);
  });

  it('refuses a client whose range it cannot speak, and says why in its log', async () => {
    const lines: string[] = [];
    sim = await startSimulator({ port: 0, now: fixedClock(RTH_INSTANT), log: (l) => lines.push(l) });
    const above = await RawClient.open(sim);
    above.handshake(194, 213);
    await above.waitClosed();
    const below = await RawClient.open(sim);
    below.handshake(38, 99);
    await below.waitClosed();
    expect(above.frames).toEqual([]);
    expect(lines.filter((l) => l.includes('refusing client range'))).toHaveLength(2);
    expect(lines.join('\n')).toMatch(/speaks server versions 100\.\.193/);
  });
});
