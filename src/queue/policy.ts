/** The queue policy: where it comes from, what it accepts, and the retry back-off it sets. */
import type { CollectConfig } from '../config/schema.js';
import { QueueUsageError } from './errors.js';
import type { QueuePolicy } from './types.js';

export const DEFAULT_ARCHIVE_AFTER_SECONDS = 129_600;

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

export function retryDelaySeconds(policy: QueuePolicy, attempts: number): number {
  return Math.min(policy.retryMaxSeconds, policy.retryBaseSeconds * 2 ** Math.max(0, attempts - 1));
}

export function validatePolicy(policy: QueuePolicy): void {
  const positive = (name: keyof QueuePolicy, min: number) => {
    const value = policy[name];
    if (value === undefined) return;
    if (!Number.isFinite(value) || value < min) {
      throw new QueueUsageError(`queue policy ${name} must be a number ≥ ${min}, got ${value}`);
    }
  };
  positive('maxLatenessSeconds', 0);
  positive('maxAttempts', 1);
  positive('retryBaseSeconds', 0);
  positive('retryMaxSeconds', 0);
  positive('archiveAfterSeconds', 0);
}
