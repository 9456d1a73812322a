import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadSignalInputs } from '../../../src/app/evaluate/inputs.js';
import { type OwnedConnection, openMemoryConnection } from '../../../src/delta/index.js';
import { appendBars, appendSnapshots } from '../../../src/lake/index.js';
import { computePremarket, computeRegime } from '../../../src/signals/index.js';
import { type LoaderOptions, planPremarket } from '../../../src/signals/inputs/index.js';
import {
  dailyBar,
  inTempDir,
  minuteBars,
  priceRamp as ramp,
  snapshots,
  vixSnapshot,
} from '../../lake/inputs/fixtures.js';
import { loaderOptions } from '../../signals/inputs/options.js';

const MIN = 60_000;

let conn: OwnedConnection;
beforeAll(async () => {
  conn = await openMemoryConnection();
});
afterAll(() => conn.close());
const premarketAt = (dir: string, asOf: Date, opts: LoaderOptions, overrides = {}) =>
  loadSignalInputs('premarket', { connection: conn.connection, dataDir: dir }, asOf, opts, overrides);
const regimeAt = (dir: string, asOf: Date, opts: LoaderOptions, overrides = {}) =>
  loadSignalInputs('regime', { connection: conn.connection, dataDir: dir }, asOf, opts, overrides);

describe('reference time', () => {
  it('is 16:00 ET of the previous session across the spring DST change (Fri EST → Mon EDT)', async () => {
    await inTempDir('sig-dst-', async (dir) => {
      const es = ramp('2026-03-06T14:00:00Z', 6000);
      await appendSnapshots(dir, [
        ...snapshots({
          symbol: 'ES',
          conId: 11,
          localSymbol: 'ESH6',
          from: '2026-03-06T14:00:00Z',
          to: '2026-03-09T13:40:00Z',
          stepMs: 5 * MIN,
          price: es,
        }),
        vixSnapshot('2026-03-09T13:20:00Z', 19.5, 18),
      ]);
      const asOf = new Date('2026-03-09T13:25:00Z'); // 09:25 EDT
      const plan = planPremarket(asOf, loaderOptions(['ES']));
      expect(plan.sessionDate).toBe('2026-03-09');
      expect(plan.reference).toEqual({
        sessionDate: '2026-03-06',
        earlyClose: false,
        at: new Date('2026-03-06T21:00:00Z'),
      });
      const inputs = await premarketAt(dir, asOf, loaderOptions(['ES']));
      const es0 = inputs?.perIndex.ES;
      expect(es0?.reference).toEqual({
        price: es(new Date('2026-03-06T21:00:00Z')),
        ts: new Date('2026-03-06T21:00:00Z'),
        conId: 11,
        kind: 'snapshot',
      });
      // as-of cut: rows up to 13:40Z exist, the current quote is the one at 09:25 EDT
      expect(es0?.current).toMatchObject({ ts: asOf, kind: 'mid', price: es(asOf), conId: 11 });
      expect(es0?.path.at(-1)?.ts).toEqual(asOf);
      expect(es0?.path[0]?.ts.getTime()).toBeGreaterThan(Date.parse('2026-03-06T21:00:00Z'));
      expect(inputs?.vix).toMatchObject({ level: 19.5, priorClose: 18, live: true, source: 'derived' });
      expect(inputs?.lake).toEqual([{ table: 'futures_snapshots', version: 1 }]);
      const doc = computePremarket(inputs!);
      expect(doc.dataQuality.usable).toEqual(['ES']);
      expect(doc.reference.time).toBe('2026-03-06T21:00:00.000Z');
    });
  });
});

describe('contract roll (ESH6 → ESM6, roll date 2026-03-12)', () => {
  const asOf = new Date('2026-03-12T13:25:00Z');
  const tRef = new Date('2026-03-11T20:00:00Z');
  const h6 = ramp('2026-03-11T12:00:00Z', 6000);
  const m6 = (t: Date) => h6(t) * 1.007;
  const old = snapshots({
    symbol: 'ES',
    conId: 1,
    localSymbol: 'ESH6',
    from: '2026-03-11T12:00:00Z',
    to: asOf,
    stepMs: 5 * MIN,
    price: h6,
  });
  /** ESM6 collected from `from` on. */
  const newContractFrom = (from: string) =>
    snapshots({ symbol: 'ES', conId: 2, localSymbol: 'ESM6', from, to: asOf, stepMs: 5 * MIN, price: m6 });

  it('uses the new contract’s own price at T_ref when it was collected', async () => {
    await inTempDir('sig-roll-a-', async (dir) => {
      await appendSnapshots(dir, [...old, ...newContractFrom('2026-03-11T19:00:00Z')]);
      const inputs = await premarketAt(dir, asOf, loaderOptions(['ES']), { vix: 18 });
      const es = inputs!.perIndex.ES!;
      expect(es.conId).toBe(2);
      expect(es.localSymbol).toBe('ESM6');
      expect(es.reference).toMatchObject({ conId: 2, kind: 'snapshot', ts: tRef });
      expect(es.reference.price).toBeCloseTo(m6(tRef), 9);
      expect(es.current.conId).toBe(2);
      // the move is the contract's own move, never the 0.7 % calendar spread
      const doc = computePremarket(inputs!);
      expect(doc.measures.perIndex.ES?.pct).toBeCloseTo((m6(asOf) / m6(tRef) - 1) * 100, 6);
      expect(doc.tags).toContain('rollWeek');
    });
  });

  it('splices the old reference when the new contract was first collected after T_ref', async () => {
    await inTempDir('sig-roll-b-', async (dir) => {
      await appendSnapshots(dir, [...old, ...newContractFrom('2026-03-11T22:00:00Z')]);
      const inputs = await premarketAt(dir, asOf, loaderOptions(['ES']), { vix: 18 });
      const es = inputs!.perIndex.ES!;
      expect(es.reference.kind).toBe('spliced');
      expect(es.reference.conId).toBe(2);
      expect(es.reference.price).toBeCloseTo(h6(tRef) * 1.007, 6);
      expect(es.path.every((p) => p.ts.getTime() >= Date.parse('2026-03-11T22:00:00Z'))).toBe(true);
      const doc = computePremarket(inputs!);
      expect(doc.dataQuality.usable).toEqual(['ES']);
    });
  });

  it('stays on the old contract when the new one was never collected', async () => {
    await inTempDir('sig-roll-c-', async (dir) => {
      await appendSnapshots(dir, old);
      const inputs = await premarketAt(dir, asOf, loaderOptions(['ES']), { vix: 18 });
      expect(inputs!.perIndex.ES).toMatchObject({ conId: 1, localSymbol: 'ESH6' });
      expect(inputs!.perIndex.ES!.reference).toMatchObject({ conId: 1, ts: tRef, kind: 'snapshot' });
    });
  });
});

describe('1-minute bars as the price series', () => {
  it('serves reference and current from bar closes stamped at the bar end, never a forming bar', async () => {
    await inTempDir('sig-bars-', async (dir) => {
      const nq = ramp('2026-03-06T19:00:00Z', 20000);
      await appendBars(
        conn.connection,
        dir,
        minuteBars({
          symbol: 'NQ',
          conId: 0,
          localSymbol: 'NQ',
          from: '2026-03-06T19:00:00Z',
          to: '2026-03-09T13:40:00Z',
          price: nq,
        }).map((b) => ({ ...b, conId: null, localSymbol: null })),
      );
      const asOf = new Date('2026-03-09T13:25:30Z');
      const inputs = await premarketAt(dir, asOf, loaderOptions(['NQ']), { vix: 20 });
      const q = inputs!.perIndex.NQ!;
      expect(q.reference).toEqual({
        price: nq(new Date('2026-03-06T21:00:00Z')),
        ts: new Date('2026-03-06T21:00:00Z'),
        conId: 0,
        kind: 'bar_close',
      });
      // the 13:25 bar ends 13:26: not yet known at 13:25:30
      expect(q.current).toMatchObject({ ts: new Date('2026-03-09T13:25:00Z'), kind: 'bar_close' });
      expect(inputs!.lake).toEqual([{ table: 'futures_bars', version: 1 }]);
      const doc = computePremarket(inputs!);
      expect(doc.dataQuality.usable).toEqual(['NQ']);
    });
  });
});

describe('history: daily closes, overnight returns, VIX', () => {
  it('derives overnight returns and daily closes from intraday data, and reads VIX from daily bars', async () => {
    await inTempDir('sig-hist-', async (dir) => {
      // ES ramps through four sessions (Mar 2–5, 2026); NQ only has 1-day bars
      const es = ramp('2026-03-01T23:00:00Z', 6000);
      await appendSnapshots(
        dir,
        snapshots({
          symbol: 'ES',
          conId: 3,
          localSymbol: 'ESH6',
          from: '2026-03-01T23:00:00Z',
          to: '2026-03-06T14:00:00Z',
          stepMs: 5 * MIN,
          price: es,
        }),
      );
      await appendBars(conn.connection, dir, [
        dailyBar('VIX', '2026-03-04', 17),
        dailyBar('VIX', '2026-03-05', 21),
        dailyBar('VIX3M', '2026-03-05', 20),
        ...['2026-03-02', '2026-03-03', '2026-03-04', '2026-03-05'].map((d, i) => dailyBar('NQ', d, 100 + i)),
      ]);
      const asOf = new Date('2026-03-06T14:25:00Z'); // Fri 09:25 EST
      const inputs = await premarketAt(dir, asOf, loaderOptions(['ES', 'NQ']));
      const hist = inputs!.overnightHistory;
      expect(hist.map((h) => h.sessionDate)).toEqual(['2026-03-03', '2026-03-04', '2026-03-05']);
      const open = es(new Date('2026-03-03T14:30:00Z'));
      const close = es(new Date('2026-03-02T21:00:00Z'));
      expect(hist[0]!.returns.ES).toBeCloseTo(Math.log(open / close), 12);
      expect(inputs!.perIndex.ES!.dailyCloses.map((c) => c.date)).toEqual([
        '2026-03-02',
        '2026-03-03',
        '2026-03-04',
        '2026-03-05',
      ]);
      expect(inputs!.perIndex.ES!.dailyCloses[3]!.close).toBeCloseTo(es(new Date('2026-03-05T21:00:00Z')), 9);
      // no live print: the latest daily close (Thu) with the one before as prior close
      expect(inputs!.vix).toMatchObject({ level: 21, priorClose: 17, live: false, source: 'derived' });
      expect(inputs!.vix3m).toMatchObject({ level: 20 });
      expect(inputs!.vixCloses).toEqual([
        { date: '2026-03-04', close: 17 },
        { date: '2026-03-05', close: 21 },
      ]);
      // a daily bar is not known before 17:00 ET of its date
      const early = await premarketAt(dir, new Date('2026-03-05T21:30:00Z'), loaderOptions(['ES']));
      expect(early!.vix).toMatchObject({ level: 17, live: false });
    });
  });
});

describe('regime inputs', () => {
  it('covers the last 240 minutes, measures against the last close before the session, and ignores later data', async () => {
    await inTempDir('sig-regime-', async (dir) => {
      const es = ramp('2026-03-09T12:00:00Z', 6000);
      await appendSnapshots(
        dir,
        snapshots({
          symbol: 'ES',
          conId: 5,
          localSymbol: 'ESH6',
          from: '2026-03-06T19:00:00Z',
          to: '2026-03-10T16:00:00Z',
          stepMs: 5 * MIN,
          price: es,
        }),
      );
      const asOf = new Date('2026-03-10T15:00:00Z'); // Tue 11:00 EDT
      const inputs = await regimeAt(dir, asOf, loaderOptions(['ES']), { vix: 16 });
      const x = inputs!.perIndex.ES!;
      expect(x.reference.ts).toEqual(new Date('2026-03-09T20:00:00Z')); // Mon 16:00 EDT
      expect(x.current.ts).toEqual(asOf);
      expect(x.path[0]!.ts.getTime()).toBeLessThanOrEqual(asOf.getTime() - 240 * MIN);
      expect(x.path.at(-1)!.ts).toEqual(asOf);
      const doc = computeRegime(inputs!);
      expect(doc.level).toBe('normal');
      expect(doc.dataQuality.usable).toEqual(['ES']);
    });
  });

  it('returns undefined for an empty lake', async () => {
    await inTempDir('sig-empty-', async (dir) => {
      expect(await regimeAt(dir, new Date(), loaderOptions())).toBeUndefined();
    });
  });
});
