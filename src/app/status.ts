/**
 * `futures status` as a function: reads only (the lake's recent partitions, the queue file between the
 * collector's short sessions, the lock files), so it works while a collector runs.
 */
import { stat } from 'node:fs/promises';
import type { Config } from '../config/schema.js';
import { formatAge } from '../core/duration.js';
import { ConfigError, DataError, isUserError } from '../core/errors.js';
import { openMemoryConnection } from '../delta/index.js';
import { FUTURES_SNAPSHOTS, LAKE_TABLES, type LakeTableName, loadLakeSnapshot } from '../lake/index.js';
import { addDays, cmeStatusAt, type MarketCalendar, tradeDateOf } from '../market/index.js';
import {
  BACKFILL_LOCK,
  COLLECT_LOCK,
  COMPACT_LOCK,
  type JobCounts,
  type LockStatus,
  type QueueGap,
  queuePaths,
  readLock,
  readQueueStatus,
} from '../queue/index.js';
import { LATEST_LOOKBACK_DAYS, latestSnapshots } from './collect/lake-reads.js';
import { describeLoss, lakeCommitState, lakeLossOf } from './collect/reconcile.js';
import { GAP_CAUSE_TEXT, GAP_CAUSES, type GapCause, gapCause } from './gap-causes.js';

export interface InstrumentFreshness {
  symbol: string;
  lastTs: Date | null;
  ageSeconds: number | null;
  localSymbol: string | null;
  source: string | null;
  quality: string[];
  /** True when --max-age was given, the market is open and this instrument is older (or has no row). */
  stale: boolean;
}

export interface TableStatus {
  name: LakeTableName;
  exists: boolean;
  version: number | null;
  files: number;
  bytes: number;
  /** The commit's time (ms) at the version. */
  lastCommitAt: Date | null;
  /** Why the table cannot be read (a damaged log, an unsupported protocol); null when it reads. The command exits 4. */
  problem: string | null;
}

export interface StatusReport {
  now: Date;
  market: { open: boolean; reason: string; tradeDate: string; segment: string | null; nextOpen: Date | null };
  maxAgeSeconds: number | null;
  instruments: InstrumentFreshness[];
  /** Why --max-age passes or fails, in words; `ok` is null when nothing was checked (no --max-age). */
  freshness: { checked: boolean; ok: boolean | null; reason: string };
  queue: {
    path: string;
    exists: boolean;
    counts: JobCounts | null;
    openRounds: number;
    neverScheduled: string[];
  };
  locks: { collect: LockStatus | null; compact: LockStatus | null; backfill: LockStatus | null };
  tables: TableStatus[];
  /** Runs of slots while CME equity traded without data, each with its cause (gap-causes.ts). */
  gaps: StatusGap[];
  /** Slots of those gaps per cause, largest first. */
  gapCauses: Array<{ cause: GapCause; text: string; slots: number }>;
  gapWindowHours: number;
  /**
   * What the lake lost that the queue says was collected (docs/round-protocol.md, "The lake is the
   * authority"): `problem` is null when nothing; the command exits 4 otherwise.
   */
  lake: {
    committedRound: number | null;
    lostSlots: number;
    lostRounds: number[];
    checkpointAhead: { hint: number; latest: number } | null;
    problem: string | null;
  };
}

export interface StatusGap extends QueueGap {
  cause: GapCause;
}

export interface StatusOptions {
  dataDir: string;
  config: Config;
  calendar: MarketCalendar;
  now: Date;
  maxAgeSeconds: number | null;
}

const GAP_WINDOW_SECONDS = 86_400;

/**
 * One table's line. A table that cannot be read is reported with its problem instead of ending the
 * report: a damaged signal_runs or futures_bars must not hide the health of the collection.
 */
async function tableStatus(dataDir: string, name: LakeTableName): Promise<TableStatus> {
  const none = { name, version: null, files: 0, bytes: 0, lastCommitAt: null };
  let snapshot: Awaited<ReturnType<typeof loadLakeSnapshot>>;
  try {
    snapshot = await loadLakeSnapshot(dataDir, name);
  } catch (error) {
    // Damaged or unsupported (data), or not readable by this user (a usage error naming the path).
    if (!(error instanceof DataError || (isUserError(error) && error.kind === 'usage'))) throw error;
    return { ...none, exists: true, problem: error.message };
  }
  if (!snapshot) return { ...none, exists: false, problem: null };
  let bytes = 0;
  for (const file of snapshot.files.values()) bytes += Number(file.add.size ?? 0);
  return {
    name,
    exists: true,
    version: snapshot.version,
    files: snapshot.files.size,
    bytes,
    lastCommitAt: new Date(snapshot.timestamp),
    problem: null,
  };
}

/** How far back status looks for a symbol with no row in the last LATEST_LOOKBACK_DAYS trade dates. */
const FAR_LOOKBACK_DAYS = 3660;

/** A misspelt --data-dir or $FUTURES_DATA_DIR is a configuration error, not "stale data". */
async function requireDataDir(dataDir: string): Promise<void> {
  const info = await stat(dataDir).catch(() => null);
  if (info?.isDirectory()) return;
  // A path with a trailing space or a newline ('--data-dir "$DIR "') is shown quoted, or it reads as a real one.
  const shown = /^\s|\s$|[\u0000-\u001f]/.test(dataDir) ? JSON.stringify(dataDir) : dataDir;
  throw new ConfigError(
    info === null ? `data directory ${shown} does not exist` : `data directory ${shown} is not a directory`,
    {
      hint: 'Check --data-dir, $FUTURES_DATA_DIR or dataDir in the config file; `futures collect` creates the directory on its first run.',
    },
  );
}

/** Trade-date partitions read per step of the far look-back (each step one small scan). */
const FAR_STEP_PARTITIONS = 4;

/** The table's trade-date partitions in [from, to], newest first (from the Delta log: no data read). */
async function partitionDatesDescending(dataDir: string, from: string, to: string): Promise<string[]> {
  const snapshot = await loadLakeSnapshot(dataDir, FUTURES_SNAPSHOTS);
  const dates = new Set<string>();
  for (const file of snapshot?.files.values() ?? []) {
    const date = file.add.partitionValues.trade_date;
    if (date != null && date >= from && date <= to) dates.add(date);
  }
  return [...dates].sort().reverse();
}

/**
 * The newest row per symbol: the last LATEST_LOOKBACK_DAYS trade dates, then, for symbols not seen
 * there, back through the partitions that exist, a few at a time (a lake left idle for months reads
 * its newest partitions, not ten years of them).
 */
async function newestRows(
  options: StatusOptions,
  symbols: readonly string[],
): Promise<Awaited<ReturnType<typeof latestSnapshots>>> {
  const { now, calendar } = options;
  const duck = await openMemoryConnection();
  try {
    const latest = await latestSnapshots(duck.connection, options.dataDir, { now, calendar, symbols });
    let missing = symbols.filter((s) => !latest.has(s));
    if (missing.length === 0) return latest;
    const today = tradeDateOf(now, calendar);
    const recentFrom = addDays(today, -LATEST_LOOKBACK_DAYS);
    const farFrom = addDays(today, -FAR_LOOKBACK_DAYS);
    const dates = await partitionDatesDescending(options.dataDir, farFrom, addDays(recentFrom, -1));
    for (let i = 0; i < dates.length && missing.length > 0; i += FAR_STEP_PARTITIONS) {
      const step = dates.slice(i, i + FAR_STEP_PARTITIONS);
      const older = await latestSnapshots(duck.connection, options.dataDir, {
        now,
        calendar,
        symbols: missing,
        tradeDates: { from: step.at(-1)!, to: step[0]! },
      });
      for (const [symbol, row] of older) latest.set(symbol, row);
      missing = missing.filter((s) => !latest.has(s));
    }
    return latest;
  } finally {
    duck.close();
  }
}

function freshnessOf(
  options: StatusOptions,
  market: ReturnType<typeof cmeStatusAt>,
  instruments: readonly InstrumentFreshness[],
): StatusReport['freshness'] {
  const maxAge = options.maxAgeSeconds;
  if (maxAge === null) return { checked: false, ok: null, reason: 'not checked (no --max-age given)' };
  if (!market.open) {
    return {
      checked: true,
      ok: true,
      reason: `CME equity is closed (${market.reason}${market.note ? `: ${market.note}` : ''}); freshness not required`,
    };
  }
  const stale = instruments.filter((i) => i.stale);
  const limit = formatAge(maxAge * 1000);
  if (stale.length === 0)
    return { checked: true, ok: true, reason: `every instrument is fresher than ${limit}` };
  const ages = stale
    .map((i) => `${i.symbol} ${i.ageSeconds === null ? 'never collected' : formatAge(i.ageSeconds * 1000)}`)
    .join(', ');
  return { checked: true, ok: false, reason: `${ages}: older than ${limit} while CME is open` };
}

/**
 * Gaps only where CME equity trades: a slot while the market is closed (weekend, daily halt, holiday) is
 * not expected, so it is no gap even when no collector ran to record it as skipped.
 */
function gapsWhileOpen(
  gaps: readonly QueueGap[],
  calendar: MarketCalendar,
  intervalSeconds: number,
): StatusGap[] {
  const step = intervalSeconds * 1000;
  const openAt = new Map<number, boolean>();
  const isOpen = (t: number) => {
    let open = openAt.get(t);
    if (open === undefined) {
      open = cmeStatusAt(new Date(t), calendar).open;
      openAt.set(t, open);
    }
    return open;
  };
  const out: StatusGap[] = [];
  for (const gap of gaps) {
    const cause = gap.cause as GapCause;
    let run: StatusGap | null = null;
    for (let t = gap.from.getTime(); t <= gap.to.getTime(); t += step) {
      if (isOpen(t)) {
        if (run) {
          run.to = new Date(t);
          run.slots += 1;
        } else run = { ...gap, cause, from: new Date(t), to: new Date(t), slots: 1 };
      } else if (run) {
        out.push(run);
        run = null;
      }
    }
    if (run) out.push(run);
  }
  return out;
}

function gapCausesOf(gaps: readonly StatusGap[]): StatusReport['gapCauses'] {
  const slots = new Map<GapCause, number>();
  for (const gap of gaps) slots.set(gap.cause, (slots.get(gap.cause) ?? 0) + gap.slots);
  return GAP_CAUSES.filter((cause) => slots.has(cause))
    .map((cause) => ({ cause, text: GAP_CAUSE_TEXT[cause], slots: slots.get(cause) ?? 0 }))
    .sort((a, b) => b.slots - a.slots);
}

export async function readStatus(options: StatusOptions): Promise<StatusReport> {
  const { config, now } = options;
  const { calendar } = options;
  await requireDataDir(options.dataDir);
  const market = cmeStatusAt(now, calendar);
  const symbols = config.collect.symbols;
  const latest = await newestRows(options, symbols);
  const checkAge = options.maxAgeSeconds !== null && market.open;
  const instruments: InstrumentFreshness[] = symbols.map((symbol) => {
    const row = latest.get(symbol);
    const ageSeconds = row ? Math.max(0, (now.getTime() - row.ts.getTime()) / 1000) : null;
    const stale = checkAge && (ageSeconds === null || ageSeconds > (options.maxAgeSeconds ?? 0));
    return {
      symbol,
      lastTs: row?.ts ?? null,
      ageSeconds: ageSeconds === null ? null : Math.round(ageSeconds),
      localSymbol: row?.localSymbol ?? null,
      source: row?.source ?? null,
      quality: row?.quality ?? [],
      stale,
    };
  });
  const freshness = freshnessOf(options, market, instruments);

  const paths = queuePaths(options.dataDir);
  const lakeState = await lakeCommitState(options.dataDir);
  const queue = await readQueueStatus({
    committedThrough: lakeState.committedThrough,
    dataDir: options.dataDir,
    now,
    symbols,
    intervalSeconds: config.collect.intervalSeconds,
    maxLatenessSeconds: config.collect.maxLatenessSeconds,
    windowSeconds: GAP_WINDOW_SECONDS,
    busyTimeoutMs: config.collect.queueBusyTimeoutMs,
    causeOf: gapCause,
  });
  const gaps = gapsWhileOpen(queue.gaps, calendar, config.collect.intervalSeconds);
  const [compact, backfill] = await Promise.all([
    readLock(paths.stateDir, COMPACT_LOCK),
    readLock(paths.stateDir, BACKFILL_LOCK),
  ]);
  const loss = await lakeLossOf(options.dataDir, queue.doneAboveLake, calendar);
  const lostLine = describeLoss(loss);
  const tables = await Promise.all(
    (Object.keys(LAKE_TABLES) as LakeTableName[]).map((name) => tableStatus(options.dataDir, name)),
  );
  return {
    now,
    market: {
      open: market.open,
      reason: market.reason,
      tradeDate: market.tradeDate,
      segment: market.segment,
      nextOpen: market.nextOpen ?? null,
    },
    maxAgeSeconds: options.maxAgeSeconds,
    instruments,
    freshness,
    queue: {
      path: queue.path,
      exists: queue.exists,
      counts: queue.exists ? queue.counts : null,
      openRounds: queue.openRounds.length,
      neverScheduled: queue.neverScheduled,
    },
    locks: {
      collect: queue.collectorLock ?? (await readLock(paths.stateDir, COLLECT_LOCK)),
      compact,
      backfill,
    },
    tables,
    gaps,
    gapCauses: gapCausesOf(gaps),
    gapWindowHours: GAP_WINDOW_SECONDS / 3600,
    lake: {
      committedRound: loss.committedThrough,
      lostSlots: loss.lostSlots.length,
      lostRounds: loss.lostRounds,
      checkpointAhead: loss.checkpointAhead,
      problem:
        lostLine === null
          ? null
          : `${lostLine}. ${loss.lostSlots.length > 0 ? 'The next `futures collect` marks those slots missed; then run `futures backfill --missed`.' : 'Restore the lost commit files if a copy exists; check the slots with `futures table verify futures_snapshots`.'}`,
    },
  };
}
