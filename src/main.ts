import { resolve } from 'node:path';
import type { AppCtx } from './app/context.js';
import { runProgram } from './cli/program.js';
import { guardProcessStreams } from './cli/stream-errors.js';
import { wallClock } from './core/clock.js';
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
    clock: wallClock(),
    env: process.env,
    cwd: resolve(process.cwd()),
    stdout: process.stdout,
    stderr: process.stderr,
    signal: controller.signal,
  };
}

const PROGRAMS = {
  futures: {
    description:
      'Collect CME equity-index futures (ES, NQ, RTY, VIX) from Interactive Brokers into Delta Lake, and maintain the lake.',
    commands: async () => (await import('./commands/futures/index.js')).futuresCommands,
  },
  signals: {
    description:
      'Pre-market surge and regime early-warning signals from the futures lake (reads Delta only).',
    commands: async () => (await import('./commands/signals/index.js')).signalsCommands,
  },
} as const;

async function run(name: keyof typeof PROGRAMS, argv: readonly string[], ctx: AppCtx): Promise<number> {
  const { description, commands } = PROGRAMS[name];
  return runProgram({ name, description, commands: await commands() }, argv, ctx);
}

export function runFutures(argv: readonly string[], ctx: AppCtx = processContext()): Promise<number> {
  return run('futures', argv, ctx);
}

export function runSignals(argv: readonly string[], ctx: AppCtx = processContext()): Promise<number> {
  return run('signals', argv, ctx);
}

/** Installs the stdout/stderr error handlers of a bin (cli/stream-errors.ts): EPIPE exits 0, ENOSPC 4. */
export function guardOutputStreams(): void {
  guardProcessStreams(process.stdout, process.stderr, (code) => process.exit(code));
}
