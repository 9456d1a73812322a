import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { field, struct } from './helpers.js';

export const CHILD_SCRIPT = fileURLToPath(new URL('./fixtures/append-child.mjs', import.meta.url));
const DIST_INDEX = fileURLToPath(new URL('../../../dist/delta/write/append.js', import.meta.url));

/** The child scripts import the built library; fail clearly when it is missing. */
export function assertDistBuilt(): void {
  if (!existsSync(DIST_INDEX)) {
    throw new Error(
      `${DIST_INDEX} is missing: these tests run child processes on the built library. Run \`npx tsc -p tsconfig.build.json --noEmitOnError false\` (npm test builds first).`,
    );
  }
}

export interface Ack {
  batch: number;
  version: number;
  skipped: boolean;
  attempts: number;
}

export interface ChildRun {
  child: ChildProcess;
  acks: Ack[];
  stderr: string[];
  /** Resolves when the child printed "ready" (its imports are loaded). */
  ready: Promise<void>;
  /** Resolves at the child's first ack (it is then in its steady append loop). */
  firstAck: Promise<void>;
  /** Resolves with the exit code (null) and signal when the child is gone. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export function startChild(args: readonly (string | number)[], env: Record<string, string> = {}): ChildRun {
  const child = spawn(process.execPath, [CHILD_SCRIPT, ...args.map(String)], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const acks: Ack[] = [];
  const stderr: string[] = [];
  let markReady: () => void = () => undefined;
  const ready = new Promise<void>((resolve) => {
    markReady = resolve;
  });
  let markAcked: () => void = () => undefined;
  const firstAck = new Promise<void>((resolve) => {
    markAcked = resolve;
  });
  let buffer = '';
  child.stdout?.setEncoding('utf8');
  child.stdout?.on('data', (chunk: string) => {
    buffer += chunk;
    let newline = buffer.indexOf('\n');
    while (newline >= 0) {
      const line = buffer.slice(0, newline);
      buffer = buffer.slice(newline + 1);
      if (line === 'ready') markReady();
      const m = /^ack (\d+) (\d+) (true|false) (\d+)$/.exec(line);
      if (m) {
        acks.push({
          batch: Number(m[1]),
          version: Number(m[2]),
          skipped: m[3] === 'true',
          attempts: Number(m[4]),
        });
        markAcked();
      }
      newline = buffer.indexOf('\n');
    }
  });
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (chunk: string) => stderr.push(chunk));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.on('exit', (code, signal) => resolve({ code, signal }));
  });
  return { child, acks, stderr, ready, firstAck, exited };
}

/** The table the child script appends to. */
export const childSchema = struct(
  field('day', 'date', false),
  field('writer', 'string', false),
  field('batch', 'long', false),
  field('i', 'integer', false),
  field('ts', 'timestamp', false),
);
