/**
 * The demo steps that still run a command module in-process (its run() with an option bag validated by
 * its own schema): compaction belongs in app/maintain and the signal evaluations in app/evaluate; these
 * two functions are where the demo is to call them instead.
 */
import type { z } from 'zod';
import { futuresCompactCommand } from '../../commands/futures/compact.js';
import { signalsPremarketCommand } from '../../commands/signals/premarket.js';
import { signalsRegimeCommand } from '../../commands/signals/regime.js';
import type { RunContext } from '../context.js';

function optionsFor<S extends z.ZodType>(schema: S, bag: Record<string, unknown>): z.infer<S> {
  return schema.parse({ json: true, quiet: true, verbose: false, ...bag });
}

/** `futures compact` over every table of the demo lake. */
export async function compactLake(ctx: RunContext): Promise<void> {
  await futuresCompactCommand.run(optionsFor(futuresCompactCommand.schema, {}), ctx);
}

/** `signals premarket` or `signals regime` as of `asOf`, recorded to signal_runs; the signal's document. */
export async function evaluateSignal(
  ctx: RunContext,
  signal: 'premarket' | 'regime',
  asOf: string,
): Promise<unknown> {
  const result =
    signal === 'premarket'
      ? await signalsPremarketCommand.run(
          optionsFor(signalsPremarketCommand.schema, { asOf, record: true }),
          ctx,
        )
      : await signalsRegimeCommand.run(optionsFor(signalsRegimeCommand.schema, { asOf, record: true }), ctx);
  if (typeof result === 'object' && result !== null && 'document' in result) return result.document;
  return result;
}
