/**
 * Grading our own calls against what happened next (`signals evaluate`): pure arithmetic over outcomes
 * a loader measured strictly after each call. Nothing here reads data or knows how a call was made.
 *
 * Definitions (docs/signals.md, "Scorecard"):
 * - A directional call is right (a hit) when the open→16:00 return has its sign.
 * - Hit rates carry a 95 % Wilson score interval, which stays inside [0, 1] for small counts.
 * - An early-warning alert is a check at or above the alert level. A session with an alert is a true
 *   alert when the session had a drawdown event; an event is detected when the first alert of its
 *   session came at or before the breach, and the lead time is breach − first alert.
 */

/** z for a two-sided 95 % interval. */
const Z_95 = 1.959964;

export interface Interval {
  low: number;
  high: number;
}

/** The Wilson score interval of `hits` successes in `n` trials; null when there are no trials. */
export function wilsonInterval(hits: number, n: number, z = Z_95): Interval | null {
  if (n <= 0) return null;
  const p = hits / n;
  const z2 = z * z;
  const centre = (p + z2 / (2 * n)) / (1 + z2 / n);
  const half = (z / (1 + z2 / n)) * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n));
  return { low: Math.max(0, centre - half), high: Math.min(1, centre + half) };
}

export type Direction = -1 | 0 | 1;

/** One graded call: what was said and what the same contract did after the open. */
export interface GradedCall {
  /** The grouping of the call, e.g. bias, mode and band. */
  group: Readonly<Record<string, string>>;
  direction: Direction;
  /** Open → 10:00 ET return, as a fraction; null when the session has no 10:00 price. */
  openTo1000: number | null;
  /** Open → 16:00 ET (13:00 on a half-day) return, as a fraction. */
  openToClose: number | null;
  /** The worst move against the call between the open and the close, as a fraction ≤ 0. */
  maxAdverse: number | null;
}

export interface GroupScore {
  group: Readonly<Record<string, string>>;
  count: number;
  /** Calls with a direction and an open→close outcome: the denominator of the hit rate. */
  graded: number;
  hits: number;
  hitRate: number | null;
  hitInterval: Interval | null;
  /** Mean open→10:00 and open→close return in the call's direction (fractions). */
  meanReturnTo1000: number | null;
  meanReturnToClose: number | null;
  /** Mean worst adverse move (fraction ≤ 0). */
  meanMaxAdverse: number | null;
}

function mean(values: readonly number[]): number | null {
  if (values.length === 0) return null;
  return values.reduce((sum, v) => sum + v, 0) / values.length;
}

function numbers(values: ReadonlyArray<number | null>): number[] {
  return values.filter((v): v is number => v !== null && Number.isFinite(v));
}

/** Scores one set of calls (all of them one group, or the whole sample). */
export function scoreCalls(
  group: Readonly<Record<string, string>>,
  calls: readonly GradedCall[],
): GroupScore {
  const directional = calls.filter((c) => c.direction !== 0);
  const graded = directional.filter((c) => c.openToClose !== null && c.openToClose !== 0);
  const hits = graded.filter((c) => Math.sign(c.openToClose as number) === c.direction).length;
  return {
    group,
    count: calls.length,
    graded: graded.length,
    hits,
    hitRate: graded.length > 0 ? hits / graded.length : null,
    hitInterval: wilsonInterval(hits, graded.length),
    meanReturnTo1000: mean(
      numbers(directional.map((c) => (c.openTo1000 === null ? null : c.direction * c.openTo1000))),
    ),
    meanReturnToClose: mean(
      numbers(directional.map((c) => (c.openToClose === null ? null : c.direction * c.openToClose))),
    ),
    meanMaxAdverse: mean(numbers(directional.map((c) => c.maxAdverse))),
  };
}

/** Scores per distinct group (keys in the order given), sorted by the group's values. */
export function scoreByGroup(calls: readonly GradedCall[], keys: readonly string[]): GroupScore[] {
  const groups = new Map<string, { group: Record<string, string>; calls: GradedCall[] }>();
  for (const call of calls) {
    const group = Object.fromEntries(keys.map((k) => [k, call.group[k] ?? '']));
    const id = JSON.stringify(keys.map((k) => group[k]));
    const entry = groups.get(id) ?? { group, calls: [] };
    entry.calls.push(call);
    groups.set(id, entry);
  }
  return [...groups.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([, { group, calls: members }]) => scoreCalls(group, members));
}

/** The naive baseline: the sign of the overnight move when it is at least `minMove` (a fraction). */
export function naiveDirection(overnightMove: number | null, minMove = 0.005): Direction {
  if (overnightMove === null || !Number.isFinite(overnightMove) || Math.abs(overnightMove) < minMove)
    return 0;
  return overnightMove > 0 ? 1 : -1;
}

/** One early-warning check of a replay. */
export interface WarningCheck {
  at: Date;
  /** The NYSE session the check belongs to (YYYY-MM-DD). */
  session: string;
  /** Whether the check's level is at or above the alert level. */
  alert: boolean;
}

/** A session and, when the reference index fell far enough below its reference, when it first did. */
export interface SessionDrawdown {
  session: string;
  breachAt: Date | null;
}

export interface EarlyWarningScore {
  sessions: number;
  events: number;
  alertSessions: number;
  trueAlertSessions: number;
  detected: number;
  precision: number | null;
  precisionInterval: Interval | null;
  recall: number | null;
  recallInterval: Interval | null;
  /** Median minutes from a detected event's first alert to its breach. */
  medianLeadMinutes: number | null;
  calmChecks: number;
  calmAlerts: number;
  /** Alerts per 20 checks in sessions without an event. */
  alertsPer20CalmChecks: number | null;
}

function median(values: readonly number[]): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

export function scoreEarlyWarning(
  checks: readonly WarningCheck[],
  drawdowns: readonly SessionDrawdown[],
): EarlyWarningScore {
  const bySession = new Map<string, WarningCheck[]>();
  for (const check of checks) {
    const list = bySession.get(check.session) ?? [];
    list.push(check);
    bySession.set(check.session, list);
  }
  let events = 0;
  let alertSessions = 0;
  let trueAlertSessions = 0;
  let detected = 0;
  let calmChecks = 0;
  let calmAlerts = 0;
  const leads: number[] = [];
  for (const { session, breachAt } of drawdowns) {
    const sessionChecks = [...(bySession.get(session) ?? [])].sort((a, b) => a.at.getTime() - b.at.getTime());
    const firstAlert = sessionChecks.find((c) => c.alert);
    if (firstAlert) alertSessions++;
    if (breachAt === null) {
      calmChecks += sessionChecks.length;
      calmAlerts += sessionChecks.filter((c) => c.alert).length;
      continue;
    }
    events++;
    if (!firstAlert) continue;
    trueAlertSessions++;
    if (firstAlert.at.getTime() <= breachAt.getTime()) {
      detected++;
      leads.push((breachAt.getTime() - firstAlert.at.getTime()) / 60_000);
    }
  }
  return {
    sessions: drawdowns.length,
    events,
    alertSessions,
    trueAlertSessions,
    detected,
    precision: alertSessions > 0 ? trueAlertSessions / alertSessions : null,
    precisionInterval: wilsonInterval(trueAlertSessions, alertSessions),
    recall: events > 0 ? detected / events : null,
    recallInterval: wilsonInterval(detected, events),
    medianLeadMinutes: median(leads),
    calmChecks,
    calmAlerts,
    alertsPer20CalmChecks: calmChecks > 0 ? (20 * calmAlerts) / calmChecks : null,
  };
}

/**
 * The first instant a price path falls at least `drop` (a fraction) below `reference`, or null.
 * The path must hold only prices observed after the reference fixing.
 */
export function firstBreach(
  reference: number,
  path: ReadonlyArray<{ ts: Date; price: number }>,
  drop = 0.02,
): Date | null {
  const floor = reference * (1 - drop);
  for (const point of path) if (point.price <= floor) return point.ts;
  return null;
}

export interface Regression {
  n: number;
  slope: number | null;
  intercept: number | null;
  rSquared: number | null;
}

/** Ordinary least squares of y on x (the intraday-momentum pipeline check). */
export function regress(points: ReadonlyArray<{ x: number; y: number }>): Regression {
  const usable = points.filter((p) => Number.isFinite(p.x) && Number.isFinite(p.y));
  const n = usable.length;
  if (n < 3) return { n, slope: null, intercept: null, rSquared: null };
  const mx = usable.reduce((s, p) => s + p.x, 0) / n;
  const my = usable.reduce((s, p) => s + p.y, 0) / n;
  let sxx = 0;
  let sxy = 0;
  let syy = 0;
  for (const p of usable) {
    sxx += (p.x - mx) ** 2;
    sxy += (p.x - mx) * (p.y - my);
    syy += (p.y - my) ** 2;
  }
  if (sxx === 0) return { n, slope: null, intercept: null, rSquared: null };
  const slope = sxy / sxx;
  return { n, slope, intercept: my - slope * mx, rSquared: syy === 0 ? null : (sxy * sxy) / (sxx * syy) };
}

/** The direction of a pre-market bias: bullish +1, bearish −1, neutral 0. */
export function biasDirection(bias: string): Direction {
  if (bias.endsWith('bull')) return 1;
  if (bias.endsWith('bear')) return -1;
  return 0;
}

/** What the session did after the open, on one contract (prices strictly after the call). */
export interface SessionOutcome {
  open: number | null;
  openTo1000: number | null;
  openToClose: number | null;
}

/** Open → 10:00 and open → close returns (fractions) from the fixed prices; null where a price is missing. */
export function sessionOutcome(
  open: number | null,
  at1000: number | null,
  close: number | null,
): SessionOutcome {
  const ret = (p: number | null) => (open === null || p === null || !(open > 0) ? null : p / open - 1);
  return { open, openTo1000: ret(at1000), openToClose: ret(close) };
}

/**
 * The worst move against `direction` from `open` over the path (a fraction ≤ 0), or null for a call
 * without direction or without an open.
 */
export function maxAdverseMove(
  open: number | null,
  path: ReadonlyArray<{ price: number }>,
  direction: Direction,
): number | null {
  if (direction === 0 || open === null || !(open > 0)) return null;
  let worst = 0;
  for (const p of path) worst = Math.min(worst, direction * (p.price / open - 1));
  return worst;
}
