import { join } from 'node:path';

// The process locks (lock.ts), all named here.
/** The process lock `futures collect` holds for its whole run. */
export const COLLECT_LOCK = 'collect';
/** The process lock `futures compact` holds (and that collect may check). */
export const COMPACT_LOCK = 'compact';
/** The process lock `futures backfill` holds (status reads it). */
export const BACKFILL_LOCK = 'backfill';

export interface QueuePaths {
  /** `<dataDir>/state`: the queue file and the process locks. */
  stateDir: string;
  /** `<dataDir>/state/queue.duckdb`. */
  queueDb: string;
}

export function queuePaths(dataDir: string): QueuePaths {
  const stateDir = join(dataDir, 'state');
  return { stateDir, queueDb: join(stateDir, 'queue.duckdb') };
}
