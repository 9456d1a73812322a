import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach } from 'vitest';
import {
  type MarketStatusFn,
  openQueue,
  type Queue,
  type QueuePolicy,
  queuePaths,
} from '../../src/queue/index.js';

export const POLICY: QueuePolicy = {
  maxLatenessSeconds: 300,
  maxAttempts: 3,
  retryBaseSeconds: 5,
  retryMaxSeconds: 60,
};

const cleanups: Array<() => void> = [];
afterEach(() => {
  while (cleanups.length > 0) cleanups.pop()?.();
});

/** A temp data dir removed after the test. */
export function tempDataDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'fs-queue-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

export async function tempQueue(
  policy: Partial<QueuePolicy> = {},
): Promise<{ queue: Queue; dataDir: string }> {
  const dataDir = tempDataDir();
  const queue = await openQueue({ path: queuePaths(dataDir).queueDb, policy: { ...POLICY, ...policy } });
  cleanups.push(() => queue.close());
  return { queue, dataDir };
}

export const at = (iso: string): Date => new Date(iso);
export const plus = (d: Date, seconds: number): Date => new Date(d.getTime() + seconds * 1000);

/**
 * A fake calendar in UTC (the real one is src/market's): closed all Saturday ('weekend'), a daily halt
 * 22:00–22:59 UTC ('halt'), and 2025-01-01 ('holiday'). Everything else is open.
 */
export const fakeMarket: MarketStatusFn = (when) => {
  if (when.toISOString().startsWith('2025-01-01')) return { open: false, reason: 'holiday' };
  if (when.getUTCDay() === 6) return { open: false, reason: 'weekend' };
  if (when.getUTCHours() === 22) return { open: false, reason: 'halt' };
  return { open: true, reason: 'open' };
};
