import { addDays, etToUtc, MINUTE_MS, parseYmd, simEtParts, type Ymd } from '../calendar.js';
import type { FutureSymbol } from '../contracts.js';
import type { MarketEvent } from '../scenario.js';

/** Scenario events pinned to instants: a time without a date is its first occurrence after the start. */

interface ResolvedWindow {
  from: number;
  to: number;
}

export type ResolvedEvent =
  | ({ type: 'selloff'; pct: number; symbols: FutureSymbol[] } & ResolvedWindow)
  | { type: 'gap'; at: number; pct: number; symbols: FutureSymbol[] }
  | ({
      type: 'limitDown';
      pct: number;
      limitPct: number;
      lockUntil: number;
      symbols: FutureSymbol[];
    } & ResolvedWindow)
  | ({ type: 'vixSpike'; level: number; decayMs: number } & ResolvedWindow);

function nextOccurrence(afterMs: number, hhmm: string, date: string | undefined, inclusive: boolean): number {
  const [h, m] = hhmm.split(':').map(Number) as [number, number];
  const minuteOfDay = h * 60 + m;
  if (date) {
    const ymd = parseYmd(date);
    if (ymd) return etToUtc(ymd.year, ymd.month, ymd.day, minuteOfDay);
  }
  const p = simEtParts(afterMs);
  let ymd: Ymd = { year: p.year, month: p.month, day: p.day };
  for (let i = 0; i < 3; i++) {
    const at = etToUtc(ymd.year, ymd.month, ymd.day, minuteOfDay);
    if (inclusive ? at >= afterMs : at > afterMs) return at;
    ymd = addDays(ymd, 1);
  }
  return etToUtc(ymd.year, ymd.month, ymd.day, minuteOfDay);
}

export function resolveEvents(events: readonly MarketEvent[], startMs: number): ResolvedEvent[] {
  const startMinute = Math.floor(startMs / MINUTE_MS) * MINUTE_MS;
  return events.map((event): ResolvedEvent => {
    const symbols =
      'symbols' in event && event.symbols
        ? [...event.symbols]
        : ['ES' as const, 'NQ' as const, 'RTY' as const];
    if (event.type === 'gap') {
      return {
        type: 'gap',
        at: nextOccurrence(startMinute, event.at, event.date, true),
        pct: event.pct,
        symbols,
      };
    }
    const from = nextOccurrence(startMinute, event.from, event.date, true);
    const to = nextOccurrence(from, event.to, undefined, false);
    if (event.type === 'selloff') return { type: 'selloff', from, to, pct: event.pct, symbols };
    if (event.type === 'vixSpike') {
      return { type: 'vixSpike', from, to, level: event.level, decayMs: event.decayHours * 3_600_000 };
    }
    return {
      type: 'limitDown',
      from,
      to,
      pct: event.pct,
      limitPct: event.limitPct,
      lockUntil: nextOccurrence(from, '09:30', undefined, false),
      symbols,
    };
  });
}
