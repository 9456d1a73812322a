import { type Clock, wallSleep } from '../core/clock.js';

/**
 * Pacing inside the module (research/ibkr.md §3): a global budget of messages per second, IB's
 * historical-data rules, a cap on concurrent snapshots, and back-off after a 162 pacing violation.
 * One Pacer lives as long as the session, so its state survives reconnects. Time comes from the run's
 * Clock, so tests (a manual clock) and the demo (an accelerated one) do not wait IB's 15 s in real time.
 */

export interface HistoricalPacingRules {
  /** No identical request within this window (15 s). */
  identicalWindowMs: number;
  /** At most `perContractMax` requests for one contract and tick type within this window (2 s). */
  perContractWindowMs: number;
  /** IB: "6 or more within 2 s" is a violation, so at most 5. */
  perContractMax: number;
  /** At most `windowMax` requests (BID_ASK counts twice) within this window (10 min). */
  windowMs: number;
  windowMax: number;
  /** Simultaneously open historical requests. */
  maxOpen: number;
  /** First back-off after a 162 pacing violation; doubles per consecutive violation. */
  backoffBaseMs: number;
  backoffMaxMs: number;
}

export const IB_HISTORICAL_RULES: HistoricalPacingRules = {
  identicalWindowMs: 15_000,
  perContractWindowMs: 2_000,
  perContractMax: 5,
  windowMs: 600_000,
  windowMax: 60,
  maxOpen: 50,
  backoffBaseMs: 15_000,
  backoffMaxMs: 600_000,
};

export interface HistoricalRequestKey {
  /** conId, or e.g. 'CONTFUT:ES'. */
  contractKey: string;
  whatToShow: string;
  barSize: string;
  endDateTime: string;
  durationStr: string;
}

export interface PacerOptions {
  maxMessagesPerSecond: number;
  maxConcurrentSnapshots: number;
  /** Default: real time on the monotonic scale. */
  clock?: Clock;
  rules?: Partial<HistoricalPacingRules>;
}

export interface PacerStats {
  messagesSent: number;
  historicalRequests: number;
  historicalOpen: number;
  snapshotsOpen: number;
  pacingViolations: number;
  /** Total virtual or real time spent waiting for the budget, in ms. */
  waitedMs: number;
}

/** Real time that never steps back, so a wall-clock adjustment neither opens nor closes the budget. */
const monotonicClock: Clock = {
  now: () => new Date(performance.timeOrigin + performance.now()),
  sleep: wallSleep,
};

export type Release = () => void;

/** A counting semaphore; release is idempotent. */
class Slots {
  private used = 0;
  private readonly waiters: Array<() => void> = [];
  constructor(private readonly capacity: number) {}

  get inUse(): number {
    return this.used;
  }

  async acquire(): Promise<Release> {
    if (this.used >= this.capacity) {
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    } else {
      this.used += 1;
    }
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.waiters.shift();
      if (next) next();
      else this.used -= 1;
    };
  }
}

export class Pacer {
  private readonly clock: Clock;
  private readonly rules: HistoricalPacingRules;
  private readonly maxPerSecond: number;
  private readonly sent: number[] = [];
  private readonly historical: Array<{ at: number; key: string; contract: string; weight: number }> = [];
  private readonly historicalSlots: Slots;
  private readonly snapshotSlots: Slots;
  private blockedUntil = 0;
  private consecutiveViolations = 0;
  private readonly counters = { messagesSent: 0, historicalRequests: 0, pacingViolations: 0, waitedMs: 0 };

  constructor(options: PacerOptions) {
    this.clock = options.clock ?? monotonicClock;
    this.rules = { ...IB_HISTORICAL_RULES, ...options.rules };
    this.maxPerSecond = Math.min(50, Math.max(1, Math.floor(options.maxMessagesPerSecond)));
    this.historicalSlots = new Slots(this.rules.maxOpen);
    this.snapshotSlots = new Slots(Math.max(1, options.maxConcurrentSnapshots));
  }

  get stats(): PacerStats {
    return {
      ...this.counters,
      historicalOpen: this.historicalSlots.inUse,
      snapshotsOpen: this.snapshotSlots.inUse,
    };
  }

  /** Waits until `count` more messages fit into the per-second budget, then books them. */
  async message(count = 1): Promise<void> {
    for (let booked = 0; booked < count; booked += 1) {
      for (;;) {
        const now = this.nowMs();
        while (this.sent.length > 0 && (this.sent[0] ?? 0) <= now - 1000) this.sent.shift();
        if (this.sent.length < this.maxPerSecond) {
          this.sent.push(now);
          this.counters.messagesSent += 1;
          break;
        }
        await this.wait((this.sent[0] ?? now) + 1000 - now);
      }
    }
  }

  /**
   * Waits until a historical request may be sent under every IB rule, books it, and returns the
   * release for the open-request slot (call it when the request completes, fails or times out).
   */
  async historicalRequest(request: HistoricalRequestKey): Promise<Release> {
    const release = await this.historicalSlots.acquire();
    try {
      const key = `${request.contractKey}|${request.whatToShow}|${request.barSize}|${request.endDateTime}|${request.durationStr}`;
      const contract = `${request.contractKey}|${request.whatToShow}`;
      const weight = request.whatToShow === 'BID_ASK' ? 2 : 1;
      for (;;) {
        const now = this.nowMs();
        const delay = this.historicalDelay(now, key, contract, weight);
        if (delay <= 0) {
          this.historical.push({ at: now, key, contract, weight });
          this.counters.historicalRequests += 1;
          return release;
        }
        await this.wait(delay);
      }
    } catch (error) {
      release();
      throw error;
    }
  }

  /** Call after a 162 pacing violation; returns the back-off now in force (ms). */
  historicalPacingViolation(): number {
    this.consecutiveViolations += 1;
    this.counters.pacingViolations += 1;
    const backoff = Math.min(
      this.rules.backoffMaxMs,
      this.rules.backoffBaseMs * 2 ** (this.consecutiveViolations - 1),
    );
    this.blockedUntil = Math.max(this.blockedUntil, this.nowMs() + backoff);
    return backoff;
  }

  /** A historical request completed without a pacing violation. */
  historicalSucceeded(): void {
    this.consecutiveViolations = 0;
  }

  async snapshotSlot(): Promise<Release> {
    return this.snapshotSlots.acquire();
  }

  private historicalDelay(now: number, key: string, contract: string, weight: number): number {
    const r = this.rules;
    while (this.historical.length > 0 && (this.historical[0]?.at ?? now) <= now - r.windowMs) {
      this.historical.shift();
    }
    let delay = this.blockedUntil - now;
    let windowWeight = 0;
    const sameContract: number[] = [];
    for (const h of this.historical) {
      windowWeight += h.weight;
      if (h.key === key) delay = Math.max(delay, h.at + r.identicalWindowMs - now);
      if (h.contract === contract && h.at > now - r.perContractWindowMs) sameContract.push(h.at);
    }
    if (sameContract.length >= r.perContractMax) {
      const oldest = sameContract[sameContract.length - r.perContractMax] ?? now;
      delay = Math.max(delay, oldest + r.perContractWindowMs - now);
    }
    if (windowWeight + weight > r.windowMax) {
      let excess = windowWeight + weight - r.windowMax;
      for (const h of this.historical) {
        excess -= h.weight;
        if (excess <= 0) {
          delay = Math.max(delay, h.at + r.windowMs - now);
          break;
        }
      }
    }
    return delay;
  }

  private nowMs(): number {
    return this.clock.now().getTime();
  }

  private async wait(ms: number): Promise<void> {
    const step = Math.max(1, Math.ceil(ms));
    this.counters.waitedMs += step;
    await this.clock.sleep(step);
  }
}
