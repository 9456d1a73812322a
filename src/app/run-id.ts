import { randomBytes } from 'node:crypto';

/** A run's id: its start in compact UTC and a random suffix, e.g. 20260901T140000Z-3fa2c1. */
export function newRunId(startedAt: Date): string {
  const stamp = startedAt
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
  return `${stamp}-${randomBytes(3).toString('hex')}`;
}
