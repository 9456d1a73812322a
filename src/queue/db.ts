/**
 * Access to `<dataDir>/state/queue.duckdb`, the only code that opens it.
 *
 * The hazard: DuckDB lets ONE process at a time open a database file. While one process has it open
 * (read-write or read-only), another process's open fails at once with "IO Error: Could not set lock
 * on file ... Conflicting lock is held in /usr/bin/node (PID n)" — even a READ_ONLY open while a
 * writer holds it. (Several read-only openers may share it, but never with a writer.) Verified with
 * @duckdb/node-api 1.5.6 and by test/queue/multiprocess.test.ts.
 *
 * So nobody keeps the file open. Every operation is a short session:
 *   ATTACH the file (to a per-object in-memory instance) → BEGIN → statements → COMMIT → DETACH.
 * DETACH checkpoints the WAL and drops the OS lock, so the file is free between operations; a
 * collector touches it for a few milliseconds per round and `futures status` reads between rounds.
 * ATTACH costs ~1 ms against ~13 ms for opening a fresh DuckDB instance, which is why one in-memory
 * instance per Queue object is reused. An opener that meets the lock retries with a short backoff
 * for `busyTimeoutMs` and then throws QueueBusyError (exit 5) naming the holding pid (and the
 * command from its process lock file, when that pid holds one).
 *
 * Cost (measured on the shared 2-core box under load average 6–9, wall time): a write session has a fixed
 * cost of ~40 ms there — ATTACH ~4, COMMIT ~7, and DETACH ~30, which is DuckDB's checkpoint (its fsyncs
 * and metadata; nearly independent of the hot table's size now that no table has an index, see schema.ts;
 * with the version 1 UNIQUE index it was ~90 ms at 8,640 hot rows) — plus ~3–8 ms per statement. So: as
 * few sessions as possible (batch(); the collector's round is ONE session, see src/collect/round.ts), and
 * few statements per operation. Skipping the checkpoint (PRAGMA disable_checkpoint_on_shutdown) was tried
 * twice and rejected: the next ATTACH — including a read-only one by `futures status` — replays the WAL,
 * ~90–280 ms for a few dozen sessions' worth (more than the checkpoints saved), and it keeps growing.
 *
 * Consequences:
 * - Each session holds the OS lock, so sessions are serialized across processes: a session is atomic
 *   with respect to every other process (claims can never overlap). Within one process, fcntl locks
 *   do not exclude each other, so sessions on the same path are serialized by an in-process mutex.
 * - A process killed mid-session loses its lock with it; the next ATTACH replays or discards the WAL.
 * - Keep sessions short: never hold one across IB requests or Delta writes.
 */
import { existsSync } from 'node:fs';
import { mkdir, readdir } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import type { DuckDBConnection, DuckDBInstance, DuckDBValue, JS } from '@duckdb/node-api';
import { QueueBusyError } from './errors.js';
import { readLock } from './lock.js';
import { ensureSchema, verifySchemaReadOnly } from './schema.js';

export type SqlValue = DuckDBValue;
export type SqlRow = Record<string, JS>;
export type SqlCell = JS | undefined;

/** One open session on the queue file (inside a transaction). */
export interface Tx {
  readonly readOnly: boolean;
  all(sql: string, params?: readonly SqlValue[]): Promise<SqlRow[]>;
  run(sql: string, params?: readonly SqlValue[]): Promise<void>;
  /** A LIST parameter; always cast it in SQL (`$1::BIGINT[]`). Elements must not start with a NULL. */
  list(items: readonly SqlValue[]): SqlValue;
}

export interface QueueDatabaseOptions {
  /** Retry budget while another process holds the file (default 5000 ms). */
  busyTimeoutMs?: number;
}

const ALIAS = 'queue_db';
/**
 * The in-memory instance is replaced after this many sessions: DuckDB keeps native memory from every
 * ATTACH/DETACH cycle (the JS heap stays flat while RSS climbs by ~50 MB over 3,000 sessions), and a
 * new instance costs ~13 ms once — ~0.05 ms per session amortized.
 */
const SESSIONS_PER_INSTANCE = 250;

const inProcessTail = new Map<string, Promise<unknown>>();

/** Serializes sessions on one file inside this process (fcntl locks do not exclude a process from itself). */
async function withPathMutex<T>(path: string, fn: () => Promise<T>): Promise<T> {
  const previous = inProcessTail.get(path) ?? Promise.resolve();
  let releaseNext: () => void = () => {};
  const mine = new Promise<void>((resolveMine) => {
    releaseNext = resolveMine;
  });
  const tail = previous.then(() => mine);
  inProcessTail.set(path, tail);
  await previous.catch(() => {});
  try {
    return await fn();
  } finally {
    releaseNext();
    if (inProcessTail.get(path) === tail) inProcessTail.delete(path);
  }
}

export class QueueDatabase {
  readonly path: string;
  readonly busyTimeoutMs: number;
  private connection: DuckDBConnection | null = null;
  private listValue: ((items: readonly SqlValue[]) => SqlValue) | null = null;
  private instance: DuckDBInstance | null = null;
  private sessionsOnInstance = 0;
  private schemaReady = false;

  constructor(path: string, options: QueueDatabaseOptions = {}) {
    this.path = resolve(path);
    this.busyTimeoutMs = options.busyTimeoutMs ?? 5000;
  }

  /** Runs fn in one read-write transaction; creates or migrates the schema on first use. */
  async write<T>(fn: (tx: Tx) => Promise<T>): Promise<T> {
    await mkdir(dirname(this.path), { recursive: true });
    return this.session(false, async (tx) => {
      if (!this.schemaReady) {
        await ensureSchema(tx, this.path);
        this.schemaReady = true;
      }
      return fn(tx);
    });
  }

  /** Runs fn in one read-only transaction; returns null when the file does not exist yet. */
  async read<T>(fn: (tx: Tx) => Promise<T>): Promise<T | null> {
    if (!existsSync(this.path)) return null;
    return this.session(true, async (tx) => {
      const present = await verifySchemaReadOnly(tx, this.path);
      return present ? fn(tx) : null;
    });
  }

  close(): void {
    this.connection?.closeSync();
    this.instance?.closeSync();
    this.connection = null;
    this.instance = null;
  }

  private async connect(): Promise<DuckDBConnection> {
    if (this.connection && this.sessionsOnInstance >= SESSIONS_PER_INSTANCE) this.close();
    if (this.connection) return this.connection;
    this.sessionsOnInstance = 0;
    const { DuckDBInstance, listValue } = await import('@duckdb/node-api');
    this.listValue = listValue;
    const instance = await DuckDBInstance.create(':memory:', { threads: '1' });
    const connection = await instance.connect();
    await connection.run("SET TimeZone='UTC'");
    this.instance = instance;
    this.connection = connection;
    return connection;
  }

  private async session<T>(readOnly: boolean, fn: (tx: Tx) => Promise<T>): Promise<T> {
    return withPathMutex(this.path, async () => {
      const connection = await this.connect();
      this.sessionsOnInstance += 1;
      await this.attach(connection, readOnly);
      try {
        // Several statements per call: each call into DuckDB costs a round trip through the addon.
        await connection.run(`USE ${ALIAS}; BEGIN TRANSACTION`);
        const tx: Tx = {
          readOnly,
          all: async (sql, params) => {
            const reader = await connection.runAndReadAll(sql, params ? [...params] : undefined);
            return reader.getRowObjectsJS();
          },
          run: async (sql, params) => {
            await connection.run(sql, params ? [...params] : undefined);
          },
          list: (items) => {
            if (!this.listValue) throw new Error('queue database not connected');
            // An empty LIST value has no element type and is rejected; the text '[]' casts to any list type.
            return items.length === 0 ? '[]' : this.listValue(items);
          },
        };
        let result: T;
        try {
          result = await fn(tx);
        } catch (error) {
          await connection.run('ROLLBACK').catch(() => {});
          throw error;
        }
        await connection.run('COMMIT');
        return result;
      } finally {
        await connection.run(`USE memory; DETACH ${ALIAS}`);
      }
    });
  }

  private async attach(connection: DuckDBConnection, readOnly: boolean): Promise<void> {
    const sql = `ATTACH '${this.path.replaceAll("'", "''")}' AS ${ALIAS}${readOnly ? ' (READ_ONLY)' : ''}`;
    const started = performance.now();
    let pause = 1;
    for (;;) {
      try {
        await connection.run(sql);
        return;
      } catch (error) {
        if (!isLockConflict(error)) throw error;
        if (performance.now() - started >= this.busyTimeoutMs) throw await this.busyError(error);
        // Jitter keeps two waiting processes from retrying in lockstep.
        await new Promise((r) => setTimeout(r, pause + Math.random() * pause));
        pause = Math.min(pause * 2, 20);
      }
    }
  }

  private async busyError(cause: unknown): Promise<QueueBusyError> {
    const message = cause instanceof Error ? cause.message : String(cause);
    const pidMatch = /\(PID (\d+)\)/.exec(message);
    const pid = pidMatch?.[1] ? Number(pidMatch[1]) : null;
    const holder = pid === null ? null : await describeLockHolder(dirname(this.path), pid);
    const who = pid === null ? 'another process' : `pid ${pid}${holder ? ` (${holder})` : ''}`;
    return new QueueBusyError(
      `queue database ${this.path} stayed locked by ${who} for ${this.busyTimeoutMs} ms`,
      pid,
      {
        cause,
        hint: 'A collector holds it only for a few milliseconds per round; retry. If the holder is not a futures process, stop it.',
      },
    );
  }
}

export function isLockConflict(error: unknown): boolean {
  return error instanceof Error && /Could not set lock on file|Conflicting lock is held/i.test(error.message);
}

/** "futures collect --loop since 2025-…" when pid holds one of the process locks in stateDir. */
async function describeLockHolder(stateDir: string, pid: number): Promise<string | null> {
  let names: string[];
  try {
    names = await readdir(stateDir);
  } catch {
    return null;
  }
  for (const file of names) {
    if (!file.endsWith('.lock')) continue;
    const status = await readLock(stateDir, file.slice(0, -'.lock'.length)).catch(() => null);
    if (status && status.pid === pid) {
      return `${status.command || status.name} since ${status.startedAt}`;
    }
  }
  return null;
}
