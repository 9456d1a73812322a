/** What verify reports: one problem per version or file concerned. */
export type VerifyProblemKind =
  | 'log-unreadable'
  | 'missing-version'
  | 'empty-commit'
  | 'missing-file'
  | 'size-mismatch'
  | 'unreadable-file'
  | 'schema-mismatch'
  | 'partition-mismatch'
  | 'hash-mismatch'
  | 'page-crc-mismatch'
  | 'row-count-mismatch'
  | 'stats-mismatch'
  | 'checkpoint-unreadable'
  | 'checkpoint-mismatch';

export interface VerifyProblem {
  kind: VerifyProblemKind;
  message: string;
  /** The data file (path as logged, decoded) or log file concerned. */
  file?: string;
  version?: number;
  column?: string;
}

/** The first line of an error's message. */
export function firstLine(error: unknown): string {
  return error instanceof Error ? (error.message.split('\n')[0] ?? error.message) : String(error);
}
