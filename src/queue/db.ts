/**
 * Access to `<dataDir>/state/queue.duckdb`, the only code that opens it.
 *
 * The hazard: DuckDB lets ONE process at a time open a database file. While one process has it open
 * (read-write or read-only), another process's open fails at once with "IO Error: Could not set lock
 * on file ... Conflicting lock is held in /usr/bin/node (PID n)" — even a READ_ONLY open while a
 * writer holds it. (Several read-only openers may share it, but never with a writer.)
 * test/queue/multiprocess.test.ts checks this.
 *
 * So the file is open only while it is used. Every operation is a short session:
 *   ATTACH the file (to a per-object in-memory instance) → BEGIN → statements → COMMIT → DETACH,
 * and the OS lock is gone between sessions, so other processes get in between a collector's rounds. An
 * opener that meets the lock retries with a short backoff for `busyTimeoutMs` and then throws
 * QueueBusyError naming the holding pid (and the command from its process lock file, when that pid holds
 * one).
 *
 * Two exceptions keep the collector's round cheap (docs/round-protocol.md, "Sessions and the held file"):
 * - DETACH does not checkpoint (PRAGMA disable_checkpoint_on_shutdown): write sessions leave their commits
 *   in the WAL (durable: each COMMIT syncs it), and a write session checkpoints only once the WAL has
 *   grown past WAL_CHECKPOINT_BYTES, because every ATTACH, read-only ones included, replays it. A holder
 *   lets the WAL grow to HELD_WAL_CHECKPOINT_BYTES and checkpoints when it lets go.
 * - hold(): a holder keeps the file attached between its write sessions (no ATTACH, no replay), only
 *   while sessions run back to back; it releases before every real wait, and also lets go after
 *   MAX_HOLD_MS and stays away for HOLD_GAP_MS, longer than any waiting opener's retry pause.
 *
 * Consequences:
 * - Each session holds the OS lock, so sessions are serialized across processes: a session is atomic
 *   with respect to every other process (claims can never overlap). Within one process, fcntl locks
 *   do not exclude each other, so sessions on the same path are serialized by an in-process mutex,
 *   and a session by another object on a path that is held first makes the holder let go.
 * - A process killed mid-session loses its lock with it; the next ATTACH replays the WAL (a torn last
 *   commit is discarded).
 * - Keep sessions short: never hold one across IB requests or Delta writes.
 */
import { existsSync } from 'node:fs';
import { mkdir, readdir, stat } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { type DuckDBConnection, DuckDBInstance, listValue } from '@duckdb/node-api';
import { corruptQueueError, QueueBusyError } from './errors.js';
import { readLock } from './lock.js';
import { ensureSchema, verifySchemaReadOnly } from './schema.js';
import type { Tx } from './sql.js';

export interface QueueDatabaseOptions {
  /** Retry budget while another process holds the file (default 5000 ms). */
  busyTimeoutMs?: number;
}

const ALIAS = 'queue_db';
/**
 * The in-memory instance is replaced after this many ATTACHes or sessions, whichever comes first (at the
 * next ATTACH): DuckDB keeps native memory from every ATTACH/DETACH cycle (the JS heap stays flat while
 * RSS climbs), and a holder's instance keeps growing its caches over thousands of sessions; a new
 * instance is cheap next to that.
 */
const ATTACHES_PER_INSTANCE = 250;
const SESSIONS_PER_INSTANCE = 1000;
/**
 * The queue file's block size, well under DuckDB's default 256 KiB. A table that gets rows after its
 * last checkpoint holds a block-sized buffer per column (and per validity mask) in memory for as long as
 * the file is attached — `jobs`, and `jobs_archive`, which the collector's hourly archive appends to —
 * so small blocks keep that memory small.
 */
export const BLOCK_SIZE = 16_384;
/** A write session checkpoints when the WAL is larger than this (a few collector rounds) … */
export const WAL_CHECKPOINT_BYTES = 12 * 1024;
/**
 * … or, while the file is held (no ATTACH replays the WAL), than this; letting go checkpoints down to
 * WAL_CHECKPOINT_BYTES, so the next opener replays little.
 */
export const HELD_WAL_CHECKPOINT_BYTES = 256 * 1024;
/** A holder lets go of the file after this long attached … */
export const MAX_HOLD_MS = 2000;
/** … and waits this long before attaching again (a waiting opener pauses at most 40 ms: attach()). */
export const HOLD_GAP_MS = 60;

const inProcessTail = new Map<string, Promise<unknown>>();
/** Which object keeps each path attached between its sessions (hold()). */
const holders = new Map<string, QueueDatabase>();

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
  private instance: DuckDBInstance | null = null;
  private attachesOnInstance = 0;
  private sessionsOnInstance = 0;
  private schemaReady = false;
  private holding = false;
  /** performance.now() of the ATTACH this object still keeps open, or null when detached. */
  private attachedSince: number | null = null;
  private attachedReadOnly = false;

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

  /**
   * Keeps the file attached after each write session until release() (see the module header). Only for
   * work that runs sessions back to back; call release() before waiting on anything else.
   */
  hold(): void {
    this.holding = true;
  }

  /** Detaches the file if this object keeps it attached, and stops holding it. */
  async release(): Promise<void> {
    this.holding = false;
    if (this.attachedSince === null) return;
    await withPathMutex(this.path, () => this.detach());
  }

  /** Closes the instance; the file is detached with it (call release() first to detach cleanly). */
  close(): void {
    this.holding = false;
    this.closeInstance();
  }

  /** Drops the instance (and with it any attachment), keeping whether this object holds the file. */
  private closeInstance(): void {
    if (holders.get(this.path) === this) holders.delete(this.path);
    this.attachedSince = null;
    this.connection?.closeSync();
    this.instance?.closeSync();
    this.connection = null;
    this.instance = null;
  }

  private worn(): boolean {
    return (
      this.attachesOnInstance >= ATTACHES_PER_INSTANCE || this.sessionsOnInstance >= SESSIONS_PER_INSTANCE
    );
  }

  private async connect(): Promise<DuckDBConnection> {
    if (this.connection && this.worn()) this.closeInstance();
    if (this.connection) return this.connection;
    this.attachesOnInstance = 0;
    this.sessionsOnInstance = 0;
    const instance = await DuckDBInstance.create(':memory:', { threads: '1' });
    const connection = await instance.connect();
    // The instance only ever attaches the queue file; see the module header for the checkpoint policy.
    // No FSST: its analysis at every checkpoint allocates large blocks, which make glibc keep freed
    // memory in its arenas for good (src/delta/text-io.ts; the queue's strings are short anyway).
    await connection.run(
      "SET TimeZone='UTC'; PRAGMA disable_checkpoint_on_shutdown; SET disabled_compression_methods='fsst'",
    );
    this.instance = instance;
    this.connection = connection;
    return connection;
  }

  /** Inside the path mutex: DETACH the file this object keeps attached (checkpointing a long WAL first). */
  private async detach(): Promise<void> {
    if (this.attachedSince === null) return;
    this.attachedSince = null;
    if (holders.get(this.path) === this) holders.delete(this.path);
    try {
      const checkpoint =
        !this.attachedReadOnly && (await walBytes(this.path)) > WAL_CHECKPOINT_BYTES
          ? `CHECKPOINT ${ALIAS}; `
          : '';
      await this.connection?.run(`${checkpoint}USE memory; DETACH ${ALIAS}`);
    } catch {
      // The instance is in an unknown state: drop it (and the file handle with it).
      this.closeInstance();
    }
  }

  private async session<T>(readOnly: boolean, fn: (tx: Tx) => Promise<T>): Promise<T> {
    return withPathMutex(this.path, async () => {
      const other = holders.get(this.path);
      if (other && other !== this) await other.detach();
      if (this.attachedSince !== null && performance.now() - this.attachedSince > MAX_HOLD_MS) {
        await this.detach();
        await new Promise((r) => setTimeout(r, HOLD_GAP_MS));
      } else if (this.attachedSince !== null && this.worn()) {
        await this.detach();
      }
      let connection: DuckDBConnection;
      if (this.attachedSince === null) {
        connection = await this.connect();
        this.attachesOnInstance += 1;
        await this.attach(connection, readOnly);
        this.attachedSince = performance.now();
        this.attachedReadOnly = readOnly;
      } else {
        connection = this.connection as DuckDBConnection;
      }
      this.sessionsOnInstance += 1;
      let keep = false;
      try {
        // Several statements per call: each call into DuckDB costs a round trip through the addon, so the
        // transaction begins with the session's first statement (a session without one begins nothing).
        let begun = false;
        const opening = (): string => {
          if (begun) return '';
          begun = true;
          return `USE ${ALIAS}; BEGIN TRANSACTION; `;
        };
        const tx: Tx = {
          readOnly,
          all: async (sql, params) => {
            const reader = await connection.runAndReadAll(opening() + sql, params ? [...params] : undefined);
            return reader.getRowObjectsJS();
          },
          run: async (sql, params) => {
            await connection.run(opening() + sql, params ? [...params] : undefined);
          },
          // An empty LIST value has no element type and is rejected; the text '[]' casts to any list type.
          list: (items) => (items.length === 0 ? '[]' : listValue(items)),
        };
        let result: T;
        try {
          result = await fn(tx);
        } catch (error) {
          if (begun) await connection.run('ROLLBACK').catch(() => {});
          throw corruptQueueError(this.path, error) ?? error;
        }
        if (begun) await connection.run('COMMIT');
        keep = !readOnly && this.holding;
        // Letting go checkpoints a long WAL (detach); a holder checkpoints only a very long one.
        if (keep && (await walBytes(this.path)) > HELD_WAL_CHECKPOINT_BYTES) {
          await connection.run(`CHECKPOINT ${ALIAS}`);
        }
        return result;
      } finally {
        if (keep) {
          holders.set(this.path, this);
        } else {
          await this.detach();
        }
      }
    });
  }

  private async attach(connection: DuckDBConnection, readOnly: boolean): Promise<void> {
    // A file is created with small blocks (BLOCK_SIZE); an existing one must be attached without the
    // option (DuckDB refuses a size that differs from the file's), so older files keep 256 KiB blocks.
    const options = readOnly ? ' (READ_ONLY)' : existsSync(this.path) ? '' : ` (BLOCK_SIZE ${BLOCK_SIZE})`;
    const sql = `ATTACH '${this.path.replaceAll("'", "''")}' AS ${ALIAS}${options}`;
    const started = performance.now();
    let pause = 1;
    for (;;) {
      try {
        await connection.run(sql);
        return;
      } catch (error) {
        if (!isLockConflict(error)) throw corruptQueueError(this.path, error) ?? error;
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

/** Size of the file's write-ahead log (0 when there is none). */
async function walBytes(path: string): Promise<number> {
  try {
    return (await stat(`${path}.wal`)).size;
  } catch {
    return 0;
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
