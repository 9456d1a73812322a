/**
 * `futures backfill` as a function: historical-bar jobs in the queue, run within IB's historical pacing
 * (the session's Pacer) into futures_bars, and missed snapshot slots filled from 1-minute bars.
 *
 * Idempotence: jobs are unique per (symbol, bar size, what-to-show, start, end) and a done job is not
 * run again; appendBars drops bars already stored (same symbol, contract, bar size, what-to-show, start),
 * so a job re-run after a crash between its commit and its completion writes nothing twice. Windows end
 * at the last complete bar, so a later run asks again for a session still in progress (a new job).
 * Missed slots: a slot already present in futures_snapshots (same symbol and slot_ts) is only marked.
 * The `backfill` lock keeps two backfills from interleaving writes (the anti-joins are not atomic).
 *
 * Mapping of a missed slot at T: the 1-minute bar [T − 60 s, T) closes at T, so its close is the price at
 * the slot: stored as `last` and `mid` (TRADES bars: the last trade; MIDPOINT bars: the mid), bid/ask and
 * sizes null, ts = T, source 'backfill', quality ['backfill']. When that bar is absent (no trade in the
 * minute) the latest bar closing within 5 minutes before T is used and the row is also flagged 'stale'.
 */
import { hostname } from 'node:os';
import type { DuckDBConnection } from '@duckdb/node-api';
import { UpstreamUnavailableError } from '../core/errors.js';
import { openMemoryConnection } from '../delta/index.js';
import type { BarsRequest, IbBar, IbSession, IbSymbol, ResolvedContract } from '../ibkr/index.js';
import { IbPacingError, IbRequestError, isFutureSymbol } from '../ibkr/index.js';
import type { BarRecord, SnapshotRecord } from '../lake/index.js';
import { appendBars, appendSnapshots, createLakeView, FUTURES_SNAPSHOTS } from '../lake/index.js';
import { addDays, cmeSessions, type MarketCalendar, tradeDateOf } from '../market/index.js';
import {
  acquireLock,
  BACKFILL_LOCK,
  type Job,
  openQueue,
  type Queue,
  queuePaths,
  queuePolicyFromConfig,
  readBarsParams,
} from '../queue/index.js';
import { sessionOfSlot } from './collect/records.js';
import { type IbRunOptions, openIbSession } from './ib-session.js';
import { newRunId } from './run-id.js';

export type BackfillBarSize = '1 min' | '1 day';
export type BackfillWhat = 'TRADES' | 'MIDPOINT';

export interface BackfillRunOptions extends IbRunOptions {
  symbols: readonly IbSymbol[];
  /** Trade dates, inclusive (YYYY-MM-DD). */
  from: string;
  to: string;
  barSizes: readonly BackfillBarSize[];
  whatToShow: BackfillWhat;
  missed: boolean;
}

export interface BackfillFailure {
  symbol: string;
  job: string;
  ibCode: number | null;
  message: string;
  permanent: boolean;
}

export interface BackfillSummary {
  runId: string;
  range: { from: string; to: string };
  symbols: string[];
  barSizes: string[];
  whatToShow: string;
  jobs: { queued: number; alreadyQueued: number; run: number; done: number; failed: number; retried: number };
  bars: { fetched: number; written: number; duplicates: number };
  missed: { found: number; filled: number; alreadyStored: number; unfilled: number };
  deltaVersion: { bars: number | null; snapshots: number | null };
  pacing: { historicalRequests: number; pacingViolations: number; waitedMs: number };
  failures: BackfillFailure[];
  stopped: boolean;
  timings: { wallMs: number };
}

const MINUTE_MS = 60_000;
const STALE_BAR_MS = 5 * MINUTE_MS;

function utcMidnight(date: string): Date {
  return new Date(`${date}T00:00:00Z`);
}

/** The jobs of a range: daily bars per symbol (CONTFUT for futures), 1-minute bars per symbol and session. */
export function planBackfillJobs(options: {
  symbols: readonly IbSymbol[];
  from: string;
  to: string;
  barSizes: readonly BackfillBarSize[];
  whatToShow: BackfillWhat;
  now: Date;
  calendar: MarketCalendar;
}): Array<{ symbol: string; barSize: string; whatToShow: string; start: Date; end: Date }> {
  const jobs: Array<{ symbol: string; barSize: string; whatToShow: string; start: Date; end: Date }> = [];
  const today = tradeDateOf(options.now, options.calendar);
  // VIX is an index: no MIDPOINT, only TRADES.
  const whatFor = (symbol: IbSymbol) => (isFutureSymbol(symbol) ? options.whatToShow : 'TRADES');
  if (options.barSizes.includes('1 day')) {
    // Complete trade dates only: the daily bar of the session in progress is not final.
    const start = utcMidnight(options.from);
    const end = new Date(
      Math.min(utcMidnight(addDays(options.to, 1)).getTime(), utcMidnight(today).getTime()),
    );
    if (start < end) {
      for (const symbol of options.symbols) {
        jobs.push({ symbol, barSize: '1 day', whatToShow: whatFor(symbol), start, end });
      }
    }
  }
  if (options.barSizes.includes('1 min')) {
    const lastComplete = Math.floor(options.now.getTime() / MINUTE_MS) * MINUTE_MS;
    for (const day of cmeSessions(options.from, options.to, options.calendar)) {
      const session = day.session;
      if (!session) continue;
      const start = session.open;
      const end = new Date(Math.min(session.close.getTime(), lastComplete));
      if (start.getTime() >= end.getTime()) continue;
      for (const symbol of options.symbols) {
        jobs.push({ symbol, barSize: '1 min', whatToShow: whatFor(symbol), start, end });
      }
    }
  }
  return jobs;
}

function describeJob(job: Job): string {
  const p = readBarsParams(job);
  return p
    ? `${job.symbol} ${p.barSize} ${p.whatToShow} ${p.start}..${p.end}`
    : `${job.symbol} job ${job.id}`;
}

function emptySummary(runId: string, options: BackfillRunOptions): BackfillSummary {
  return {
    runId,
    range: { from: options.from, to: options.to },
    symbols: [...options.symbols],
    barSizes: [...options.barSizes],
    whatToShow: options.whatToShow,
    jobs: { queued: 0, alreadyQueued: 0, run: 0, done: 0, failed: 0, retried: 0 },
    bars: { fetched: 0, written: 0, duplicates: 0 },
    missed: { found: 0, filled: 0, alreadyStored: 0, unfilled: 0 },
    deltaVersion: { bars: null, snapshots: null },
    pacing: { historicalRequests: 0, pacingViolations: 0, waitedMs: 0 },
    failures: [],
    stopped: false,
    timings: { wallMs: 0 },
  };
}

export async function runBackfill(options: BackfillRunOptions): Promise<BackfillSummary> {
  const { clock, config, signal } = options;
  const wallStart = performance.now();
  const runId = newRunId(clock.now());
  const { calendar } = options;
  const paths = queuePaths(options.dataDir);
  const summary = emptySummary(runId, options);
  const lock = await acquireLock(paths.stateDir, BACKFILL_LOCK, {
    now: clock.now(),
    owner: `backfill:${runId}`,
    command: options.command,
  });
  if (lock.replacedGarbage) options.log.warn(lock.replacedGarbage);
  const owner = `backfill@${hostname()}`;
  const queue = await openQueue({
    path: paths.queueDb,
    policy: queuePolicyFromConfig(config.collect),
    busyTimeoutMs: config.collect.queueBusyTimeoutMs,
  }).catch(async (error: unknown) => {
    await lock.release();
    throw error;
  });
  const duck = await openMemoryConnection();
  const ib: { session: IbSession | null } = { session: null };
  const session = async (): Promise<IbSession> => {
    ib.session ??= await openIbSession(config.ib, { access: options.ib, clock, log: options.log });
    return ib.session;
  };
  const deps: BackfillDeps = {
    queue,
    duck: duck.connection,
    calendar,
    session,
    sessionReady: () => ib.session?.state === 'ready',
    contractFor: async (symbol, at) => (await session()).resolveFrontMonth(symbol, at),
    summary,
  };
  try {
    // Leases of a killed backfill on this host: back to pending.
    await queue.releaseOwned(owner, { now: clock.now() });
    const planned = planBackfillJobs({ ...options, now: clock.now(), calendar });
    if (planned.length > 0) {
      const inserted = await queue.enqueueBars(planned, { now: clock.now() });
      summary.jobs.queued = inserted.inserted.length;
      summary.jobs.alreadyQueued = inserted.existing;
    }
    const jobs = await queue.claimDue({
      owner,
      now: clock.now(),
      leaseSeconds: 6 * 3600,
      limit: 10_000,
      kind: 'bars',
    });
    for (const job of jobs) {
      if (signal.aborted) {
        summary.stopped = true;
        break;
      }
      await runBarsJob(options, deps, job);
    }
    if (options.missed && !signal.aborted) await fillMissed(options, deps);
  } finally {
    // Jobs not reached (signal, or the gateway went away): pending again, no attempt counted.
    await queue.releaseOwned(owner, { now: clock.now() }).catch(() => []);
    if (ib.session) {
      const stats = ib.session.pacing;
      summary.pacing = {
        historicalRequests: stats.historicalRequests,
        pacingViolations: stats.pacingViolations,
        waitedMs: Math.round(stats.waitedMs),
      };
      await ib.session.close().catch(() => {});
    }
    duck.close();
    queue.close();
    await lock.release();
  }
  summary.timings.wallMs = Math.round(performance.now() - wallStart);
  return summary;
}

interface BackfillDeps {
  queue: Queue;
  duck: DuckDBConnection;
  calendar: MarketCalendar;
  contractFor(symbol: IbSymbol, at: Date): Promise<ResolvedContract>;
  session(): Promise<IbSession>;
  /** True while the IB session is up (a request that failed then failed on its own). */
  sessionReady(): boolean;
  summary: BackfillSummary;
}

/**
 * One historical-bar job: fetch, append to futures_bars, complete. A request error (or one that failed on
 * a session that is up) fails the job, for good or to retry; anything else stops the run.
 */
async function runBarsJob(options: BackfillRunOptions, deps: BackfillDeps, job: Job): Promise<void> {
  const { clock, log } = options;
  const { queue, summary } = deps;
  const params = readBarsParams(job);
  const symbol = job.symbol as IbSymbol;
  if (!params) {
    await queue.fail([job.id], { now: clock.now(), error: 'not a bars job', permanent: true });
    return;
  }
  summary.jobs.run += 1;
  try {
    const start = new Date(params.start);
    const end = new Date(params.end);
    const barSize = params.barSize === '1 day' ? '1 day' : '1 min';
    const whatToShow = params.whatToShow === 'MIDPOINT' ? 'MIDPOINT' : 'TRADES';
    let contract: ResolvedContract | null = null;
    let request: BarsRequest;
    if (barSize === '1 day' && isFutureSymbol(symbol)) {
      request = { continuous: symbol, barSize: '1 day', whatToShow, start, end };
    } else {
      contract = await deps.contractFor(symbol, start);
      request = { contract, barSize, whatToShow, start, end };
    }
    const bars = await (await deps.session()).fetchBars(request);
    summary.bars.fetched += bars.length;
    const records = bars.map((bar) =>
      barRecord(bar, symbol, contract, barSize, whatToShow, options.source, deps.calendar),
    );
    const written = await appendBars(deps.duck, options.dataDir, records, {
      now: () => clock.now(),
      checkpointInterval: options.config.lake.checkpointInterval,
      onWarning: (m) => log.warn(m),
    });
    summary.bars.written += written.written;
    summary.bars.duplicates += written.duplicates;
    if (written.written > 0) summary.deltaVersion.bars = written.version;
    await queue.complete([job.id], { now: clock.now(), deltaVersion: written.version });
    summary.jobs.done += 1;
    log.debug(`${describeJob(job)}: ${bars.length} bars, ${written.written} new`);
  } catch (error) {
    if (
      !(error instanceof IbRequestError) &&
      !(error instanceof UpstreamUnavailableError && deps.sessionReady())
    ) {
      throw error;
    }
    const code = error instanceof IbRequestError ? error.ibCode : null;
    const outcome = await queue.fail([job.id], {
      now: clock.now(),
      error: error.message,
      code,
      permanent: error instanceof IbRequestError,
    });
    summary.jobs.failed += outcome.failed.length;
    summary.jobs.retried += outcome.retried.length;
    summary.failures.push({
      symbol,
      job: describeJob(job),
      ibCode: code,
      message: error.message,
      permanent: outcome.failed.length > 0,
    });
    log.warn(`${describeJob(job)}: ${error.message}`);
    // IB kept refusing for pacing after every back-off: the budget is the account's, so the next job
    // would only wait longer (15 s → 240 s a try, hours over a few days of jobs). Stop the run (exit 3);
    // this job is to retry and the jobs not reached stay pending for the next run.
    if (error instanceof IbPacingError) throw error;
  }
}

function barRecord(
  bar: IbBar,
  symbol: IbSymbol,
  contract: ResolvedContract | null,
  barSize: BackfillBarSize,
  whatToShow: string,
  source: 'ibkr' | 'sim',
  calendar: MarketCalendar,
): BarRecord {
  return {
    ts: bar.ts,
    // Daily bars are stamped 00:00 UTC of their trade date; intraday bars belong to the session they fall in.
    tradeDate: barSize === '1 day' ? bar.ts.toISOString().slice(0, 10) : tradeDateOf(bar.ts, calendar),
    symbol,
    // Continuous daily history has no single contract.
    conId: contract?.conId ?? null,
    localSymbol: contract?.localSymbol ?? null,
    barSize,
    whatToShow,
    open: bar.open,
    high: bar.high,
    low: bar.low,
    close: bar.close,
    volume: bar.volume,
    wap: bar.wap,
    count: bar.count,
    source,
  };
}

/** Fills the missed snapshot slots of the range from 1-minute bars (see the module header). */
async function fillMissed(options: BackfillRunOptions, deps: BackfillDeps): Promise<void> {
  const { clock, log } = options;
  const { summary, calendar } = deps;
  const from = utcMidnight(addDays(options.from, -1));
  const to = new Date(Math.min(utcMidnight(addDays(options.to, 1)).getTime(), clock.now().getTime()));
  const missed = await deps.queue.missedSlots({ from, to, symbols: options.symbols });
  summary.missed.found = missed.length;
  if (missed.length === 0) return;

  const stored = await storedSlots(deps.duck, options.dataDir, missed, calendar);
  const already = missed.filter((job) => stored.has(`${job.symbol}@${job.slotTs.getTime()}`));
  const todo = missed.filter((job) => !stored.has(`${job.symbol}@${job.slotTs.getTime()}`));
  summary.missed.alreadyStored = already.length;

  const groups = new Map<string, Job[]>();
  for (const job of todo) {
    const key = `${job.symbol}|${sessionOfSlot(job.slotTs, calendar).tradeDate}`;
    groups.set(key, [...(groups.get(key) ?? []), job]);
  }
  const rows: SnapshotRecord[] = [];
  const filledIds: number[] = [];
  for (const group of groups.values()) {
    if (options.signal.aborted) break;
    const first = group[0];
    if (!first) continue;
    const symbol = first.symbol as IbSymbol;
    const times = group.map((j) => j.slotTs.getTime());
    const start = new Date(Math.min(...times) - STALE_BAR_MS);
    const end = new Date(Math.max(...times));
    const whatToShow = isFutureSymbol(symbol) ? options.whatToShow : 'TRADES';
    let contract: ResolvedContract;
    let bars: IbBar[];
    try {
      contract = await deps.contractFor(symbol, first.slotTs);
      bars = await (await deps.session()).fetchBars({ contract, barSize: '1 min', whatToShow, start, end });
    } catch (error) {
      if (!(error instanceof IbRequestError)) throw error;
      log.warn(`missed ${symbol} slots: ${error.message}`);
      summary.failures.push({
        symbol,
        job: `missed slots ${start.toISOString()}..${end.toISOString()}`,
        ibCode: error.ibCode,
        message: error.message,
        permanent: true,
      });
      continue;
    }
    summary.bars.fetched += bars.length;
    const written = await appendBars(
      deps.duck,
      options.dataDir,
      bars.map((b) => barRecord(b, symbol, contract, '1 min', whatToShow, options.source, calendar)),
      { now: () => clock.now(), checkpointInterval: options.config.lake.checkpointInterval },
    );
    summary.bars.written += written.written;
    summary.bars.duplicates += written.duplicates;
    if (written.written > 0) summary.deltaVersion.bars = written.version;
    const closeAt = new Map(bars.map((b) => [b.ts.getTime() + MINUTE_MS, b]));
    const sortedEnds = [...closeAt.keys()].sort((a, b) => a - b);
    for (const job of group) {
      const t = job.slotTs.getTime();
      let bar = closeAt.get(t);
      let stale = false;
      if (!bar) {
        const before = sortedEnds.filter((e) => e <= t && e >= t - STALE_BAR_MS).pop();
        bar = before === undefined ? undefined : closeAt.get(before);
        stale = bar !== undefined;
      }
      if (!bar) {
        summary.missed.unfilled += 1;
        continue;
      }
      const { tradeDate, segment } = sessionOfSlot(job.slotTs, calendar);
      rows.push({
        ts: job.slotTs,
        tradeDate,
        segment,
        symbol,
        secType: contract.secType,
        conId: contract.conId,
        localSymbol: contract.localSymbol,
        contractMonth: contract.contractMonth,
        etf: contract.etf,
        bid: null,
        ask: null,
        last: bar.close,
        mid: bar.close,
        bidSize: null,
        askSize: null,
        lastSize: null,
        volume: null,
        open: null,
        high: null,
        low: null,
        close: null,
        marketDataType: null,
        quality: stale ? ['backfill', 'stale'] : ['backfill'],
        slotTs: job.slotTs,
        source: 'backfill',
        runId: summary.runId,
      });
      filledIds.push(job.id);
    }
  }
  let version: number | null = null;
  if (rows.length > 0) {
    const result = await appendSnapshots(options.dataDir, rows, {
      now: () => clock.now(),
      checkpointInterval: options.config.lake.checkpointInterval,
    });
    version = result.version;
    summary.deltaVersion.snapshots = version;
  }
  await deps.queue.markBackfilled([...already.map((j) => j.id)], { now: clock.now(), deltaVersion: null });
  summary.missed.filled = await deps.queue.markBackfilled(filledIds, {
    now: clock.now(),
    deltaVersion: version,
  });
}

/** `${symbol}@${slotMs}` of the rows already in futures_snapshots for these slots (their trade dates only). */
async function storedSlots(
  connection: DuckDBConnection,
  dataDir: string,
  slots: readonly Job[],
  calendar: MarketCalendar,
): Promise<Set<string>> {
  const dates = [...new Set(slots.map((j) => sessionOfSlot(j.slotTs, calendar).tradeDate))];
  const view = `stored_${Math.random().toString(36).slice(2, 10)}`;
  const snapshot = await createLakeView(connection, dataDir, FUTURES_SNAPSHOTS, view, {
    kind: 'in',
    column: 'trade_date',
    values: dates,
  });
  try {
    if (!snapshot) return new Set();
    const reader = await connection.runAndReadAll(
      `SELECT DISTINCT symbol, epoch_ms(slot_ts) AS slot FROM "${view}" WHERE slot_ts IS NOT NULL`,
    );
    return new Set(reader.getRowObjectsJS().map((r) => `${String(r.symbol)}@${Number(r.slot)}`));
  } finally {
    await connection.run(`DROP VIEW IF EXISTS "${view}"`);
  }
}

/** Like the collector's: a backfill that stored nothing because IB never answered (timeouts) exits 3. */
export function silentUpstreamBackfill(summary: BackfillSummary): string | null {
  const { failures } = summary;
  if (summary.jobs.done > 0 || summary.bars.fetched > 0 || summary.missed.filled > 0) return null;
  if (failures.length === 0 || failures.some((f) => f.ibCode !== null)) return null;
  return `no historical request was answered: ${failures.length} request(s) timed out or got no answer (last: ${failures.at(-1)?.message ?? '-'}); check the gateway and its HMDS farm`;
}
