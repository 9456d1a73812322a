/**
 * A small synthetic lake for the scorecard: ES 1-minute bars (ESZ6) from Wed 2026-10-21 through the
 * half-day Fri 2026-11-27, across the end of DST (Sun 2026-11-01) and Thanksgiving (Thu 2026-11-26),
 * with VIX daily closes. Calm wiggles, plus:
 * - Wed 2026-11-04: −2.8 % overnight (03:00→09:00 ET), −4 % by 11:00 ET, then flat: a bearish call and a
 *   drawdown event (2 % breached before the open);
 * - Tue 2026-11-10: +2 % overnight (02:00→08:00 ET), then flat: a bullish call.
 * `poisonAfter`: every price stamped after that instant is replaced by a wild one (the no-look-ahead test).
 */

import { openMemoryConnection } from '../../../src/delta/index.js';
import { appendBars, type BarRecord } from '../../../src/lake/index.js';
import { addDays, etInstant } from '../../../src/market/index.js';
import { dailyBar, minuteBars } from '../../lake/inputs/fixtures.js';

const MIN = 60_000;
export const FIRST_BAR = '2026-10-21T12:00:00Z';
export const LAST_BAR = '2026-11-27T18:00:00Z';
export const CRASH_DAY = '2026-11-04';
export const RALLY_DAY = '2026-11-10';

/** Linear from 0 at `from` to `size` at `to`, `size` afterwards. */
function ramp(ms: number, from: number, to: number, size: number): number {
  if (ms <= from) return 0;
  if (ms >= to) return size;
  return (size * (ms - from)) / (to - from);
}

export function esPrice(t: Date): number {
  const ms = t.getTime();
  const calm = 1 + 0.0015 * Math.sin(ms / (97 * MIN)) + 0.0006 * Math.sin(ms / (13 * MIN));
  const crash =
    ramp(ms, etInstant(CRASH_DAY, '03:00').getTime(), etInstant(CRASH_DAY, '09:00').getTime(), -0.028) +
    ramp(ms, etInstant(CRASH_DAY, '09:30').getTime(), etInstant(CRASH_DAY, '11:00').getTime(), -0.012);
  const rally = ramp(
    ms,
    etInstant(RALLY_DAY, '02:00').getTime(),
    etInstant(RALLY_DAY, '08:00').getTime(),
    0.02,
  );
  return 6000 * calm * (1 + crash) * (1 + rally);
}

function poisoned(price: (t: Date) => number, after: Date | undefined) {
  if (after === undefined) return price;
  return (t: Date) =>
    t.getTime() > after.getTime()
      ? price(t) * (0.8 + 0.3 * Math.abs(Math.sin(t.getTime() / (7 * MIN))))
      : price(t);
}

export async function buildScorecardLake(dir: string, options: { poisonAfter?: Date } = {}): Promise<void> {
  const bars: BarRecord[] = minuteBars({
    symbol: 'ES',
    conId: 1,
    localSymbol: 'ESZ6',
    from: FIRST_BAR,
    to: LAST_BAR,
    price: poisoned(esPrice, options.poisonAfter),
  });
  for (let d = '2026-08-03'; d <= '2026-11-27'; d = addDays(d, 1)) {
    const weekday = new Date(`${d}T12:00:00Z`).getUTCDay();
    if (weekday === 0 || weekday === 6 || d === '2026-11-26') continue;
    const at = etInstant(d, '17:00');
    if (options.poisonAfter !== undefined && at.getTime() > options.poisonAfter.getTime()) {
      bars.push(dailyBar('VIX', d, 80));
      continue;
    }
    bars.push(dailyBar('VIX', d, d >= CRASH_DAY && d < '2026-11-06' ? 24 : 17));
  }
  const owned = await openMemoryConnection();
  try {
    await appendBars(owned.connection, dir, bars);
  } finally {
    owned.close();
  }
}
