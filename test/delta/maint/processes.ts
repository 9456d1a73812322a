import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const APPEND_CHILD = fileURLToPath(new URL('./fixtures/append-child.mjs', import.meta.url));
export const MAINT_CHILD = fileURLToPath(new URL('./fixtures/maint-child.mjs', import.meta.url));

export interface ChildRun {
  child: ChildProcess;
  lines: string[];
  stderr: string[];
  /** Resolves when the child printed "ready" (imports loaded), or exited. */
  ready: Promise<void>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export function startChild(
  script: string,
  args: readonly (string | number)[],
  env: Record<string, string> = {},
): ChildRun {
  const child = spawn(process.execPath, [script, ...args.map(String)], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  const stderr: string[] = [];
  let markReady: () => void = () => undefined;
  const ready = new Promise<void>((resolve) => {
    markReady = resolve;
  });
  let buffer = '';
  child.stdout?.setEncoding('utf8');
  child.stdout?.on('data', (chunk: string) => {
    buffer += chunk;
    let newline = buffer.indexOf('\n');
    while (newline >= 0) {
      const line = buffer.slice(0, newline);
      buffer = buffer.slice(newline + 1);
      lines.push(line);
      if (line === 'ready') markReady();
      newline = buffer.indexOf('\n');
    }
  });
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (chunk: string) => stderr.push(chunk));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.on('exit', (code, signal) => {
      markReady();
      resolve({ code, signal });
    });
  });
  return { child, lines, stderr, ready, exited };
}
