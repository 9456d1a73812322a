/**
 * The pre-market calls of a scorecard: for each NYSE session the call `signals premarket --as-of` would
 * have made at `at` ET, from that session's slice only (prices stamped after the call are cut away),
 * then graded on the reference index's contract with what the session did after the open.
 */
import { isUserError } from '../../../core/errors.js';
import { etInstant, type NyseSession } from '../../../market/index.js';
import type { PriceSlice } from '../../../market/price.js';
import { computePremarket, type PremarketDocument, type SignalsConfig } from '../../../signals/index.js';
import {
  buildPremarketInputs,
  type ContextOverrides,
  type LoaderOptions,
  planPremarket,
} from '../../../signals/inputs/index.js';
import { biasDirection, naiveDirection } from '../../../signals/scorecard.js';
import type { GradedCallRecord } from '../../../signals/scorecard-schema.js';
import type { IndexSymbol, WarningLevel } from '../../../signals/types.js';
import { contractOf, outcomeOf } from './outcome.js';
import { cutSlice } from './window.js';

export interface CallSettings {
  at: string;
  reference: IndexSymbol;
  naiveMinMove: number;
  options: LoaderOptions;
  overrides: ContextOverrides;
  config: SignalsConfig;
}

/** The call at asOf from a session slice, cut to what was stamped by then. */
export function callAt(
  slice: PriceSlice,
  asOf: Date,
  settings: Pick<CallSettings, 'options' | 'overrides' | 'config'>,
): PremarketDocument {
  const plan = planPremarket(asOf, settings.options);
  const known = cutSlice(slice, {
    from: slice.from,
    to: asOf,
    fixingsFrom: new Date(0),
    dailyFrom: '1970-01-01',
    dailyTo: '9999-12-31',
    dailyAvailableBy: asOf,
  });
  const inputs = buildPremarketInputs(known, asOf, plan, settings.options, settings.overrides);
  return computePremarket(inputs, settings.config);
}

/** One session's graded call; `level` is the early warning's level at the call (or null). */
export function gradedCall(
  window: PriceSlice,
  sessionSliceOf: PriceSlice,
  session: NyseSession,
  level: WarningLevel | null,
  settings: CallSettings,
): { record: GradedCallRecord; naiveMaxAdverse: number | null } {
  const asOf = etInstant(session.date, settings.at);
  let document: PremarketDocument | undefined;
  let skipped: string | null = null;
  try {
    document = callAt(sessionSliceOf, asOf, settings);
  } catch (error) {
    if (!isUserError(error)) throw error;
    skipped = error.message;
  }
  const echo = document?.inputs.perIndex[settings.reference] ?? null;
  const move = document?.measures.perIndex[settings.reference]?.pct ?? null;
  const direction = document === undefined ? 0 : biasDirection(document.decision.bias);
  const naive = naiveDirection(move === null ? null : move / 100, settings.naiveMinMove);
  const contract = contractOf(window, settings.reference, session, settings.options, echo?.conId);
  const outcome =
    contract === undefined
      ? { openTo1000: null, openToClose: null, maxAdverse: null }
      : outcomeOf(contract, session, direction);
  const naiveMaxAdverse =
    contract === undefined || naive === 0 ? null : outcomeOf(contract, session, naive).maxAdverse;
  const record: GradedCallRecord = {
    session: session.date,
    asOf: asOf.toISOString(),
    bias: document?.decision.bias ?? null,
    mode: document?.decision.mode ?? null,
    strength: document?.decision.strength ?? null,
    band: document?.decision.band ?? null,
    z: document?.measures.composite.z ?? null,
    overnightPct: move,
    direction,
    naiveDirection: naive,
    earlyWarning: level,
    openTo1000: outcome.openTo1000,
    openToClose: outcome.openToClose,
    maxAdverse: outcome.maxAdverse,
    skipped,
  };
  return { record, naiveMaxAdverse };
}
