import type { AppCtx } from '../../src/app/context.js';
import { clockFromNow } from '../../src/core/clock.js';
import type { OutputStream } from '../../src/core/context.js';

export interface CapturedStream extends OutputStream {
  text(): string;
}

export function captureStream(isTTY = false): CapturedStream {
  const chunks: string[] = [];
  return {
    isTTY,
    write(chunk: string) {
      chunks.push(chunk);
      return true;
    },
    text: () => chunks.join(''),
  };
}

export interface TestCtx extends AppCtx {
  stdout: CapturedStream;
  stderr: CapturedStream;
}

/**
 * A AppCtx with captured streams, a fixed clock and an isolated env. `now` is a shorthand for a clock that
 * follows it; `clock` sets the clock itself.
 */
export function testCtx(
  overrides: Partial<Omit<AppCtx, 'stdout' | 'stderr'>> & { tty?: boolean; now?: () => Date } = {},
): TestCtx {
  const { tty, now, ...rest } = overrides;
  return {
    clock: clockFromNow(now ?? (() => new Date('2026-03-10T13:00:00Z'))),
    env: { NO_COLOR: '1' },
    cwd: process.cwd(),
    signal: new AbortController().signal,
    ...rest,
    stdout: captureStream(tty ?? false),
    stderr: captureStream(tty ?? false),
  };
}
