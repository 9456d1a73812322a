import type { DailyClose } from '../types.js';

/** A daily close of one contract (from a 1-day bar, or the price at the NYSE close from intraday data). */
export interface CloseObservation {
  date: string;
  conId: number;
  close: number;
}

export interface RollAdjustment {
  date: string;
  from: number;
  to: number;
  /** History before `date` was multiplied by k (1 when no common quote of both contracts existed). */
  k: number;
}

/**
 * One close per date, ratio back-adjusted at every contract change (research §2.5 rule 2): at a
 * switch on date R, all earlier closes are multiplied by close_new/close_old of the latest date both
 * contracts have, so percentage returns stay intact. The contract followed on a date is `prefer`
 * when present, else the one followed before, else the one whose data lasts longest.
 */
export function backAdjustedCloses(
  observations: readonly CloseObservation[],
  prefer?: number,
): { closes: DailyClose[]; rolls: RollAdjustment[] } {
  const byDate = new Map<string, Map<number, number>>();
  const lastDate = new Map<number, string>();
  for (const o of observations) {
    if (!(o.close > 0) || !Number.isFinite(o.close)) continue;
    const day = byDate.get(o.date) ?? new Map<number, number>();
    day.set(o.conId, o.close);
    byDate.set(o.date, day);
    const seen = lastDate.get(o.conId);
    if (seen === undefined || seen < o.date) lastDate.set(o.conId, o.date);
  }
  const dates = [...byDate.keys()].sort();
  const out: Array<{ date: string; close: number }> = [];
  const rolls: RollAdjustment[] = [];
  let current: number | undefined;
  for (const date of dates) {
    const day = byDate.get(date) as Map<number, number>;
    let chosen: number;
    if (prefer !== undefined && day.has(prefer)) chosen = prefer;
    else if (current !== undefined && day.has(current)) chosen = current;
    else {
      chosen = [...day.keys()].sort((a, b) =>
        (lastDate.get(b) ?? '').localeCompare(lastDate.get(a) ?? ''),
      )[0] as number;
    }
    if (current !== undefined && chosen !== current && out.length > 0) {
      const k = rollFactor(byDate, dates, date, current, chosen);
      rolls.push({ date, from: current, to: chosen, k });
      if (k !== 1) for (const row of out) row.close *= k;
    }
    current = chosen;
    out.push({ date, close: day.get(chosen) as number });
  }
  return { closes: out, rolls };
}

/** close_new/close_old on the latest date at or before `date` where both contracts have a close. */
function rollFactor(
  byDate: Map<string, Map<number, number>>,
  dates: readonly string[],
  date: string,
  from: number,
  to: number,
): number {
  for (let i = dates.indexOf(date); i >= 0; i--) {
    const day = byDate.get(dates[i] as string);
    const a = day?.get(from);
    const b = day?.get(to);
    if (a !== undefined && b !== undefined) return b / a;
  }
  return 1;
}
