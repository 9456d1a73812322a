import { join } from 'node:path';
import type { CollectConfig } from '../config/schema.js';
import type { QueuePolicy } from './queue.js';

/** The process lock `futures collect` holds for its whole run. */
export const COLLECT_LOCK = 'collect';
/** The process lock `futures compact` holds (and that collect may check). */
export const COMPACT_LOCK = 'compact';

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

/** The queue policy from the `collect` config section. */
export function queuePolicyFromConfig(collect: CollectConfig): QueuePolicy {
  return {
    maxLatenessSeconds: collect.maxLatenessSeconds,
    maxAttempts: collect.maxAttempts,
    retryBaseSeconds: collect.retryBaseSeconds,
    retryMaxSeconds: collect.retryMaxSeconds,
    archiveAfterSeconds: collect.archiveAfterSeconds,
  };
}
