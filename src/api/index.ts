/**
 * The library entry point (`import { openLake } from 'futures-signals'`): the lake and the signals as the
 * CLI computes them, for a program that would otherwise parse the CLI's JSON. It runs the same use cases as
 * `signals premarket|regime`, reads the same config (flags > env > file > defaults) and throws the same
 * errors, whose `kind` says what went wrong (see README, "Exit codes"). It never prints and never exits.
 */

import type { RunContext } from '../app/context.js';
import { evaluateSignal } from '../app/evaluate/evaluate.js';
import { premarketStrategy } from '../app/evaluate/premarket.js';
import { regimeStrategy } from '../app/evaluate/regime.js';
import type { EvaluateRequest } from '../app/evaluate/types.js';
import { applyLakeLocation } from '../app/lake-location.js';
import { loadConfig } from '../config/load.js';
import type { Config } from '../config/schema.js';
import { wallClock } from '../core/clock.js';
import { UsageError } from '../core/errors.js';
import { createLogger } from '../core/log.js';
import { openMemoryConnection } from '../delta/index.js';
import {
  type BarRecord,
  listTables,
  readBars,
  readSignalRuns,
  readSnapshots,
  type SignalRunRecord,
  type SnapshotRecord,
} from '../lake/index.js';
import { addDays, type MarketCalendar, parseInstant, tradeDateOf } from '../market/index.js';
import type { PremarketDocument, RegimeDocument } from '../signals/schemas.js';
import { type ENGINE_REGIMES, INDEX_SYMBOLS, type IndexSymbol } from '../signals/types.js';

export {
  FUTURES_DOCUMENT_SCHEMAS,
  type FuturesDocumentId,
} from '../commands/schemas/index.js';
export type { Config } from '../config/schema.js';
export {
  BusyError,
  ConfigError,
  DataError,
  type ErrorKind,
  isUserError,
  StaleDataError,
  UpstreamUnavailableError,
  UsageError,
  UserError,
} from '../core/errors.js';
export type { BarRecord, LakeTableEntry, SignalRunRecord, SnapshotRecord } from '../lake/index.js';
export {
  etInstant,
  formatEt,
  formatEtIso,
  type MarketCalendar,
  type NyseDay,
  type NyseSession,
  nyseSession,
  nyseSessions,
  previousNyseClose,
  tradeDateOf,
} from '../market/index.js';
export {
  ERROR_SCHEMA_ID,
  errorDocumentSchema,
  PREMARKET_SCHEMA_ID,
  type PremarketDocument,
  premarketDocumentSchema,
  REGIME_SCHEMA_ID,
  REPLAY_SKIP_SCHEMA_ID,
  type RegimeDocument,
  type ReplayLine,
  regimeDocumentSchema,
  replayLineSchema,
} from '../signals/schemas.js';
export { ENGINE_REGIMES, INDEX_SYMBOLS, type IndexSymbol } from '../signals/types.js';

export interface OpenLakeOptions {
  /** The data directory; else FUTURES_DATA_DIR, the config file's dataDir, or ./data. */
  dataDir?: string;
  /** A config file; else FUTURES_CONFIG or ./futures.config.json when it exists. */
  configFile?: string;
  /** Resolves relative paths; default process.cwd(). */
  cwd?: string;
  /** Default process.env. */
  env?: Readonly<Record<string, string | undefined>>;
  /** What "now" is for live evaluations; default the wall clock. */
  now?: () => Date;
  /** Receives the warnings the CLI would print on stderr (e.g. a run that could not be recorded). */
  onWarning?: (message: string) => void;
}

/** A time range of rows; `from` and `to` are inclusive instants (Date, ISO-8601 with a zone, or a naive time in ET). */
export interface RowQuery {
  from: Date | string;
  to: Date | string;
  /** Default: all symbols. */
  symbols?: readonly string[];
}

export interface SignalQuery {
  /** Evaluate with only data stamped at or before this instant; default now. */
  asOf?: Date | string;
  symbols?: readonly IndexSymbol[];
  /** The caller's VIX level and regime, as `--vix` and `--regime`. */
  vix?: number;
  regime?: (typeof ENGINE_REGIMES)[number];
  /** Record the document to signal_runs, as `--record`; default false. */
  record?: boolean;
}

export interface Lake {
  readonly dataDir: string;
  readonly config: Config;
  /** The market calendar of this config (built-in days plus calendar.overrides), for the market helpers. */
  readonly calendar: MarketCalendar;
  /** The lake's tables with their current versions (absent tables are not listed). */
  tables(): Promise<Awaited<ReturnType<typeof listTables>>>;
  /** futures_snapshots rows in ts order. */
  snapshots(query: RowQuery): Promise<SnapshotRecord[]>;
  /** futures_bars rows of one bar size ('1 min' or '1 day'; default '1 min') in ts order. */
  bars(query: RowQuery & { barSize?: string }): Promise<BarRecord[]>;
  /** signal_runs rows of a kind in as_of order. */
  signalRuns(query: {
    kind: 'premarket' | 'regime';
    from: Date | string;
    to: Date | string;
  }): Promise<SignalRunRecord[]>;
  /** The pre-market document `signals premarket --json` prints. */
  premarket(query?: SignalQuery): Promise<PremarketDocument>;
  /** The regime document `signals regime --json` prints (state derived from the lake when none is recorded). */
  regime(query?: SignalQuery): Promise<RegimeDocument>;
}

/** A Date, or text read as the CLI reads it: ISO-8601 with a zone, or a naive time (or date) in ET. */
function instantOf(value: Date | string, name: string): Date {
  if (typeof value === 'string') {
    try {
      return parseInstant(value, { dateOnly: true });
    } catch (error) {
      throw new UsageError(`${name}: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  if (Number.isNaN(value.getTime())) throw new UsageError(`${name}: not an instant: ${String(value)}`);
  return value;
}

function symbolsOf(symbols: readonly string[] | undefined): IndexSymbol[] {
  if (symbols === undefined) return [...INDEX_SYMBOLS];
  const unknown = symbols.filter((s) => !(INDEX_SYMBOLS as readonly string[]).includes(s));
  if (unknown.length > 0)
    throw new UsageError(`symbols: unknown ${unknown.join(', ')} (use ${INDEX_SYMBOLS.join(', ')})`);
  return INDEX_SYMBOLS.filter((s) => symbols.includes(s));
}

function runContextOf(options: OpenLakeOptions): RunContext {
  const cwd = options.cwd ?? process.cwd();
  const env = options.env ?? process.env;
  const { config, file, calendar } = loadConfig({
    cwd,
    env,
    configPath: options.configFile,
    flags: { dataDir: options.dataDir },
  });
  applyLakeLocation(config);
  const warn = options.onWarning ?? (() => {});
  const stderr = {
    write: (chunk: string) => {
      const text = chunk.replace(/\n$/, '').replace(/^warning: /, '');
      if (text.length > 0) warn(text);
      return true;
    },
  };
  const base = wallClock();
  return {
    clock: options.now ? { now: options.now, sleep: base.sleep } : base,
    env,
    cwd,
    stdout: { write: () => true },
    stderr,
    signal: new AbortController().signal,
    config,
    configFile: file,
    calendar,
    log: createLogger(stderr, 'quiet'),
    isInteractive: false,
  };
}

function requestOf(query: SignalQuery, ctx: RunContext): EvaluateRequest {
  const asOf = query.asOf === undefined ? undefined : instantOf(query.asOf, 'asOf');
  if (asOf && asOf.getTime() > ctx.clock.now().getTime()) {
    throw new UsageError(`asOf ${asOf.toISOString()} is in the future.`);
  }
  return {
    symbols: symbolsOf(query.symbols),
    asOf,
    range: undefined,
    overrides: { vix: query.vix, regime: query.regime },
    record: query.record ?? false,
  };
}

async function withConnection<T>(
  work: (connection: Awaited<ReturnType<typeof openMemoryConnection>>['connection']) => Promise<T>,
): Promise<T> {
  const owned = await openMemoryConnection();
  try {
    return await work(owned.connection);
  } finally {
    owned.close();
  }
}

/** The trade-date partitions that can hold rows stamped in [from, to], a day of margin either side. */
function tradeDatesOf(from: Date, to: Date, calendar: MarketCalendar): { from: string; to: string } {
  return { from: addDays(tradeDateOf(from, calendar), -1), to: addDays(tradeDateOf(to, calendar), 1) };
}

/** Opens a lake for reading and for computing signals. Nothing stays open between calls. */
export function openLake(options: OpenLakeOptions = {}): Lake {
  const ctx = runContextOf(options);
  const dataDir = ctx.config.dataDir;
  return {
    dataDir,
    config: ctx.config,
    calendar: ctx.calendar,
    tables: () => listTables(dataDir),
    snapshots: (query) =>
      withConnection(async (connection) => {
        const from = instantOf(query.from, 'from');
        const to = instantOf(query.to, 'to');
        const range = { from, to, symbols: query.symbols, tradeDates: tradeDatesOf(from, to, ctx.calendar) };
        return (await readSnapshots(connection, dataDir, range)).records;
      }),
    bars: (query) =>
      withConnection(async (connection) => {
        const from = instantOf(query.from, 'from');
        const to = instantOf(query.to, 'to');
        const range = { from, to, symbols: query.symbols, barSize: query.barSize ?? '1 min' };
        return (await readBars(connection, dataDir, range)).records;
      }),
    signalRuns: (query) =>
      withConnection((connection) =>
        readSignalRuns(
          connection,
          dataDir,
          query.kind,
          instantOf(query.from, 'from'),
          instantOf(query.to, 'to'),
        ),
      ),
    async premarket(query = {}) {
      const evaluation = await evaluateSignal(premarketStrategy, requestOf(query, ctx), ctx);
      if (evaluation.mode !== 'single') throw new Error('a single evaluation returned a replay');
      return evaluation.document;
    },
    async regime(query = {}) {
      const everyMs = ctx.config.signals.earlyWarning.checkEveryMinutes * 60_000;
      const evaluation = await evaluateSignal(regimeStrategy(everyMs), requestOf(query, ctx), ctx);
      if (evaluation.mode !== 'single') throw new Error('a single evaluation returned a replay');
      return evaluation.document;
    },
  };
}
