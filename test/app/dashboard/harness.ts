/** An in-process `futures dashboard --port 0` on a fixture lake and a movable clock, for API and browser tests. */
import { runProgram } from '../../../src/cli/program.js';
import { futuresCommands } from '../../../src/commands/futures/index.js';
import { signalsCommands } from '../../../src/commands/signals/index.js';
import { testCtx } from '../../helpers/ctx.js';

export const CHROMIUM_FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--no-first-run',
];

export interface RunningDashboard {
  url: string;
  /** Moves the dashboard's clock. */
  setNow(at: Date): void;
  stop(): Promise<{ code: number; stdout: string; stderr: string }>;
}

export async function startDashboard(
  dataDir: string,
  now: Date,
  args: string[] = [],
  env: Record<string, string> = { NO_COLOR: '1' },
): Promise<RunningDashboard> {
  let current = now;
  const abort = new AbortController();
  const ctx = testCtx({ now: () => current, signal: abort.signal, env });
  const spec = { name: 'futures' as const, description: 'futures', commands: futuresCommands };
  const done = runProgram(spec, ['dashboard', '--port', '0', '--data-dir', dataDir, ...args], ctx);
  const deadline = Date.now() + 30_000;
  let match: RegExpMatchArray | null = null;
  while (match === null) {
    match = ctx.stderr.text().match(/dashboard: (http:\/\/\S+)/);
    if (match !== null) break;
    if (Date.now() > deadline) throw new Error(`dashboard did not start: ${ctx.stderr.text()}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return {
    url: match[1]!,
    setNow: (at) => {
      current = at;
    },
    stop: async () => {
      abort.abort();
      const code = await done;
      return { code, stdout: ctx.stdout.text(), stderr: ctx.stderr.text() };
    },
  };
}

/** One in-process CLI run (`futures` or `signals`) on a fixed clock: its exit code and JSON document. */
export async function cliJson(program: 'futures' | 'signals', args: string[], now: Date) {
  const ctx = testCtx({ now: () => now });
  const commands = program === 'futures' ? futuresCommands : signalsCommands;
  const code = await runProgram({ name: program, description: program, commands }, args, ctx);
  return { code, doc: JSON.parse(ctx.stdout.text()) as Record<string, unknown>, stderr: ctx.stderr.text() };
}
