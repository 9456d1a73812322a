import type { z } from 'zod';
import { type DerivedRegime, deriveRegime } from './derived-regime.js';
import { InvalidSignalInputError } from './errors.js';
import type { SignalsConfig } from './params.js';
import type { DroppedIndex, indexInputEchoSchema, regimeContextSchema, vixContextSchema } from './schemas.js';
import {
  type CloseSource,
  type DailyClose,
  ENGINE_REGIMES,
  type EngineRegime,
  INDEX_SYMBOLS,
  type IndexSymbol,
  type PremarketIndexInput,
  type ReferenceCloses,
  type RegimeIndexInput,
  type Vix3mInput,
  type VixInput,
} from './types.js';
import {
  requireDailyCloses,
  requireFinite,
  requireInstant,
  requirePath,
  requirePositive,
} from './validate.js';
import { blendSigma, ewmaVariance, logReturns, realizedVolAnnual, sigmaDayFromVix } from './volatility.js';

/** Pieces both signals share: context echo, regime choice, σ and vol ratios, per-index screening. */

export type VixContext = z.infer<typeof vixContextSchema>;
export type RegimeContext = z.infer<typeof regimeContextSchema>;
export type IndexInputEcho = z.infer<typeof indexInputEchoSchema>;
type AnyIndexInput = PremarketIndexInput | RegimeIndexInput;

export function validateContextInputs(
  vix: VixInput | undefined,
  vix3m: Vix3mInput | undefined,
  regimeOverride: EngineRegime | undefined,
  vixCloses: readonly DailyClose[] | undefined,
): void {
  if (vix !== undefined) {
    requirePositive(vix.level, 'vix.level');
    requireInstant(vix.ts, 'vix.ts');
    if (vix.priorClose !== null) requirePositive(vix.priorClose, 'vix.priorClose');
  }
  if (vix3m !== undefined) {
    requirePositive(vix3m.level, 'vix3m.level');
    requireInstant(vix3m.ts, 'vix3m.ts');
  }
  if (regimeOverride !== undefined && !ENGINE_REGIMES.includes(regimeOverride)) {
    throw new InvalidSignalInputError('regimeOverride', `must be one of ${ENGINE_REGIMES.join(', ')}`);
  }
  if (vixCloses !== undefined) requireDailyCloses(vixCloses, 'vixCloses');
}

export function validateIndexInput(symbol: IndexSymbol, input: AnyIndexInput, asOf: Date): void {
  const at = `perIndex.${symbol}`;
  if (!Number.isInteger(input.conId)) throw new InvalidSignalInputError(`${at}.conId`, 'must be an integer');
  requirePositive(input.reference.price, `${at}.reference.price`);
  requireInstant(input.reference.ts, `${at}.reference.ts`);
  requirePositive(input.current.price, `${at}.current.price`);
  const ts = requireInstant(input.current.ts, `${at}.current.ts`);
  if (ts.getTime() > asOf.getTime()) {
    throw new InvalidSignalInputError(
      `${at}.current.ts`,
      `(${ts.toISOString()}) is after asOf ${asOf.toISOString()}`,
    );
  }
  if (input.current.spread !== undefined && input.current.spread !== null) {
    requireFinite(input.current.spread, `${at}.current.spread`);
  }
  requirePath(input.path, `${at}.path`);
  const last = input.path.at(-1);
  if (last !== undefined && last.ts.getTime() > asOf.getTime()) {
    throw new InvalidSignalInputError(`${at}.path`, `ends after asOf ${asOf.toISOString()}`);
  }
  if (input.limitDownPrice !== undefined && input.limitDownPrice !== null) {
    requirePositive(input.limitDownPrice, `${at}.limitDownPrice`);
  }
  requireDailyCloses(input.dailyCloses, `${at}.dailyCloses`);
}

export function vixContext(vix: VixInput | undefined, vix3m: Vix3mInput | undefined): VixContext {
  const level = vix?.level ?? null;
  const third = vix3m?.level ?? null;
  return {
    level,
    priorClose: vix?.priorClose ?? null,
    source: vix?.source ?? null,
    live: vix?.live ?? null,
    ts: vix?.ts.toISOString() ?? null,
    vix3m: third,
    term: level !== null && third !== null ? level / third : null,
  };
}

/** The reference closes in use and how they compare to ES (volScale = the index's vol ratio to ES). */
export interface ReferenceSeries {
  symbol: IndexSymbol | null;
  closes: readonly DailyClose[];
  source: CloseSource | null;
  volScale: number;
}

const derivedMemo = new WeakMap<
  readonly DailyClose[],
  { vix: readonly DailyClose[] | undefined; volScale: number; value: DerivedRegime }
>();

/** deriveRegime, once per (closes, VIX closes, scale): a replay's checks share their day's series. */
function derivedOf(reference: ReferenceSeries, vixCloses: readonly DailyClose[] | undefined): DerivedRegime {
  const hit = derivedMemo.get(reference.closes);
  if (hit !== undefined && hit.vix === vixCloses && hit.volScale === reference.volScale) return hit.value;
  const value = deriveRegime(reference.closes, vixCloses ?? [], reference.volScale);
  derivedMemo.set(reference.closes, { vix: vixCloses, volScale: reference.volScale, value });
  return value;
}

export function regimeContext(
  override: EngineRegime | undefined,
  reference: ReferenceSeries,
  vixCloses: readonly DailyClose[] | undefined,
): RegimeContext {
  const derived = derivedOf(reference, vixCloses);
  const closes = {
    symbol: reference.symbol,
    source: reference.source,
    sessions: reference.closes.length,
    volScale: reference.volScale,
  };
  if (override !== undefined) {
    return {
      value: override,
      source: 'override',
      derived,
      disagreement: derived.value !== null && derived.value !== override,
      closes,
    };
  }
  if (derived.value !== null)
    return { value: derived.value, source: 'derived', derived, disagreement: false, closes };
  return { value: 'neutral', source: 'default', derived, disagreement: false, closes };
}

const CLOSE_SOURCE_TEXT = {
  daily_bars: 'daily bars',
  intraday: 'intraday prices at the NYSE close',
  mixed: 'daily bars and intraday prices at the NYSE close',
} as const;

/** "; from 182 NQ closes (intraday prices at the NYSE close)", or '' without closes. */
export function closesText(closes: RegimeContext['closes']): string {
  if (closes.symbol === null || closes.source === null || closes.sessions === 0) return '';
  return `; from ${closes.sessions} ${closes.symbol} closes (${CLOSE_SOURCE_TEXT[closes.source]})`;
}

export interface DailySigma {
  /** VIX-implied daily σ (fraction) or null without VIX. */
  onVix: number | null;
  /** EWMA of ES daily log returns, or null with too little history. */
  onRealized: number | null;
  used: number | null;
  sessions: number;
}

const returnsMemo = new WeakMap<readonly DailyClose[], number[]>();

function returnsOf(closes: readonly DailyClose[]): number[] {
  let out = returnsMemo.get(closes);
  if (out === undefined) {
    out = logReturns(closes.map((c) => c.close));
    returnsMemo.set(closes, out);
  }
  return out;
}

/** The blended daily σ of ES (research §4.1: §3.3 without the √f_ON factor); another index's realised σ ÷ its ratio. */
export function dailySigma(
  vix: number | null,
  reference: ReferenceSeries,
  config: SignalsConfig,
): DailySigma {
  const returns = returnsOf(reference.closes);
  const onVix = vix === null ? null : sigmaDayFromVix(vix);
  const onRealized =
    returns.length >= config.minRealizedSessions
      ? Math.sqrt(ewmaVariance(returns, config.ewmaLambda)) / reference.volScale
      : null;
  return {
    onVix,
    onRealized,
    used: blendSigma(onVix, onRealized, config.vixBlendWeight),
    sessions: returns.length,
  };
}

export interface VolRatio {
  ratio: number;
  source: 'rv20' | 'default' | 'es';
}

/** σ_i/σ_ES from 20-day close-to-close vols (research §3.3 step 5); configured default without history. */
export function volRatios(
  closes: Partial<Record<IndexSymbol, readonly DailyClose[] | undefined>>,
  config: SignalsConfig,
): Record<IndexSymbol, VolRatio> {
  const rv = (symbol: IndexSymbol) =>
    realizedVolAnnual(
      (closes[symbol] ?? []).map((c) => c.close),
      20,
    );
  const es = rv('ES');
  const ratioOf = (symbol: 'NQ' | 'RTY'): VolRatio => {
    const own = rv(symbol);
    return es !== null && own !== null && es > 0 && own > 0
      ? { ratio: own / es, source: 'rv20' }
      : { ratio: config.defaultVolRatio[symbol], source: 'default' };
  };
  return { ES: { ratio: 1, source: 'es' }, NQ: ratioOf('NQ'), RTY: ratioOf('RTY') };
}

export type Screen = { ok: true; ageSeconds: number } | { ok: false; dropped: DroppedIndex };

/** Keep or drop one index: same contract throughout, fresh enough, reference at T_ref. */
export function screenIndex(
  symbol: IndexSymbol,
  input: AnyIndexInput | undefined,
  asOf: Date,
  maxAgeSeconds: number,
  referenceTime: Date | null,
): Screen {
  if (input === undefined)
    return { ok: false, dropped: { symbol, code: 'no_data', reason: `${symbol}: no data` } };
  const ageSeconds = (asOf.getTime() - input.current.ts.getTime()) / 1000;
  if (input.reference.conId !== input.conId || input.current.conId !== input.conId) {
    return {
      ok: false,
      dropped: {
        symbol,
        code: 'contract_mismatch',
        reason: `${symbol}: reference conId ${input.reference.conId} and current conId ${input.current.conId} are not both ${input.localSymbol} (${input.conId}); a move across a roll is never measured`,
      },
    };
  }
  if (ageSeconds > maxAgeSeconds) {
    return {
      ok: false,
      dropped: {
        symbol,
        code: 'stale',
        reason: `${symbol}: last price ${Math.round(ageSeconds)} s old (limit ${maxAgeSeconds} s)`,
      },
    };
  }
  if (referenceTime !== null && input.reference.kind !== 'spliced') {
    const offset = Math.abs(input.reference.ts.getTime() - referenceTime.getTime()) / 1000;
    if (offset > maxAgeSeconds) {
      return {
        ok: false,
        dropped: {
          symbol,
          code: 'reference_missing',
          reason: `${symbol}: reference price stamped ${input.reference.ts.toISOString()}, ${Math.round(offset)} s from T_ref ${referenceTime.toISOString()}`,
        },
      };
    }
  }
  return { ok: true, ageSeconds };
}

export function echoIndex(input: AnyIndexInput | undefined, asOf: Date): IndexInputEcho | null {
  if (input === undefined) return null;
  return {
    conId: input.conId,
    localSymbol: input.localSymbol,
    reference: {
      price: input.reference.price,
      ts: input.reference.ts.toISOString(),
      kind: input.reference.kind,
    },
    current: {
      price: input.current.price,
      ts: input.current.ts.toISOString(),
      kind: input.current.kind,
      ageSeconds: Math.max(0, (asOf.getTime() - input.current.ts.getTime()) / 1000),
      spread: input.current.spread ?? null,
    },
    pathPoints: input.path.length,
    dailyCloses: input.dailyCloses.length,
    daysToExpiry: 'daysToExpiry' in input ? (input.daysToExpiry ?? null) : null,
  };
}

export function perIndexRecord<T>(fn: (symbol: IndexSymbol) => T): Record<IndexSymbol, T> {
  return { ES: fn('ES'), NQ: fn('NQ'), RTY: fn('RTY') };
}

export function fmtPct(value: number, digits = 2): string {
  return `${value >= 0 ? '+' : ''}${value.toFixed(digits)}%`;
}

export function fmtSigma(value: number, digits = 2): string {
  return `${value >= 0 ? '+' : ''}${value.toFixed(digits)}σ`;
}

interface ContextInputs {
  vix?: VixInput | undefined;
  vix3m?: Vix3mInput | undefined;
  regimeOverride?: EngineRegime | undefined;
  vixCloses?: readonly DailyClose[] | undefined;
  perIndex: Partial<Record<IndexSymbol, AnyIndexInput>>;
  referenceCloses?: ReferenceCloses | undefined;
}

export interface SignalContext {
  vix: VixContext;
  regime: RegimeContext;
  /** ES daily σ (blend of VIX and realised). */
  daily: DailySigma;
  ratios: Record<IndexSymbol, VolRatio>;
  /** The closes behind the derived regime and the realised daily σ. */
  reference: ReferenceSeries;
}

/** The context both signals start from: VIX echo, regime, ES daily σ and per-index vol ratios. */
export function signalContext(inputs: ContextInputs, config: SignalsConfig): SignalContext {
  const vix = vixContext(inputs.vix, inputs.vix3m);
  const given = inputs.referenceCloses;
  const closes = perIndexRecord((s) =>
    given?.symbol === s && given.closes.length > (inputs.perIndex[s]?.dailyCloses.length ?? 0)
      ? given.closes
      : inputs.perIndex[s]?.dailyCloses,
  );
  const ratios = volRatios(closes, config);
  const reference: ReferenceSeries =
    given === undefined
      ? {
          symbol: 'ES',
          closes: closes.ES ?? [],
          source: closes.ES?.length ? 'daily_bars' : null,
          volScale: 1,
        }
      : {
          symbol: given.symbol,
          closes: given.closes,
          source: given.source,
          volScale: ratios[given.symbol].ratio,
        };
  return {
    vix,
    regime: regimeContext(inputs.regimeOverride, reference, inputs.vixCloses),
    daily: dailySigma(vix.level, reference, config),
    ratios,
    reference,
  };
}

export interface ScreenOptions {
  asOf: Date;
  maxAgeSeconds: number;
  /** T_ref the reference must sit at (premarket), or null (regime). */
  referenceTime: Date | null;
}

/** An index that passed screening, with what the signal measured of it. */
export type Measured<W> = W & { symbol: IndexSymbol; ageSeconds: number };

/**
 * Screens every index in INDEX_SYMBOLS order and measures the ones kept. `usable` keeps that order,
 * so sums over it are taken in the same order every time.
 */
export function screenIndices<I extends AnyIndexInput, W>(
  perIndex: Partial<Record<IndexSymbol, I>>,
  options: ScreenOptions,
  measure: (symbol: IndexSymbol, input: I, ageSeconds: number) => W,
): { usable: Array<Measured<W>>; dropped: DroppedIndex[] } {
  const usable: Array<Measured<W>> = [];
  const dropped: DroppedIndex[] = [];
  for (const symbol of INDEX_SYMBOLS) {
    const input = perIndex[symbol];
    const screen = screenIndex(symbol, input, options.asOf, options.maxAgeSeconds, options.referenceTime);
    if (!screen.ok) {
      dropped.push(screen.dropped);
      continue;
    }
    if (input === undefined) continue;
    usable.push({ ...measure(symbol, input, screen.ageSeconds), symbol, ageSeconds: screen.ageSeconds });
  }
  return { usable, dropped };
}

/** The measured index of `symbol`, or undefined when it was dropped. */
export function measuredOf<W>(
  usable: ReadonlyArray<Measured<W>>,
  symbol: IndexSymbol,
): Measured<W> | undefined {
  return usable.find((w) => w.symbol === symbol);
}
