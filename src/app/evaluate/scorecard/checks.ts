/**
 * The early-warning replay of a scorecard: checks every `everyMs` from `checksFrom` ET to the close of
 * each NYSE session, the hysteresis carried from check to check (as `signals regime --from/--to`
 * replays). The first session starts from the state a one-shot check would derive (the configured
 * window before its first check, at the configured cadence). Each check reads only its day's slice.
 */
import { isUserError } from '../../../core/errors.js';
import { etInstant, type MarketCalendar, type NyseSession } from '../../../market/index.js';
import type { PriceSlice } from '../../../market/price.js';
import { computeRegime, type EarlyWarningState, type SignalsConfig } from '../../../signals/index.js';
import {
  buildRegimeInputs,
  type ContextOverrides,
  type LoaderOptions,
} from '../../../signals/inputs/index.js';
import type { WarningLevel } from '../../../signals/types.js';
import { checkInstants } from '../early-warning.js';
import { sessionSlice } from './window.js';

const MINUTE_MS = 60_000;

export interface ReplayedCheck {
  at: Date;
  session: string;
  level: WarningLevel;
}

export interface CheckReplay {
  checks: ReplayedCheck[];
  skipped: number;
}

/** The check instants of one session: every `everyMs` from checksFrom ET through the close. */
export function sessionCheckInstants(
  session: NyseSession,
  checksFrom: string,
  everyMs: number,
  calendar: MarketCalendar,
): Date[] {
  const from = etInstant(session.date, checksFrom).getTime();
  return checkInstants(from, session.close.getTime() + 1, everyMs, calendar);
}

export interface ReplaySettings {
  checksFrom: string;
  everyMs: number;
  options: LoaderOptions;
  overrides: ContextOverrides;
  config: SignalsConfig;
}

/** The early-warning checks over the sessions, from the window slice. */
export function replayChecks(
  window: PriceSlice,
  sessions: readonly NyseSession[],
  settings: ReplaySettings,
): CheckReplay {
  const { options, overrides, config } = settings;
  const ew = config.earlyWarning;
  const checks: ReplayedCheck[] = [];
  let skipped = 0;
  let state: EarlyWarningState | undefined;
  const step = (slice: PriceSlice, at: Date): WarningLevel | undefined => {
    try {
      const inputs = buildRegimeInputs(slice, at, options, overrides);
      const document = computeRegime({ ...inputs, previousState: state }, config);
      state = document.state;
      return document.level;
    } catch (error) {
      if (!isUserError(error)) throw error;
      return undefined;
    }
  };
  sessions.forEach((session, i) => {
    const instants = sessionCheckInstants(session, settings.checksFrom, settings.everyMs, options.calendar);
    const first = instants[0];
    if (first === undefined) return;
    const derive =
      i === 0
        ? checkInstants(
            first.getTime() - ew.deriveWindowMinutes * MINUTE_MS,
            first.getTime(),
            ew.checkEveryMinutes * MINUTE_MS,
            options.calendar,
          )
        : [];
    const slice = sessionSlice(window, session, derive[0] ?? first, options);
    for (const at of derive) step(slice, at);
    for (const at of instants) {
      const level = step(slice, at);
      if (level === undefined) skipped++;
      else checks.push({ at, session: session.date, level });
    }
  });
  return { checks, skipped };
}
