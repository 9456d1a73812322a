/**
 * Snapshot slot scheduling.
 *
 * Slots sit on a clock-aligned grid: every multiple of intervalSeconds since the Unix epoch (60 s → every
 * minute on the minute, 300 s → :00, :05, …). Each slot is judged by the injected market status at the slot
 * time: open → a pending job (due at the slot time); closed → a `skipped` row carrying the calendar's reason
 * (halt, weekend, holiday, early_close, closed), so every gap in the data has an explanation.
 *
 * How far back scheduleDueSlots plans (per symbol):
 * - first run (no snapshot row yet for the symbol): from now − firstRunLookbackSeconds (default: the lateness
 *   window), so a fresh install queues a handful of slots, not history;
 * - afterwards: from the slot after the last one queued, but never further back than catchUpSeconds. After
 *   an outage the gap is filled with `missed` rows (open market, too late to collect: eligible for backfill)
 *   and `skipped` rows; gaps older than catchUpSeconds stay without rows (and are reported by status).
 * Slots within maxLatenessSeconds of now are inserted pending; older open slots are inserted as missed.
 * Re-running is idempotent: the unique key (kind, symbol, slot_ts, params) drops duplicates.
 */

import { QueueUsageError } from './errors.js';
import type { JobParams, NewJob, QueueOps } from './types.js';

export interface MarketStatus {
  open: boolean;
  /** 'open', or why it is closed: 'halt' | 'weekend' | 'holiday' | 'early_close' | 'closed'. */
  reason: string;
}

/** The calendar, injected (src/market's cmeStatusAt in production, a fake in tests). */
export type MarketStatusFn = (at: Date, symbol: string) => MarketStatus;

export interface PlannedSlot {
  symbol: string;
  slotTs: Date;
  open: boolean;
  /** Null when open. */
  reason: string | null;
}

export interface PlanSlotsOptions {
  symbols: readonly string[];
  intervalSeconds: number;
  /** Inclusive bounds: the first slot is the first grid point ≥ from, the last ≤ to. */
  from: Date;
  to: Date;
  marketStatus: MarketStatusFn;
}

/** The first grid point at or after t. */
export function alignUp(t: Date, intervalSeconds: number): Date {
  const step = intervalSeconds * 1000;
  return new Date(Math.ceil(t.getTime() / step) * step);
}

/** The last grid point at or before t. */
export function alignDown(t: Date, intervalSeconds: number): Date {
  const step = intervalSeconds * 1000;
  return new Date(Math.floor(t.getTime() / step) * step);
}

function checkInterval(intervalSeconds: number): void {
  if (!Number.isInteger(intervalSeconds) || intervalSeconds < 1) {
    throw new QueueUsageError(`slot interval must be a whole number of seconds ≥ 1, got ${intervalSeconds}`);
  }
}

/** Pure: the slots in [from, to] for every symbol, in time order, each with the market status at its time. */
export function planSlots(options: PlanSlotsOptions): PlannedSlot[] {
  checkInterval(options.intervalSeconds);
  const slots: PlannedSlot[] = [];
  const step = options.intervalSeconds * 1000;
  const end = options.to.getTime();
  for (let t = alignUp(options.from, options.intervalSeconds).getTime(); t <= end; t += step) {
    for (const symbol of options.symbols) {
      const at = new Date(t);
      const status = options.marketStatus(at, symbol);
      slots.push({ symbol, slotTs: at, open: status.open, reason: status.open ? null : status.reason });
    }
  }
  return slots;
}

export interface ScheduleOptions {
  now: Date;
  symbols: readonly string[];
  intervalSeconds: number;
  marketStatus: MarketStatusFn;
  /** First run for a symbol: plan from now − this. Default: the queue's maxLatenessSeconds. */
  firstRunLookbackSeconds?: number;
  /** Later runs never plan further back than now − this (default 86 400: one day). */
  catchUpSeconds?: number;
  priority?: number;
}

export interface ScheduleResult {
  /** New pending slots. */
  pending: number;
  /** New skipped slots (market closed). */
  skipped: number;
  /** New slots inserted directly as missed (open market, already too late). */
  missed: number;
  /** Existing pending slots that became missed now. */
  expired: number;
  /** Planned slots that were already queued. */
  existing: number;
}

export const SNAPSHOT_PARAMS: JobParams = {};

/** Inserts every slot up to now for every symbol (idempotent), in one queue session. See the module header. */
export async function scheduleDueSlots(queue: QueueOps, options: ScheduleOptions): Promise<ScheduleResult> {
  checkInterval(options.intervalSeconds);
  return queue.batch(async (ops) => {
    const { maxLatenessSeconds } = ops.policy;
    const now = options.now;
    const lookback = options.firstRunLookbackSeconds ?? maxLatenessSeconds;
    const catchUp = options.catchUpSeconds ?? 86_400;
    const lastBySymbol = await ops.lastSlots('snapshot');
    const lateCutoff = now.getTime() - maxLatenessSeconds * 1000;

    const jobs: NewJob[] = [];
    for (const symbol of options.symbols) {
      const last = lastBySymbol.get(symbol);
      const from = last
        ? new Date(Math.max(last.getTime() + 1, now.getTime() - catchUp * 1000))
        : new Date(now.getTime() - lookback * 1000);
      const planned = planSlots({
        symbols: [symbol],
        intervalSeconds: options.intervalSeconds,
        from,
        to: now,
        marketStatus: options.marketStatus,
      });
      for (const slot of planned) {
        const base = {
          kind: 'snapshot' as const,
          symbol,
          slotTs: slot.slotTs,
          priority: options.priority ?? 0,
        };
        if (!slot.open) {
          jobs.push({ ...base, status: 'skipped', reason: slot.reason });
        } else if (slot.slotTs.getTime() < lateCutoff) {
          jobs.push({
            ...base,
            status: 'missed',
            reason: `not scheduled within ${maxLatenessSeconds}s (collector not running)`,
          });
        } else {
          jobs.push({ ...base, status: 'pending' });
        }
      }
    }
    const inserted = await ops.insertJobs(jobs, { now });
    const expired = await ops.markLate(now);
    await ops.archiveIfDue(now);
    return { ...inserted.insertedByStatus, expired: expired.length, existing: inserted.existing };
  });
}
