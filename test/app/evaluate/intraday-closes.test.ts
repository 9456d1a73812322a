import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadSignalInputs, loadTableSnapshots } from '../../../src/app/evaluate/inputs.js';
import { type OwnedConnection, openMemoryConnection } from '../../../src/delta/index.js';
import { appendBars, appendSnapshots, markDemoLake } from '../../../src/lake/index.js';
import { defaultCalendar, etInstant } from '../../../src/market/index.js';
import { computeRegime } from '../../../src/signals/index.js';
import { dailyBar, inTempDir, priceRamp, snapshots } from '../../lake/inputs/fixtures.js';
import { loaderOptions } from '../../signals/inputs/options.js';

/**
 * Daily closes from intraday data when no 1-day bars exist (issue 24 item 3): the price at 16:00 ET
 * (13:00 ET on half-days) of each contract, back-adjusted across the December 2025 roll, feeding the
 * derived regime; and rows from the simulator count only in a demo lake (issue 21 finding 7).
 */

const MIN = 60_000;
const Z5 = priceRamp('2025-09-01T00:00:00Z', 6000);
/** ESH6 trades 1 % above ESZ5 (contango), so the roll factor is 1.01. */
const H6 = (t: Date) => Z5(t) * 1.01;
const ASOF = new Date('2026-01-06T15:00:00Z'); // Tue 10:00 EST

function esRows(source: 'ibkr' | 'sim' = 'ibkr') {
  const common = { symbol: 'ES' as const, stepMs: 30 * MIN, source };
  return [
    ...snapshots({
      ...common,
      conId: 1,
      localSymbol: 'ESZ5',
      from: '2025-09-15T00:00:00Z',
      to: '2025-12-19T14:30:00Z',
      price: Z5,
    }),
    ...snapshots({
      ...common,
      conId: 2,
      localSymbol: 'ESH6',
      from: '2025-12-01T00:00:00Z',
      to: ASOF,
      price: H6,
    }),
  ];
}

let conn: OwnedConnection;
beforeAll(async () => {
  conn = await openMemoryConnection();
});
afterAll(() => conn.close());

async function regimeInputsOf(dir: string) {
  const tables = await loadTableSnapshots(dir);
  return loadSignalInputs('regime', { connection: conn.connection, dataDir: dir, tables }, ASOF, {
    ...loaderOptions(['ES']),
  });
}

describe('daily closes from intraday data', () => {
  it('takes 16:00 ET (13:00 on half-days) of each contract and splices the roll, for the derived regime', async () => {
    await inTempDir('sig-closes-', async (dir) => {
      await appendSnapshots(dir, esRows());
      const inputs = await regimeInputsOf(dir);
      const ref = inputs?.referenceCloses;
      expect(ref?.symbol).toBe('ES');
      expect(ref?.source).toBe('intraday');
      const calendar = defaultCalendar();
      const byDate = new Map(ref?.closes.map((c) => [c.date, c.close]));
      // Every NYSE session from the first data to the day before asOf has a close.
      let sessions = 0;
      for (let d = new Date('2025-09-15T12:00:00Z'); d < ASOF; d = new Date(d.getTime() + 86_400_000)) {
        const s = calendar.nyseSession(d.toISOString().slice(0, 10));
        if (s && s.close.getTime() <= ASOF.getTime()) sessions++;
      }
      expect(ref?.closes.length).toBe(sessions);
      // Half-day (Fri after Thanksgiving): the 13:00 ET price, not 16:00's; ESZ5 history × the roll factor.
      const halfDay = etInstant('2025-11-28', '13:00');
      expect(calendar.nyseSession('2025-11-28')?.close).toEqual(halfDay);
      expect(byDate.get('2025-11-28')).toBeCloseTo(Z5(halfDay) * 1.01, 6);
      // A regular day before the roll: 16:00 ET of ESZ5, back-adjusted.
      expect(byDate.get('2025-12-10')).toBeCloseTo(Z5(etInstant('2025-12-10', '16:00')) * 1.01, 6);
      // After the roll (2025-12-11): ESH6 as it is.
      expect(byDate.get('2025-12-12')).toBeCloseTo(H6(etInstant('2025-12-12', '16:00')), 6);
      // Returns across the roll stay the contract's own: no 1 % jump on the roll date.
      const r = byDate.get('2025-12-11')! / byDate.get('2025-12-10')!;
      expect(r).toBeCloseTo(Z5(etInstant('2025-12-11', '16:00')) / Z5(etInstant('2025-12-10', '16:00')), 9);
      const doc = computeRegime({ ...inputs!, vix: undefined }, undefined);
      expect(doc.inputs.regime.closes).toMatchObject({ symbol: 'ES', source: 'intraday', sessions });
      expect(doc.inputs.regime.source).toBe('derived');
      expect(doc.reasons.some((line) => line.includes('intraday prices at the NYSE close'))).toBe(true);
    });
  }, 60_000);

  it('prefers a 1-day bar where one exists (source mixed)', async () => {
    await inTempDir('sig-closes-mixed-', async (dir) => {
      await appendSnapshots(dir, esRows());
      await appendBars(conn.connection, dir, [dailyBar('ES', '2025-12-15', 7777, 2)]);
      const ref = (await regimeInputsOf(dir))?.referenceCloses;
      expect(ref?.source).toBe('mixed');
      expect(ref?.closes.find((c) => c.date === '2025-12-15')?.close).toBe(7777);
    });
  }, 60_000);
});

describe('simulator rows', () => {
  it('are ignored outside a demo lake and count in one', async () => {
    await inTempDir('sig-sim-', async (dir) => {
      await appendSnapshots(dir, esRows('sim'));
      const real = await regimeInputsOf(dir);
      expect(real?.perIndex.ES).toBeUndefined();
      expect(real?.referenceCloses).toBeUndefined();
      await markDemoLake(dir);
      const demo = await regimeInputsOf(dir);
      expect(demo?.perIndex.ES?.localSymbol).toBe('ESH6');
      expect(demo?.referenceCloses?.source).toBe('intraday');
    });
  }, 60_000);
});
