import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  acquireLock,
  LockHeldError,
  type LockInfo,
  LockPathError,
  lockPath,
  readLock,
} from '../../src/queue/index.js';
import { at, tempDataDir } from './helpers.js';

const NOW = at('2025-01-06T14:30:00Z');

/** A pid that certainly belonged to a process that has exited. */
function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', ''], { stdio: 'ignore' });
  if (typeof child.pid !== 'number') throw new Error('could not spawn');
  return child.pid;
}

function writeLock(stateDir: string, name: string, info: Partial<LockInfo>): void {
  const full: LockInfo = {
    name,
    pid: 1,
    hostname: hostname(),
    startedAt: '2025-01-01T00:00:00.000Z',
    command: 'futures collect --loop',
    owner: 'test',
    token: 'stale-token',
    procStart: null,
    ...info,
  };
  writeFileSync(lockPath(stateDir, name), JSON.stringify(full));
}

describe('process locks', () => {
  it('creates the lock file with pid, host, start time and command; a second acquirer gets exit 5 naming the holder', async () => {
    const stateDir = join(tempDataDir(), 'state');
    const handle = await acquireLock(stateDir, 'collect', {
      now: NOW,
      command: 'futures collect --loop',
      releaseOnExit: false,
    });
    const content = JSON.parse(readFileSync(lockPath(stateDir, 'collect'), 'utf8'));
    expect(content).toMatchObject({
      name: 'collect',
      pid: process.pid,
      hostname: hostname(),
      startedAt: '2025-01-06T14:30:00.000Z',
      command: 'futures collect --loop',
    });
    const error = await acquireLock(stateDir, 'collect', { now: NOW, releaseOnExit: false }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(LockHeldError);
    const held = error as LockHeldError;
    expect(held.kind).toBe('busy');
    expect(held.message).toBe(
      `lock "collect" is held by pid ${process.pid} since 2025-01-06T14:30:00.000Z (futures collect --loop)`,
    );
    expect(held.hint).toMatch(/skip this tick/);
    expect(held.holder?.pid).toBe(process.pid);
    // Other names are independent.
    const compact = await acquireLock(stateDir, 'compact', { now: NOW, releaseOnExit: false });
    await compact.release();
    await handle.release();
    expect(existsSync(lockPath(stateDir, 'collect'))).toBe(false);
    const again = await acquireLock(stateDir, 'collect', { now: NOW, releaseOnExit: false });
    await again.release();
    // No temp or guard files are left behind.
    expect(readdirSync(stateDir)).toEqual([]);
  });

  it('a directory where the lock file belongs: exit 2 naming the path and what to do (no stray temp left)', async () => {
    const stateDir = join(tempDataDir(), 'state');
    const path = lockPath(stateDir, 'collect');
    mkdirSync(path, { recursive: true });
    const attempt = acquireLock(stateDir, 'collect', { now: NOW, releaseOnExit: false });
    await expect(attempt).rejects.toBeInstanceOf(LockPathError);
    await expect(acquireLock(stateDir, 'collect', { now: NOW, releaseOnExit: false })).rejects.toThrow(
      `The lock file ${path} is a directory`,
    );
    const error = await readLock(stateDir, 'collect').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LockPathError);
    expect((error as LockPathError).hint).toContain(`mv ${path} ${path}.aside`);
    expect((error as LockPathError).kind).toBe('config');
    expect(readdirSync(stateDir)).toEqual(['collect.lock']);
  });

  it('readLock reports the holder and its state, or null', async () => {
    const stateDir = join(tempDataDir(), 'state');
    expect(await readLock(stateDir, 'collect')).toBeNull();
    const handle = await acquireLock(stateDir, 'collect', {
      now: NOW,
      command: 'futures collect',
      releaseOnExit: false,
    });
    expect(await readLock(stateDir, 'collect')).toMatchObject({
      pid: process.pid,
      state: 'alive',
      command: 'futures collect',
    });
    handle.releaseSync();
    writeLock(stateDir, 'collect', { pid: deadPid() });
    expect((await readLock(stateDir, 'collect'))?.state).toBe('stale');
    writeLock(stateDir, 'collect', { hostname: 'elsewhere.example' });
    expect((await readLock(stateDir, 'collect'))?.state).toBe('unknown');
  });

  it('takes over a lock left by a dead process', async () => {
    const stateDir = join(tempDataDir(), 'state');
    const { mkdirSync } = await import('node:fs');
    mkdirSync(stateDir, { recursive: true });
    const pid = deadPid();
    writeLock(stateDir, 'collect', { pid });
    const handle = await acquireLock(stateDir, 'collect', { now: NOW, releaseOnExit: false });
    expect(handle.tookOverFrom?.pid).toBe(pid);
    expect(JSON.parse(readFileSync(handle.path, 'utf8')).pid).toBe(process.pid);
    await handle.release();
    expect(readdirSync(stateDir)).toEqual([]);
  });

  it.skipIf(!existsSync('/proc/self/stat'))(
    'treats a recycled pid (different process start time) as dead',
    async () => {
      const stateDir = join(tempDataDir(), 'state');
      const { mkdirSync } = await import('node:fs');
      mkdirSync(stateDir, { recursive: true });
      // Our own pid is alive, but the recorded start time belongs to an earlier process with that pid.
      writeLock(stateDir, 'collect', { pid: process.pid, procStart: '1' });
      const handle = await acquireLock(stateDir, 'collect', { now: NOW, releaseOnExit: false });
      expect(handle.tookOverFrom?.procStart).toBe('1');
      await handle.release();
    },
  );

  it('does not take over a lock held on another host, and says how to clear it', async () => {
    const stateDir = join(tempDataDir(), 'state');
    const { mkdirSync } = await import('node:fs');
    mkdirSync(stateDir, { recursive: true });
    writeLock(stateDir, 'collect', { hostname: 'other-host', pid: 4242 });
    const error = await acquireLock(stateDir, 'collect', { now: NOW, releaseOnExit: false }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(LockHeldError);
    expect((error as LockHeldError).message).toMatch(/held by pid 4242 on host other-host since 2025-01-01/);
    expect((error as LockHeldError).hint).toMatch(/another host/);
  });

  it('recovers when a previous taker died holding the takeover guard', async () => {
    const stateDir = join(tempDataDir(), 'state');
    const { mkdirSync } = await import('node:fs');
    mkdirSync(stateDir, { recursive: true });
    writeLock(stateDir, 'collect', { pid: deadPid(), token: 'stale-token' });
    writeFileSync(
      `${lockPath(stateDir, 'collect')}.takeover-stale-token`,
      JSON.stringify({
        name: 'collect',
        pid: deadPid(),
        hostname: hostname(),
        startedAt: 'x',
        token: 'guard-token',
      }),
    );
    const handle = await acquireLock(stateDir, 'collect', { now: NOW, releaseOnExit: false });
    expect(handle.tookOverFrom?.token).toBe('stale-token');
    await handle.release();
    expect(readdirSync(stateDir)).toEqual([]);
  });

  it('release leaves a lock that is no longer ours alone', async () => {
    const stateDir = join(tempDataDir(), 'state');
    const handle = await acquireLock(stateDir, 'collect', { now: NOW, releaseOnExit: false });
    writeLock(stateDir, 'collect', { pid: process.pid, token: 'someone-else' });
    await handle.release();
    expect(existsSync(lockPath(stateDir, 'collect'))).toBe(true);
  });

  // Review finding 23: a garbage or empty lock file made every run exit 5 until someone deleted it. A lock
  // is linked into place whole, so content that is not one has no holder: it is replaced, with a warning.
  it.each([
    ['garbage', 'garbage'],
    ['empty', ''],
    ['half a lock', '{"name":"collect","pid":'],
  ])(
    'a %s lock file is not a lock: status calls it stale and the next acquirer replaces it',
    async (_name, text) => {
      const stateDir = join(tempDataDir(), 'state');
      const { mkdirSync } = await import('node:fs');
      mkdirSync(stateDir, { recursive: true });
      writeFileSync(lockPath(stateDir, 'collect'), text);
      expect((await readLock(stateDir, 'collect'))?.state).toBe('stale');
      const handle = await acquireLock(stateDir, 'collect', { now: NOW, releaseOnExit: false });
      expect(handle.replacedGarbage).toMatch(/collect\.lock held \d+ bytes that are not a lock; replaced it/);
      expect(handle.tookOverFrom).toBeNull();
      expect(JSON.parse(readFileSync(lockPath(stateDir, 'collect'), 'utf8')).token).toBe(handle.info.token);
      // Now a real lock: a second acquirer is refused.
      await expect(
        acquireLock(stateDir, 'collect', { now: NOW, releaseOnExit: false }),
      ).rejects.toBeInstanceOf(LockHeldError);
      await handle.release();
      expect(existsSync(lockPath(stateDir, 'collect'))).toBe(false);
    },
  );
});
