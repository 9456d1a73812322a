/** The demo's maintenance and signal steps, through the same use cases as `futures compact` and `signals`. */
import { INDEX_SYMBOLS } from '../../signals/types.js';
import type { RunContext } from '../context.js';
import { evaluateSignal } from '../evaluate/evaluate.js';
import { premarketStrategy } from '../evaluate/premarket.js';
import { regimeStrategy } from '../evaluate/regime.js';
import { compactLake } from '../maintain.js';

/** `futures compact` over every table of the demo lake. */
export async function compactDemoLake(ctx: RunContext): Promise<void> {
  await compactLake(
    {
      targets: undefined,
      targetSize: ctx.config.compact.targetSizeBytes,
      partition: undefined,
      vacuum: false,
      retentionMs: undefined,
      forceRetention: false,
      dryRun: false,
      lockHolder: 'futures demo',
    },
    ctx,
  );
}

const REGIME_EVERY_MS = 5 * 60_000;

/** `signals premarket` or `signals regime` as of `asOf`, recorded to signal_runs; the signal's document. */
export async function evaluateDemoSignal(
  ctx: RunContext,
  signal: 'premarket' | 'regime',
  asOf: Date,
): Promise<unknown> {
  const request = { symbols: INDEX_SYMBOLS, asOf, range: undefined, overrides: {}, record: true };
  const evaluation =
    signal === 'premarket'
      ? await evaluateSignal(premarketStrategy, request, ctx)
      : await evaluateSignal(regimeStrategy(REGIME_EVERY_MS), request, ctx);
  return evaluation.mode === 'single' ? evaluation.document : evaluation.entries;
}
