import { afterEach, describe, expect, it } from 'vitest';
import { type Simulator, startSimulator } from '../../src/sim/index.js';
import { DEFAULT_SCHEDULE, nightPlan, type ScheduleOptions, schedulePhase } from '../../src/sim/schedule.js';
import { RawClient, until } from './helpers.js';

const OPTIONS: ScheduleOptions = { ...DEFAULT_SCHEDULE, seed: 7, weekendDelayMs: 0 };
const et = (iso: string) => Date.parse(iso);
const phase = (iso: string) => schedulePhase(et(iso), OPTIONS);
/** Tuesday 13 Oct 2026; its night (23:45 ET → 00:45 ET Wednesday) is a reset night. */
const TUESDAY = { year: 2026, month: 10, day: 13 };

describe('realistic schedule (pure)', () => {
  it('puts the nightly reset inside 23:45–00:45 ET Saturday–Thursday, none on Friday', () => {
    for (let d = 10; d <= 16; d++) {
      const plan = nightPlan({ year: 2026, month: 10, day: d }, 7);
      const dow = new Date(Date.UTC(2026, 9, d, 12)).getUTCDay();
      if (dow === 5) {
        expect(plan).toBeUndefined();
        continue;
      }
      expect(plan).toBeDefined();
      if (!plan) continue;
      const windowStart = et(`2026-10-${String(d).padStart(2, '0')}T23:45:00-04:00`);
      expect(plan.flapStart).toBeGreaterThanOrEqual(windowStart);
      expect(plan.lostStart - plan.flapStart).toBeGreaterThanOrEqual(3 * 60_000);
      expect(plan.lostEnd - plan.lostStart).toBeGreaterThanOrEqual(60_000);
      expect(plan.lostEnd - plan.lostStart).toBeLessThanOrEqual(3 * 60_000);
      expect(plan.lostEnd).toBeLessThanOrEqual(windowStart + 60 * 60_000);
    }
    expect(nightPlan(TUESDAY, 7)).toEqual(nightPlan(TUESDAY, 7));
  });

  it('walks one night: normal, restart, farms flapping, 1100 with every farm down, restored', () => {
    const plan = nightPlan(TUESDAY, 7);
    if (!plan) throw new Error('no plan');
    expect(phase('2026-10-13T23:30:00-04:00')).toMatchObject({
      label: 'normal',
      connected: true,
      slow: false,
    });
    expect(phase('2026-10-13T23:40:30-04:00')).toMatchObject({ label: 'gateway-restart', gatewayDown: true });
    expect(phase('2026-10-13T23:40:30-04:00').restartKey).not.toBe(
      phase('2026-10-13T23:39:00-04:00').restartKey,
    );
    const flapDown = schedulePhase(plan.flapStart + 1_000, OPTIONS);
    const flapUp = schedulePhase(plan.flapStart + 31_000, OPTIONS);
    expect(flapDown).toMatchObject({
      label: 'nightly-flap',
      connected: true,
      farms: { market: false, hmds: false },
    });
    expect(flapUp).toMatchObject({ label: 'nightly-flap', farms: { market: true, hmds: true } });
    const lost = schedulePhase(plan.lostStart + 1_000, OPTIONS);
    expect(lost).toMatchObject({
      label: 'nightly-reset',
      connected: false,
      farms: { market: false, secdef: false },
    });
    expect([1101, 1102]).toContain(lost.restoreCode);
    expect(schedulePhase(plan.lostEnd, OPTIONS)).toMatchObject({ label: 'normal', connected: true });
  });

  it('the weekend outage runs Friday 23:00 ET to Sunday 02:00 ET; Saturday and Sunday are slow', () => {
    expect(phase('2026-10-16T22:59:00-04:00')).toMatchObject({ connected: true, slow: false });
    expect(phase('2026-10-16T23:00:00-04:00')).toMatchObject({ label: 'weekend-outage', connected: false });
    expect(phase('2026-10-17T12:00:00-04:00')).toMatchObject({ label: 'weekend-outage', slow: true });
    expect(phase('2026-10-18T01:59:00-04:00')).toMatchObject({ label: 'weekend-outage' });
    expect(phase('2026-10-18T02:00:00-04:00')).toMatchObject({
      label: 'normal',
      connected: true,
      slow: true,
    });
    expect(phase('2026-10-19T10:00:00-04:00')).toMatchObject({ label: 'normal', slow: false });
  });
});

let sim: Simulator | undefined;
let clock = 0;
afterEach(async () => {
  await sim?.close();
  sim = undefined;
});

async function startAt(iso: string): Promise<Simulator> {
  clock = et(iso);
  sim = await startSimulator({
    now: () => new Date(clock),
    seed: 7,
    streamIntervalMs: 0,
    snapshotEndDelayMs: 5,
    schedule: 'realistic',
    scheduleOptions: { weekendDelayMs: 0 },
  });
  return sim;
}

const notices = (raw: RawClient, from = 0) =>
  raw.frames
    .slice(from)
    .filter((f) => f[0] === '4' && f[2] === '-1')
    .map((f) => Number(f[3]));
const CONTRACT = [9, 8, 0, '', 'ES', 'FUT', '202612', '', '', '', 'CME', '', 'USD', '', '', 0, '', '', ''];

describe('realistic schedule on the wire, driven by the simulator clock', () => {
  it('a reset night: flapping farms, then 1100, spurious 200 for contracts, held requests answered after the restore', async () => {
    const plan = nightPlan(TUESDAY, 7);
    if (!plan) throw new Error('no plan');
    const s = await startAt('2026-10-13T23:42:00-04:00');
    const raw = await RawClient.open(s);
    await raw.start(5);
    const start = raw.frames.length;
    clock = plan.flapStart + 1_000;
    raw.send([49, 1]);
    await raw.frame((f) => f[0] === '49');
    expect(notices(raw, start)).toEqual([2103, 2105]);
    clock = plan.lostStart + 1_000;
    raw.send([9, 8, 21, ...CONTRACT.slice(3)]);
    const spurious = await raw.frame((f) => f[0] === '4' && f[2] === '21');
    expect(spurious[3]).toBe('200');
    expect(notices(raw, start)).toEqual([2103, 2105, 2157, 1100]);
    raw.send([49, 1]);
    clock = plan.lostEnd + 1_000;
    s.pump();
    await raw.frame((f) => f[0] === '4' && (f[3] === '1101' || f[3] === '1102'));
    await until(() => (raw.frames.filter((f) => f[0] === '49').length === 2 ? true : undefined));
    const restore = plan.restoreCode;
    expect(notices(raw, start)).toEqual([2103, 2105, 2157, 1100, restore, 2104, 2106, 2158]);
    raw.send([9, 8, 22, ...CONTRACT.slice(3)]);
    await raw.frame((f) => f[0] === '52' && f[2] === '22');
  });

  it('the daily restart closes every socket, refuses connections for a minute, then holds the client id (326)', async () => {
    const s = await startAt('2026-10-13T23:39:00-04:00');
    const raw = await RawClient.open(s);
    await raw.start(5);
    clock = et('2026-10-13T23:40:10-04:00');
    raw.send([49, 1]);
    await raw.waitClosed();
    const refused = await RawClient.open(s);
    await refused.waitClosed();
    clock = et('2026-10-13T23:41:10-04:00');
    const again = await RawClient.open(s);
    again.handshake();
    await again.frame((f) => f.length === 2);
    again.send([71, 2, 5, '']);
    const inUse = await again.frame((f) => f[0] === '4');
    expect(inUse[3]).toBe('326');
    await again.waitClosed();
    const other = await RawClient.open(s);
    await other.start(6);
    clock = et('2026-10-13T23:42:30-04:00');
    const later = await RawClient.open(s);
    await later.start(5);
    expect(s.stats().faultsFired).toContainEqual('gateway restart (1 connection(s))');
  });

  it('weekend answers come late; weekday answers do not', async () => {
    clock = et('2026-10-18T10:00:00-04:00');
    sim = await startSimulator({
      now: () => new Date(clock),
      streamIntervalMs: 0,
      schedule: 'realistic',
      scheduleOptions: { weekendDelayMs: 300 },
    });
    const raw = await RawClient.open(sim);
    await raw.start(5);
    const sent = Date.now();
    raw.send([49, 1]);
    await raw.frame((f) => f[0] === '49');
    expect(Date.now() - sent).toBeGreaterThanOrEqual(290);
    clock = et('2026-10-19T10:00:00-04:00');
    await raw.waitClosed(); // the restart at 23:40 Sunday passed meanwhile
    const monday = await RawClient.open(sim);
    await monday.start(6);
    const again = Date.now();
    monday.send([49, 1]);
    await monday.frame((f) => f[0] === '49');
    expect(Date.now() - again).toBeLessThan(290);
  });

  it('a client connecting during the weekend outage is told the farms are broken and IB is unreachable', async () => {
    const s = await startAt('2026-10-17T12:00:00-04:00');
    const raw = await RawClient.open(s);
    await raw.start(5);
    await until(() => (notices(raw).length >= 7 ? true : undefined));
    expect(notices(raw)).toEqual([2104, 2106, 2158, 2103, 2105, 2157, 1100]);
  });
});
