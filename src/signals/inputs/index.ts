/** Pure builders of the signal inputs over a PriceSlice (market/price.ts); the lake read fills the slice. */

export { buildPremarketInputs, buildRegimeInputs } from './build.js';
export { backAdjustedCloses, type CloseObservation, type RollAdjustment } from './daily.js';
export {
  type ContextOverrides,
  checkOverrides,
  type LoaderOptions,
  type PremarketPlan,
  planPremarket,
  planRegime,
  premarketSession,
  type RegimePlan,
  regimeReference,
  sessionsBefore,
  VIX_OVERRIDE_RANGE,
} from './plan.js';
