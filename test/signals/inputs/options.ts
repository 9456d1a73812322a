import { defaultCalendar } from '../../../src/market/index.js';
import type { LoaderOptions } from '../../../src/signals/inputs/index.js';

/** The loader options of the input tests: the default calendar, 15-min freshness, a 26-session lookback. */
export const loaderOptions = (symbols: LoaderOptions['symbols'] = ['ES', 'NQ', 'RTY']): LoaderOptions => ({
  symbols,
  calendar: defaultCalendar(),
  maxInputAgeSeconds: 900,
  rollDays: 8,
  lookbackSessions: 26,
  dailyLookbackDays: 400,
});
