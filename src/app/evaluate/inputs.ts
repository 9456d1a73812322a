/**
 * Signal inputs from the lake: plan (signals/inputs) → read (lake/signal-inputs) → build (signals/inputs).
 * The one place that combines the lake read with the pure builders.
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import { fetchSlice, loadTableSnapshots, type TableSnapshots } from '../../lake/signal-inputs.js';
import type { PriceSlice, SliceSpec } from '../../market/price.js';
import {
  buildPremarketInputs,
  buildRegimeInputs,
  type ContextOverrides,
  type LoaderOptions,
  planPremarket,
  planRegime,
} from '../../signals/inputs/index.js';
import type { PremarketInputs, RegimeInputs } from '../../signals/types.js';

export { loadTableSnapshots, type TableSnapshots };

/** Where the inputs are read from. Pass `tables` already loaded so one run replays each Delta log once. */
export interface InputSource {
  connection: DuckDBConnection;
  dataDir: string;
  tables?: TableSnapshots | undefined;
}

export interface InputsByKind {
  premarket: PremarketInputs;
  regime: RegimeInputs;
}
export type SignalKind = keyof InputsByKind;

interface Planned<K extends SignalKind> {
  spec: SliceSpec;
  build(slice: PriceSlice): InputsByKind[K];
}

type Planner<K extends SignalKind> = (
  asOf: Date,
  options: LoaderOptions,
  overrides: ContextOverrides,
) => Planned<K>;

const PLANNERS: { [K in SignalKind]: Planner<K> } = {
  premarket: (asOf, options, overrides) => {
    const plan = planPremarket(asOf, options);
    return { spec: plan.spec, build: (slice) => buildPremarketInputs(slice, asOf, plan, options, overrides) };
  },
  regime: (asOf, options, overrides) => ({
    spec: planRegime(asOf, options).spec,
    build: (slice) => buildRegimeInputs(slice, asOf, options, overrides),
  }),
};

/**
 * The inputs of one signal at `asOf` (regime inputs without previousState), or undefined when the lake
 * holds neither futures table.
 */
export async function loadSignalInputs<K extends SignalKind>(
  kind: K,
  source: InputSource,
  asOf: Date,
  options: LoaderOptions,
  overrides: ContextOverrides = {},
): Promise<InputsByKind[K] | undefined> {
  const planned = PLANNERS[kind](asOf, options, overrides);
  const slice = await fetchSlice(source.connection, source.dataDir, planned.spec, source.tables);
  return slice && planned.build(slice);
}

/** One slice for a spec built by the caller (the union of several evaluations' plans). */
export async function fetchWindowSlice(
  source: InputSource,
  spec: SliceSpec,
): Promise<PriceSlice | undefined> {
  return fetchSlice(source.connection, source.dataDir, spec, source.tables);
}

/**
 * One slice covering every instant of `instants` (ascending, typically one CME trade date of a
 * replay), so each evaluation is cut from memory (buildRegimeInputs) instead of re-reading the lake.
 */
export async function loadRegimeSlice(
  source: InputSource,
  instants: readonly Date[],
  options: LoaderOptions,
): Promise<PriceSlice | undefined> {
  const first = instants[0];
  const last = instants.at(-1);
  if (first === undefined || last === undefined) return undefined;
  const plan = planRegime(first, options, last);
  return fetchSlice(source.connection, source.dataDir, plan.spec, source.tables);
}
