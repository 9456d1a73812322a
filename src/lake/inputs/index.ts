/** Loaders of the signal inputs: lake → PremarketInputs / RegimeInputs (src/signals types only). */
import type { DuckDBConnection } from '@duckdb/node-api';
import type { PremarketInputs, RegimeInputs } from '../../signals/types.js';
import {
  buildPremarketInputs,
  buildRegimeInputs,
  type ContextOverrides,
  type LoaderOptions,
  planPremarket,
  planRegime,
} from './build.js';
import { fetchSlice, type loadTableSnapshots } from './fetch.js';
import type { LakeSlice } from './types.js';

export {
  buildPremarketInputs,
  buildRegimeInputs,
  type ContextOverrides,
  type LoaderOptions,
  type PremarketPlan,
  planPremarket,
  planRegime,
  premarketSession,
  type RegimePlan,
  regimeReference,
  sessionsBefore,
} from './build.js';
export { backAdjustedCloses, type CloseObservation, type RollAdjustment } from './daily.js';
export { type FetchSpec, fetchSlice, loadTableSnapshots, SNAPSHOT_PRICE_SQL } from './fetch.js';
export type { DailyBar, Fixing, IndexPrint, LakeSlice, SeriesPoint } from './types.js';

/**
 * Pre-market inputs at `asOf`, or undefined when the lake holds neither futures table. Pass the `tables`
 * the caller already loaded (loadTableSnapshots) so one run replays each Delta log once.
 */
export async function loadPremarketInputs(
  connection: DuckDBConnection,
  dataDir: string,
  asOf: Date,
  options: LoaderOptions,
  overrides: ContextOverrides = {},
  tables?: Awaited<ReturnType<typeof loadTableSnapshots>>,
): Promise<PremarketInputs | undefined> {
  const plan = planPremarket(asOf, options);
  const slice = await fetchSlice(connection, dataDir, plan.spec, tables);
  return slice && buildPremarketInputs(slice, asOf, plan, options, overrides);
}

/** Regime inputs at `asOf` (without previousState), or undefined when the lake is empty. */
export async function loadRegimeInputs(
  connection: DuckDBConnection,
  dataDir: string,
  asOf: Date,
  options: LoaderOptions,
  overrides: ContextOverrides = {},
  tables?: Awaited<ReturnType<typeof loadTableSnapshots>>,
): Promise<RegimeInputs | undefined> {
  const plan = planRegime(asOf, options);
  const slice = await fetchSlice(connection, dataDir, plan.spec, tables);
  return slice && buildRegimeInputs(slice, asOf, options, overrides);
}

/**
 * One slice covering every instant of `instants` (ascending, typically one CME trade date of a
 * replay), so each evaluation is cut from memory instead of re-reading the lake.
 */
export async function loadRegimeSlice(
  connection: DuckDBConnection,
  dataDir: string,
  instants: readonly Date[],
  options: LoaderOptions,
  tables?: Awaited<ReturnType<typeof loadTableSnapshots>>,
): Promise<LakeSlice | undefined> {
  const first = instants[0];
  const last = instants.at(-1);
  if (first === undefined || last === undefined) return undefined;
  const plan = planRegime(first, options, last);
  return fetchSlice(connection, dataDir, plan.spec, tables);
}
