import type { ErrorKind, UserError } from '../core/errors.js';

/** Exit codes: the contract with cron and the decision engine (README, DESIGN.md). */
export const ExitCode = {
  ok: 0,
  internal: 1,
  usage: 2,
  upstream: 3,
  data: 4,
  busy: 5,
  stale: 6,
  threshold: 10,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

export const EXIT_CODE_TABLE: ReadonlyArray<{ code: ExitCode; meaning: string }> = [
  { code: 0, meaning: 'success (including "no signal today")' },
  { code: 1, meaning: 'unexpected internal error (a bug; stack trace on stderr)' },
  { code: 2, meaning: 'usage or configuration error (the message names the flag or key)' },
  { code: 3, meaning: 'gateway unavailable, timed out or refused (transient; retry next tick)' },
  { code: 4, meaning: 'data error: corrupt or unsupported table, failed integrity check' },
  { code: 5, meaning: 'busy: another collector/compactor holds the lock' },
  { code: 6, meaning: 'stale data (status --max-age, or signal inputs too old)' },
  { code: 10, meaning: 'threshold reached when asked (signals regime --fail-on)' },
];

/** Codes any command can return: success, a bug, a bad flag or config. */
export const UNIVERSAL_EXIT_CODES: readonly ExitCode[] = [ExitCode.ok, ExitCode.internal, ExitCode.usage];

/** The help block of exit codes: the universal ones plus `codes` (every code when absent). */
export function exitCodesHelp(codes?: readonly ExitCode[]): string {
  const listed = new Set<ExitCode>([
    ...UNIVERSAL_EXIT_CODES,
    ...(codes ?? EXIT_CODE_TABLE.map((e) => e.code)),
  ]);
  const rows = EXIT_CODE_TABLE.filter(({ code }) => listed.has(code));
  return `\nExit codes:\n${rows.map(({ code, meaning }) => `  ${String(code).padStart(2)}  ${meaning}`).join('\n')}\n`;
}

const EXIT_CODE_OF_KIND: Readonly<Record<ErrorKind, ExitCode>> = {
  usage: ExitCode.usage,
  config: ExitCode.usage,
  upstream: ExitCode.upstream,
  data: ExitCode.data,
  busy: ExitCode.busy,
  stale: ExitCode.stale,
  threshold: ExitCode.threshold,
};

/** The exit code of an expected failure: the one place a kind becomes a process exit code. */
export function exitCodeOf(error: Pick<UserError, 'kind'>): ExitCode {
  return EXIT_CODE_OF_KIND[error.kind];
}
