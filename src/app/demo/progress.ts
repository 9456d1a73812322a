import ora from 'ora';
import type { RunContext } from '../context.js';

export interface DemoStep {
  name: string;
  command: string;
  ms: number;
  summary: string;
}

/**
 * Runs one step of the demo, showing progress on stderr, and records how long it took. `fn` may report
 * how far it is (`progress('03:12 ET · 312/926 rounds')`): shown on the spinner, or under -v when piped.
 */
export async function step<T>(
  steps: DemoStep[],
  ctx: RunContext,
  what: { name: string; command: string },
  fn: (progress: (detail: string) => void) => Promise<T>,
  describe: (result: T) => string,
): Promise<T> {
  const { name } = what;
  // A spinner only on an interactive stderr (never under --json, in CI or when piped); else plain lines.
  const spinner = ctx.isInteractive ? ora({ text: `${name} …`, stream: process.stderr }).start() : undefined;
  if (!spinner) ctx.log.info(`demo: ${name} …`);
  const started = performance.now();
  let result: T;
  try {
    result = await fn((detail) => {
      if (spinner) spinner.text = `${name} ${detail}`;
      else ctx.log.debug(`demo: ${name} ${detail}`);
    });
  } catch (error) {
    spinner?.fail(`${name}: failed`);
    throw error;
  }
  const ms = Math.round(performance.now() - started);
  const summary = describe(result);
  steps.push({ name, command: what.command, ms, summary });
  const line = `${name}: ${summary} (${(ms / 1000).toFixed(1)} s)`;
  if (spinner) spinner.succeed(line);
  else ctx.log.info(`demo: ${line}`);
  return result;
}
