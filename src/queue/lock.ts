/**
 * Process locks: "one collector at a time", "one compactor at a time".
 *
 * A lock is the file `<stateDir>/<name>.lock` holding JSON (pid, hostname, start time, command, a random
 * token, and on Linux the holder's kernel start time so a recycled pid is not mistaken for the holder).
 *
 * Hazards and how they are handled:
 * - Atomic creation: the content is written to a private temp file first and then hard-linked to the
 *   lock name. link(2) fails with EEXIST when the name exists, so exactly one creator wins and a
 *   reader never sees a half-written lock.
 * - Stale locks (holder dead on this host: kill(pid, 0) → ESRCH, or /proc start time differs): taken
 *   over automatically. Two processes taking over the same stale lock race through a guard file
 *   `<name>.lock.takeover-<staleToken>`, itself created with link(2); only its creator may touch the
 *   stale lock: it re-reads it, checks the token is still the stale one, and replaces it with its own
 *   in one rename(2) (no moment without a lock, so a fresh acquirer cannot slip in). The loser loops,
 *   then sees the winner's live lock and gets LockHeldError naming the winner. A guard left by a
 *   taker that died is itself taken over the same way (bounded depth).
 * - A holder on another host cannot be probed: treated as alive (the message says how to clear it).
 * - release() only deletes the file when it still carries this holder's token.
 */
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync, unlinkSync } from 'node:fs';
import { link, mkdir, readFile, rename, unlink, writeFile } from 'node:fs/promises';
import { hostname as osHostname } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { BusyError, ConfigError, type UserErrorOptions } from '../core/errors.js';

export interface LockInfo {
  name: string;
  pid: number;
  hostname: string;
  /** ISO-8601 UTC: when the holder took the lock. */
  startedAt: string;
  command: string;
  owner: string;
  /** Random; identifies this acquisition (release and takeover compare it). */
  token: string;
  /** Linux /proc/<pid>/stat start time in clock ticks; null elsewhere. */
  procStart: string | null;
}

/** A process lock (`collect`, `compact`, `backfill`) is held by a live process (kind 'busy'). */
export class LockHeldError extends BusyError {
  constructor(
    message: string,
    readonly lockName: string,
    /** The holder as read from the lock file; null when the file could not be read. */
    readonly holder: LockInfo | null,
    options: UserErrorOptions = {},
  ) {
    super(message, options);
  }
}

/** 'alive': the holder runs; 'stale': it is dead (the next acquirer takes over); 'unknown': another host. */
export type HolderState = 'alive' | 'stale' | 'unknown';

export interface LockStatus extends LockInfo {
  state: HolderState;
  path: string;
}

export interface AcquireLockOptions {
  /** The time recorded as the holder's start time. */
  now: Date;
  /** Free text naming the holder (e.g. "collect:<runId>"); defaults to "<hostname>:<pid>". */
  owner?: string;
  /** The command line shown to whoever finds the lock held. */
  command?: string;
  /** Overrides for tests; default the current process. */
  pid?: number;
  hostname?: string;
  /** Delete the lock when the process exits (default true). */
  releaseOnExit?: boolean;
  /** How long to keep retrying while another process is busy taking over a stale lock (default 5000). */
  takeoverWaitMs?: number;
}

export interface LockHandle {
  readonly path: string;
  readonly info: LockInfo;
  /** The stale holder this acquisition replaced, if any. */
  readonly tookOverFrom: LockInfo | null;
  /**
   * What the lock file held when it was not a lock (garbage, empty: e.g. a disk that filled while a
   * foreign tool wrote it): replaced like a stale lock; the caller warns. Null otherwise.
   */
  readonly replacedGarbage: string | null;
  release(): Promise<void>;
  releaseSync(): void;
}

export function lockPath(stateDir: string, name: string): string {
  return join(stateDir, `${name}.lock`);
}

const MAX_GUARD_DEPTH = 3;

/** Takes the lock or throws LockHeldError (exit 5) naming the holder's pid, host, start time and command. */
export async function acquireLock(
  stateDir: string,
  name: string,
  options: AcquireLockOptions,
): Promise<LockHandle> {
  if (!/^[A-Za-z0-9_.-]+$/.test(name)) throw new Error(`invalid lock name ${JSON.stringify(name)}`);
  await mkdir(stateDir, { recursive: true });
  const pid = options.pid ?? process.pid;
  const host = options.hostname ?? osHostname();
  const info: LockInfo = {
    name,
    pid,
    hostname: host,
    startedAt: options.now.toISOString(),
    command: options.command ?? process.argv.slice(1).join(' '),
    owner: options.owner ?? `${host}:${pid}`,
    token: randomBytes(12).toString('hex'),
    procStart: readProcStart(pid),
  };
  const path = lockPath(stateDir, name);
  const replaced = await acquireExclusive(path, info, host, options.takeoverWaitMs ?? 5000, 0);
  const tookOverFrom = replaced && 'garbage' in replaced ? null : replaced;
  const replacedGarbage =
    replaced && 'garbage' in replaced
      ? `${path} held ${replaced.garbage} bytes that are not a lock; replaced it`
      : null;

  let released = false;
  const onExit = () => releaseSync();
  function releaseSync(): void {
    if (released) return;
    released = true;
    process.removeListener('exit', onExit);
    try {
      const current = parseLock(readFileSync(path, 'utf8'));
      if (current?.token === info.token) unlinkSync(path);
    } catch {
      // Already gone: nothing to release.
    }
  }
  if (options.releaseOnExit ?? true) process.on('exit', onExit);
  return {
    path,
    info,
    tookOverFrom,
    replacedGarbage,
    release: async () => releaseSync(),
    releaseSync,
  };
}

/** The current holder of a lock, or null when nobody holds it. For `futures status`. */
export async function readLock(
  stateDir: string,
  name: string,
  options: { hostname?: string } = {},
): Promise<LockStatus | null> {
  const path = lockPath(stateDir, name);
  const info = await readLockFile(path);
  if (info === 'missing') return null;
  if ('garbage' in info) {
    // Not a lock (locks are linked into place whole): the next acquirer replaces it.
    return {
      name,
      pid: 0,
      hostname: '',
      startedAt: '',
      command: '',
      owner: '',
      token: info.token,
      procStart: null,
      state: 'stale',
      path,
    };
  }
  return { ...info, state: holderState(info, options.hostname ?? osHostname()), path };
}

/** Whether the holder recorded in a lock still runs (probe only works on the same host). */
export function holderState(info: LockInfo, localHostname: string): HolderState {
  if (info.hostname !== localHostname) return 'unknown';
  try {
    process.kill(info.pid, 0);
  } catch (error) {
    if (errnoOf(error) === 'ESRCH') return 'stale';
    // EPERM: the pid exists but belongs to another user; fall through to the start-time check.
  }
  if (info.procStart !== null) {
    const current = readProcStart(info.pid);
    if (current !== null && current !== info.procStart) return 'stale';
  }
  return 'alive';
}

async function acquireExclusive(
  path: string,
  info: LockInfo,
  localHostname: string,
  waitMs: number,
  depth: number,
): Promise<LockInfo | Garbage | null> {
  const deadline = Date.now() + waitMs;
  let pause = 2;
  for (;;) {
    if (await tryCreate(path, info)) return null;
    const current = await readLockFile(path);
    if (current === 'missing') continue;
    // A lock is linked into place whole, so content that is not one is no holder: stale.
    const state = 'garbage' in current ? 'stale' : holderState(current, localHostname);
    if (state !== 'stale' && !('garbage' in current)) throw heldError(path, current, state);

    // Stale: only the process that creates the guard for this exact stale token may delete it.
    const guardPath = `${path}.takeover-${current.token}`;
    let guarded = false;
    if (depth < MAX_GUARD_DEPTH) {
      try {
        await acquireExclusive(
          guardPath,
          { ...info, token: randomBytes(12).toString('hex') },
          localHostname,
          0,
          depth + 1,
        );
        guarded = true;
      } catch (error) {
        if (!(error instanceof LockHeldError)) throw error;
      }
    }
    if (guarded) {
      try {
        const again = await readLockFile(path);
        if (again !== 'missing' && again.token === current.token) {
          // Nobody else can change a lock carrying this stale token while we hold its guard (creators need
          // the name to be free, takers need the guard), so replacing it in one rename leaves no gap.
          await replaceWith(path, info);
          return current;
        }
      } finally {
        await unlink(guardPath).catch(ignoreEnoent);
      }
      continue;
    }
    // Someone else is taking over this stale lock: wait for its outcome.
    if (Date.now() >= deadline) {
      throw new LockHeldError(
        `lock "${info.name}" is being taken over from ${'garbage' in current ? 'a damaged lock file' : `dead pid ${current.pid}`} by another process`,
        info.name,
        'garbage' in current ? null : current,
        { hint: 'Retry in a moment.' },
      );
    }
    await new Promise((resolve) => setTimeout(resolve, pause));
    pause = Math.min(pause * 2, 50);
  }
}

async function tryCreate(path: string, info: LockInfo): Promise<boolean> {
  const temp = `${path}.${info.pid}.${randomBytes(6).toString('hex')}.tmp`;
  await writeFile(temp, `${JSON.stringify(info)}\n`, { flag: 'wx', mode: 0o644 });
  try {
    await link(temp, path);
    return true;
  } catch (error) {
    if (errnoOf(error) === 'EEXIST') return false;
    throw error;
  } finally {
    await unlink(temp).catch(ignoreEnoent);
  }
}

async function replaceWith(path: string, info: LockInfo): Promise<void> {
  const temp = `${path}.${info.pid}.${randomBytes(6).toString('hex')}.tmp`;
  await writeFile(temp, `${JSON.stringify(info)}\n`, { flag: 'wx', mode: 0o644 });
  try {
    await rename(temp, path);
  } catch (error) {
    await unlink(temp).catch(ignoreEnoent);
    throw error;
  }
}

function heldError(path: string, holder: LockInfo, state: HolderState): LockHeldError {
  const where = state === 'unknown' ? ` on host ${holder.hostname}` : '';
  const message =
    `lock "${holder.name}" is held by pid ${holder.pid}${where} since ${holder.startedAt}` +
    (holder.command ? ` (${holder.command})` : '');
  const hint =
    state === 'unknown'
      ? `The holder runs on another host and cannot be checked from here; if it is gone, delete ${path}.`
      : `Another ${holder.name} process is running; skip this tick. If pid ${holder.pid} is not a futures process, delete ${path}.`;
  return new LockHeldError(message, holder.name, holder, { hint });
}

/** A directory where a lock file belongs (exit 2): no lock can be taken or read until it is moved. */
export class LockPathError extends ConfigError {
  override readonly code: string = 'lock-path';
}

function lockIsDirectoryError(path: string, cause: unknown): LockPathError {
  return new LockPathError(`The lock file ${path} is a directory, so no lock can be taken or read there.`, {
    cause,
    hint: `Nothing of ours makes that directory: look inside, move it out of the way (mv ${path} ${path}.aside) and run again.`,
  });
}

/** A lock file whose content is not a lock; `token` (a hash of the content) guards its takeover. */
interface Garbage {
  garbage: number;
  token: string;
}

async function readLockFile(path: string): Promise<LockInfo | Garbage | 'missing'> {
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (error) {
    if (errnoOf(error) === 'ENOENT') return 'missing';
    // Node's EISDIR from a read names no path: say which lock it is and what to do.
    if (errnoOf(error) === 'EISDIR') throw lockIsDirectoryError(path, error);
    throw error;
  }
  const lock = parseLock(bytes.toString('utf8'));
  if (lock) return lock;
  return {
    garbage: bytes.length,
    token: `garbage-${createHash('sha256').update(bytes).digest('hex').slice(0, 24)}`,
  };
}

const lockFileSchema = z.object({
  name: z.string(),
  pid: z.number().int().positive(),
  hostname: z.string(),
  startedAt: z.string(),
  command: z.string().default(''),
  owner: z.string().default(''),
  token: z.string().min(1),
  procStart: z.string().nullable().default(null),
});

function parseLock(text: string): LockInfo | null {
  try {
    const parsed = lockFileSchema.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}

/** Field 22 of /proc/<pid>/stat (start time in clock ticks since boot), or null when unavailable. */
function readProcStart(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may contain spaces and parentheses: count fields after the last ')'.
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return rest[19] ?? null;
  } catch {
    return null;
  }
}

function errnoOf(error: unknown): string | undefined {
  return error instanceof Error && 'code' in error && typeof error.code === 'string' ? error.code : undefined;
}

function ignoreEnoent(error: unknown): void {
  if (errnoOf(error) !== 'ENOENT') throw error;
}
