import { addDays, etToUtc, MINUTE_MS, simEtParts, type Ymd, ymdKey } from './calendar.js';
import { uniform } from './random.js';

/**
 * The `realistic` schedule: IB's own outages at their real ET times, as a pure function of the simulator
 * clock (so an accelerated or manual clock drives it, and any instant can be asked in any order).
 *
 * - Nightly reset, Saturday–Thursday 23:45–00:45 ET (QuantConnect IBAutomater's window): a few minutes of
 *   market/HMDS farms flapping broken↔OK (2103/2104, 2105/2106), then 1100 with every farm broken for 1–3
 *   minutes, ended by 1101 (data lost) or 1102 (data maintained). Contract requests meanwhile get a spurious
 *   200 (ib_insync #330). Where in the window and how long are seeded per night.
 * - Weekend outage, Friday 23:00 ET → Sunday 02:00 ET (IBAutomater guards this span): 1100 and every farm
 *   broken, restored with 1101.
 * - Daily gateway restart at `restartAt` ET (IB Gateway's auto-restart; the time is the user's choice):
 *   every socket closes, the gateway refuses connections for `restartDownMs`, and client ids stay held for
 *   `clientIdHoldMs` after the restart, so a quick reconnect with the same id gets 326.
 * - Weekend slowness: Saturday and Sunday answers come `weekendDelayMs` late (stoqey/ib PR #77: 4–5 s).
 *
 * Uncertain (no capture): exact minutes inside the window, whether HMDS flaps with the market farm, the
 * 1101/1102 split, the length of the restart and of the client-id hold, the weekend end time.
 */

export interface ScheduleOptions {
  seed: number;
  /** ET time of the daily gateway restart, HH:MM. */
  restartAt: string;
  /** Simulated ms the gateway refuses connections after its restart. */
  restartDownMs: number;
  /** Simulated ms a client id stays held after the restart (→ 326). */
  clientIdHoldMs: number;
  /** Real ms added to every answer on Saturday and Sunday ET. */
  weekendDelayMs: number;
}

export const DEFAULT_SCHEDULE: Omit<ScheduleOptions, 'seed'> = {
  restartAt: '23:40',
  restartDownMs: 60_000,
  clientIdHoldMs: 120_000,
  weekendDelayMs: 4_000,
};

export type ScheduleLabel =
  | 'normal'
  | 'nightly-flap'
  | 'nightly-reset'
  | 'weekend-outage'
  | 'gateway-restart';

export interface SchedulePhase {
  label: ScheduleLabel;
  farms: { market: boolean; hmds: boolean; secdef: boolean };
  /** IB ↔ gateway connectivity (1100 when it goes). */
  connected: boolean;
  /** How the current or next loss ends. */
  restoreCode: 1101 | 1102;
  /** The gateway is restarting: connections are refused. */
  gatewayDown: boolean;
  /** ET date key of the latest restart at or before this instant; a change means a restart happened. */
  restartKey: number;
  /** Weekend: answers are slow. */
  slow: boolean;
}

const FLAP_PERIOD_MS = 30_000;
const UP = { market: true, hmds: true, secdef: true };
const DOWN = { market: false, hmds: false, secdef: false };

interface NightPlan {
  flapStart: number;
  lostStart: number;
  lostEnd: number;
  restoreCode: 1101 | 1102;
}

/** The night starting at 23:45 ET of `date` (Saturday–Thursday only). */
export function nightPlan(date: Ymd, seed: number): NightPlan | undefined {
  const dow = new Date(Date.UTC(date.year, date.month - 1, date.day, 12)).getUTCDay();
  if (dow === 5) return undefined;
  const key = ymdKey(date);
  const windowStart = etToUtc(date.year, date.month, date.day, 23 * 60 + 45);
  const flapStart = windowStart + Math.floor(uniform(seed, 9101, key) * 15) * MINUTE_MS;
  const lostStart = flapStart + (3 + Math.floor(uniform(seed, 9102, key) * 5)) * MINUTE_MS;
  const lostEnd = lostStart + (1 + Math.floor(uniform(seed, 9103, key) * 3)) * MINUTE_MS;
  return { flapStart, lostStart, lostEnd, restoreCode: uniform(seed, 9104, key) < 0.5 ? 1101 : 1102 };
}

function minuteOf(hhmm: string): number {
  const [h, m] = hhmm.split(':').map(Number);
  return (h ?? 0) * 60 + (m ?? 0);
}

function inWeekendOutage(ms: number): boolean {
  const p = simEtParts(ms);
  if (p.dow === 5) return p.minuteOfDay >= 23 * 60;
  if (p.dow === 6) return true;
  return p.dow === 0 && p.minuteOfDay < 2 * 60;
}

/** What the realistic schedule says at `ms`. */
export function schedulePhase(ms: number, options: ScheduleOptions): SchedulePhase {
  const p = simEtParts(ms);
  const today: Ymd = { year: p.year, month: p.month, day: p.day };
  const restartMinute = minuteOf(options.restartAt);
  const restartDay = p.minuteOfDay >= restartMinute ? today : addDays(today, -1);
  const restartMs = etToUtc(restartDay.year, restartDay.month, restartDay.day, restartMinute);
  const base = {
    restartKey: ymdKey(restartDay),
    gatewayDown: ms < restartMs + options.restartDownMs,
    slow: p.dow === 6 || p.dow === 0,
    restoreCode: 1101 as 1101 | 1102,
  };
  if (inWeekendOutage(ms)) return { ...base, label: 'weekend-outage', farms: DOWN, connected: false };
  for (const date of [addDays(today, -1), today]) {
    const night = nightPlan(date, options.seed);
    if (!night || ms < night.flapStart || ms >= night.lostEnd) continue;
    const restoreCode = night.restoreCode;
    if (ms >= night.lostStart) {
      return { ...base, restoreCode, label: 'nightly-reset', farms: DOWN, connected: false };
    }
    const down = Math.floor((ms - night.flapStart) / FLAP_PERIOD_MS) % 2 === 0;
    const farms = { market: !down, hmds: !down, secdef: true };
    return { ...base, restoreCode, label: 'nightly-flap', farms, connected: true };
  }
  const label: ScheduleLabel = base.gatewayDown ? 'gateway-restart' : 'normal';
  return { ...base, label, farms: UP, connected: true };
}
