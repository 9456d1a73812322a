import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';

export interface ChildExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** A node child running a script, its stdout split into lines. */
export interface ChildRun {
  child: ChildProcess;
  /** Every stdout line so far. */
  lines: string[];
  stderr: string[];
  /** Resolves when the child printed "ready" (its imports are loaded), or exited. */
  ready: Promise<void>;
  /** Resolves at the first stdout line matching the pattern, or when the child exits. */
  firstLine: (pattern: RegExp) => Promise<void>;
  exited: Promise<ChildExit>;
}

/** Fails clearly when a child script's import of the built library (dist/) is missing. */
export function assertBuilt(distFile: string): void {
  if (!existsSync(distFile)) {
    throw new Error(
      `${distFile} is missing: these tests run child processes on the built library. Build it with \`npx tsc -p tsconfig.build.json --noEmitOnError false\` (npm test builds first).`,
    );
  }
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
  const waiters: Array<{ pattern: RegExp; resolve: () => void }> = [];
  let gone = false;
  const firstLine = (pattern: RegExp): Promise<void> => {
    if (gone || lines.some((line) => pattern.test(line))) return Promise.resolve();
    return new Promise((resolve) => waiters.push({ pattern, resolve }));
  };
  const ready = firstLine(/^ready$/);
  let buffer = '';
  child.stdout?.setEncoding('utf8');
  child.stdout?.on('data', (chunk: string) => {
    buffer += chunk;
    let newline = buffer.indexOf('\n');
    while (newline >= 0) {
      const line = buffer.slice(0, newline);
      buffer = buffer.slice(newline + 1);
      lines.push(line);
      for (const waiter of waiters) if (waiter.pattern.test(line)) waiter.resolve();
      newline = buffer.indexOf('\n');
    }
  });
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (chunk: string) => stderr.push(chunk));
  const exited = new Promise<ChildExit>((resolve) => {
    child.on('exit', (code, signal) => {
      gone = true;
      for (const waiter of waiters.splice(0)) waiter.resolve();
      resolve({ code, signal });
    });
  });
  return { child, lines, stderr, ready, firstLine, exited };
}
