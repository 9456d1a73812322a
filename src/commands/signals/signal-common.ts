/**
 * Shared by `signals premarket` and `signals regime`: the flags and their parsing into an evaluate
 * request, and the replay lines of the result. Light at top level: the use case (src/app/evaluate,
 * DuckDB) is imported by each command's run.
 */

import { z } from 'zod';
import {
  type EvaluateRequest,
  type Evaluation,
  type ReplayEntry,
  type ReplayRange,
  ReplayTooLongError,
} from '../../app/evaluate/types.js';
import { globalOptionsShape } from '../../cli/command.js';
import { exitCodeOf } from '../../cli/exit.js';
import { decimalFlag } from '../../cli/numbers.js';
import { DISPLAY_ZONE_FLAG, displayZoneShape } from '../../cli/time-flags.js';
import { UsageError, type UserError } from '../../core/errors.js';
import { etParts, INPUT_DATE_MESSAGE, isInputDate, parseInstant } from '../../market/index.js';
import { VIX_OVERRIDE_RANGE } from '../../signals/inputs/plan.js';
import type { ReplaySkip } from '../../signals/schemas.js';
import { ENGINE_REGIMES, INDEX_SYMBOLS, type IndexSymbol } from '../../signals/types.js';

const isoDate = z.string().refine(isInputDate, INPUT_DATE_MESSAGE);

export const signalOptionsShape = {
  ...globalOptionsShape,
  asOf: z.string().optional(),
  vix: decimalFlag()
    .pipe(z.number())
    .pipe(
      z
        .number()
        .min(VIX_OVERRIDE_RANGE.min, 'must be a VIX level of at least 1 (VIX has never closed below 9)')
        .max(VIX_OVERRIDE_RANGE.max, 'must be a VIX level of at most 200 (VIX has never closed above 90)'),
    )
    .optional(),
  regime: z.enum(ENGINE_REGIMES).optional(),
  symbols: z.string().optional(),
  record: z.boolean().optional(),
  from: isoDate.optional(),
  to: isoDate.optional(),
  ...displayZoneShape,
};

export const SIGNAL_FLAGS = [
  {
    flags: '--as-of <time>',
    description:
      "evaluate with only data stamped at or before TIME (ISO-8601, or 'YYYY-MM-DD HH:MM' ET); not recorded unless --record",
  },
  { flags: '--vix <n>', description: 'VIX level from the caller (else derived from the lake)' },
  {
    flags: '--regime <regime>',
    description: 'market regime from the caller (else derived from ES daily closes)',
    choices: ENGINE_REGIMES,
  },
  {
    flags: '--symbols <list>',
    description: 'indices to use, comma-separated',
    defaultDescription: 'ES,NQ,RTY',
  },
  { flags: '--record', description: 'record this run to signal_runs even with --as-of or a replay' },
  { flags: '--no-record', description: 'do not record this run to signal_runs' },
  {
    flags: '--from <date>',
    description:
      'replay from this date (YYYY-MM-DD): a row per step on a terminal, JSON Lines piped or with --json',
  },
  { flags: '--to <date>', description: 'replay through this date (YYYY-MM-DD)' },
  DISPLAY_ZONE_FLAG,
] as const;

export type SignalOptions = z.infer<z.ZodObject<typeof signalOptionsShape>>;

export function parseSymbols(value: string | undefined): IndexSymbol[] {
  if (value === undefined) return [...INDEX_SYMBOLS];
  const items = value
    .split(',')
    .map((s) => s.trim().toUpperCase())
    .filter((s) => s.length > 0);
  if (items.length === 0) throw new UsageError('--symbols: give at least one of ES, NQ, RTY.');
  const known = INDEX_SYMBOLS as readonly string[];
  const unknown = items.filter((s) => !known.includes(s));
  if (unknown.length > 0) {
    throw new UsageError(`--symbols: unknown symbol ${unknown.map((s) => `'${s}'`).join(', ')}.`, {
      hint: `The signals use ${INDEX_SYMBOLS.join(', ')}.`,
    });
  }
  return INDEX_SYMBOLS.filter((s) => items.includes(s));
}

/** --as-of: a past instant; a time in the future or unparseable is a usage error. */
export function parseAsOf(value: string | undefined, now: Date): Date | undefined {
  if (value === undefined) return undefined;
  let at: Date;
  try {
    at = parseInstant(value);
  } catch (error) {
    throw new UsageError(`--as-of: ${error instanceof Error ? error.message : String(error)}`);
  }
  if (at.getTime() > now.getTime()) {
    throw new UsageError(`--as-of ${at.toISOString()} is in the future (now ${now.toISOString()}).`, {
      hint: 'Evaluate a past instant, or leave --as-of out to evaluate now.',
    });
  }
  return at;
}

export function replayRange(opts: SignalOptions, now: Date): ReplayRange | undefined {
  if (opts.from === undefined && opts.to === undefined) return undefined;
  if (opts.from === undefined || opts.to === undefined) {
    throw new UsageError('A replay needs both --from and --to.');
  }
  if (opts.to < opts.from) throw new UsageError(`--to ${opts.to} is before --from ${opts.from}.`);
  if (opts.asOf !== undefined) throw new UsageError('Use either --as-of or --from/--to, not both.');
  if (opts.from > etParts(now).date) throw new UsageError(`--from ${opts.from} is in the future.`);
  return { from: opts.from, to: opts.to };
}

/** The evaluate request of the flags; `now` judges --as-of and --from. */
export function evaluateRequestOf(opts: SignalOptions, now: Date): EvaluateRequest {
  const symbols = parseSymbols(opts.symbols);
  const asOf = parseAsOf(opts.asOf, now);
  const range = replayRange(opts, now);
  return { symbols, asOf, range, overrides: { vix: opts.vix, regime: opts.regime }, record: opts.record };
}

export type SignalResult<D> =
  | { mode: 'single'; document: D; recorded: boolean }
  | { mode: 'replay'; lines: Array<D | ReplaySkip>; recorded: number };

/** One `signals.replay-skip/v1` line body for an evaluation that failed with a user error. */
function replaySkip(kind: 'premarket' | 'regime', asOf: Date, error: UserError): ReplaySkip {
  return {
    schema: 'signals.replay-skip/v1',
    kind,
    asOf: asOf.toISOString(),
    error: {
      code: error.code,
      message: error.message,
      hint: error.hint ?? null,
      exitCode: exitCodeOf(error),
    },
  };
}

/** The replay lines of an evaluation: each document, or the skip record of an instant that had none. */
export function replayLines<D>(
  kind: 'premarket' | 'regime',
  entries: readonly ReplayEntry<D>[],
): Array<D | ReplaySkip> {
  return entries.map((entry) =>
    'document' in entry ? entry.document : replaySkip(kind, entry.asOf, entry.skipped),
  );
}

/** The command's result of an evaluation. */
export function signalResultOf<D>(kind: 'premarket' | 'regime', evaluation: Evaluation<D>): SignalResult<D> {
  if (evaluation.mode === 'single') {
    return { mode: 'single', document: evaluation.document, recorded: evaluation.recorded };
  }
  return { mode: 'replay', lines: replayLines(kind, evaluation.entries), recorded: evaluation.recorded };
}

/** A replay too long for one run gets the hint of the flags that shorten it. */
export async function withReplayHint<T>(evaluation: Promise<T>, hint: string): Promise<T> {
  try {
    return await evaluation;
  } catch (error) {
    if (error instanceof ReplayTooLongError) {
      throw new UsageError(error.message, { cause: error, hint });
    }
    throw error;
  }
}
