import { resolve } from 'node:path';
import { runProgram } from './cli/program.js';
import type { Ctx } from './core/context.js';

/** The real process as a Ctx; SIGINT/SIGTERM abort ctx.signal so long runs finish their round. */
export function processContext(): Ctx {
  const controller = new AbortController();
  const onSignal = (name: NodeJS.Signals) => {
    process.stderr.write(`\nreceived ${name}: finishing the current step (send again to stop at once)\n`);
    controller.abort(new Error(name));
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  return {
    now: () => new Date(),
    env: process.env,
    cwd: resolve(process.cwd()),
    stdout: process.stdout,
    stderr: process.stderr,
    signal: controller.signal,
  };
}

export async function runFutures(argv: readonly string[], ctx: Ctx = processContext()): Promise<number> {
  const { futuresCommands } = await import('./commands/futures/index.js');
  return runProgram(
    {
      name: 'futures',
      description:
        'Collect CME equity-index futures (ES, NQ, RTY, VIX) from Interactive Brokers into Delta Lake, and maintain the lake.',
      commands: futuresCommands,
    },
    argv,
    ctx,
  );
}

export async function runSignals(argv: readonly string[], ctx: Ctx = processContext()): Promise<number> {
  const { signalsCommands } = await import('./commands/signals/index.js');
  return runProgram(
    {
      name: 'signals',
      description:
        'Pre-market surge and regime early-warning signals from the futures lake (reads Delta only).',
      commands: signalsCommands,
    },
    argv,
    ctx,
  );
}
