/**
 * Real processes against real files. The children are plain .mjs scripts importing the BUILT code
 * (dist/queue), so build first: npx tsc -p tsconfig.build.json --noEmitOnError false.
 * Every wait is for a message from a child (generous timeouts), never a sleep.
 */
import { type ChildProcessWithoutNullStreams, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  acquireLock,
  lockPath,
  openQueue,
  QueueBusyError,
  queuePaths,
  readQueueStatus,
} from '../../src/queue/index.js';
import { at, POLICY, tempDataDir } from './helpers.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const FIXTURES = fileURLToPath(new URL('./fixtures/', import.meta.url));
const MESSAGE_TIMEOUT_MS = 60_000;

beforeAll(() => {
  const built = join(ROOT, 'dist/queue/index.js');
  if (!existsSync(built)) {
    throw new Error(
      `${built} is missing: run \`npx tsc -p tsconfig.build.json --noEmitOnError false\` first`,
    );
  }
  const srcDir = join(ROOT, 'src/queue');
  const sources = readdirSync(srcDir, { recursive: true, encoding: 'utf8' });
  for (const file of sources.filter((f) => f.endsWith('.ts'))) {
    const js = join(ROOT, 'dist/queue', file.replace(/\.ts$/, '.js'));
    if (!existsSync(js) || statSync(js).mtimeMs < statSync(join(srcDir, file)).mtimeMs) {
      throw new Error(
        `${js} is older than src/queue/${file}: rebuild with \`npx tsc -p tsconfig.build.json --noEmitOnError false\``,
      );
    }
  }
});

type Message = Record<string, unknown>;

interface Child {
  process: ChildProcessWithoutNullStreams;
  pid: number;
  next(): Promise<Message>;
  send(command: string): void;
  exited: Promise<number | null>;
}

const children: Child[] = [];
afterEach(() => {
  for (const child of children.splice(0)) {
    if (child.process.exitCode === null && child.process.signalCode === null) child.process.kill('SIGKILL');
  }
});

function spawnChild(script: string, args: string[]): Child {
  const proc = spawn(process.execPath, [join(FIXTURES, script), ...args], {
    cwd: ROOT,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const messages: Message[] = [];
  const waiters: Array<(m: Message) => void> = [];
  let stderr = '';
  proc.stderr.on('data', (chunk) => {
    stderr += String(chunk);
  });
  createInterface({ input: proc.stdout }).on('line', (line) => {
    const message = JSON.parse(line) as Message;
    const waiter = waiters.shift();
    if (waiter) waiter(message);
    else messages.push(message);
  });
  const exited = new Promise<number | null>((resolve) => proc.on('exit', (code) => resolve(code)));
  const child: Child = {
    process: proc,
    pid: proc.pid ?? -1,
    exited,
    send: (command) => proc.stdin.write(`${command}\n`),
    next: () => {
      const queued = messages.shift();
      if (queued) return Promise.resolve(queued);
      return new Promise<Message>((resolve, reject) => {
        const timer = setTimeout(
          () =>
            reject(new Error(`no message from ${script} within ${MESSAGE_TIMEOUT_MS} ms; stderr: ${stderr}`)),
          MESSAGE_TIMEOUT_MS,
        );
        waiters.push((m) => {
          clearTimeout(timer);
          if (typeof m.fatal === 'string') reject(new Error(m.fatal));
          else resolve(m);
        });
        void exited.then((code) => {
          clearTimeout(timer);
          reject(new Error(`${script} exited (${code}) before sending a message; stderr: ${stderr}`));
        });
      });
    },
  };
  children.push(child);
  return child;
}

/** Starts n children, waits until each is ready, then releases them together. */
async function startTogether(n: number, script: string, args: string[]): Promise<Child[]> {
  const started = Array.from({ length: n }, () => spawnChild(script, args));
  for (const child of started) expect(await child.next()).toMatchObject({ ready: true });
  for (const child of started) child.send('go');
  return started;
}

function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', ''], { stdio: 'ignore' });
  return child.pid ?? -1;
}

describe('collector lock across processes', () => {
  it('two (and three) processes acquiring at once: exactly one wins, the others get exit 5 naming the winner', async () => {
    for (const n of [2, 2, 3, 3]) {
      const stateDir = join(tempDataDir(), 'state');
      const racers = await startTogether(n, 'lock-worker.mjs', [stateDir, 'collect']);
      const results = await Promise.all(racers.map((c) => c.next()));
      const winners = results.filter((r) => r.ok === true);
      expect(winners).toHaveLength(1);
      const winnerPid = winners[0]!.pid;
      for (const loser of results.filter((r) => r.ok === false)) {
        expect(loser.error).toMatchObject({ name: 'LockHeldError', kind: 'busy', holderPid: winnerPid });
        expect((loser.error as { message: string }).message).toMatch(
          new RegExp(`held by pid ${winnerPid} since \\d{4}-\\d\\d-\\d\\dT.*\\(lock-worker ${winnerPid}\\)`),
        );
      }
      // The winner exits without an explicit release: its exit handler removes the lock.
      for (const child of racers) child.send('exit');
      await Promise.all(racers.map((c) => c.exited));
      expect(existsSync(lockPath(stateDir, 'collect'))).toBe(false);
    }
  });

  it('a stale lock from a dead pid is taken over by exactly one of several racing processes', async () => {
    for (let trial = 0; trial < 4; trial++) {
      const stateDir = join(tempDataDir(), 'state');
      mkdirSync(stateDir, { recursive: true });
      const dead = deadPid();
      writeFileSync(
        lockPath(stateDir, 'collect'),
        JSON.stringify({
          name: 'collect',
          pid: dead,
          hostname: hostname(),
          startedAt: '2025-01-01T00:00:00.000Z',
          token: `stale-${trial}`,
        }),
      );
      const racers = await startTogether(3, 'lock-worker.mjs', [stateDir, 'collect']);
      const results = await Promise.all(racers.map((c) => c.next()));
      const winners = results.filter((r) => r.ok === true);
      expect(winners).toHaveLength(1);
      expect(winners[0]!.tookOverFrom).toBe(dead);
      for (const loser of results.filter((r) => r.ok === false)) {
        expect(loser.error).toMatchObject({
          name: 'LockHeldError',
          kind: 'busy',
          holderPid: winners[0]!.pid,
        });
      }
      for (const child of racers) child.send('release');
      await Promise.all(racers.map((c) => c.exited));
      expect(readdirSync(stateDir)).toEqual([]);
    }
  });
});

describe('queue database across processes', () => {
  it('concurrent claimers in two processes never claim the same slot, and together claim all', async () => {
    const dataDir = tempDataDir();
    const path = queuePaths(dataDir).queueDb;
    const queue = await openQueue({ path, policy: POLICY });
    const t0 = at('2025-01-06T14:00:00Z');
    const slots = Array.from({ length: 150 }, (_, i) => ({
      kind: 'snapshot' as const,
      symbol: ['ES', 'NQ', 'RTY'][i % 3]!,
      slotTs: new Date(t0.getTime() + Math.floor(i / 3) * 60_000),
      status: 'pending' as const,
    }));
    const { inserted } = await queue.insertJobs(slots, { now: t0 });
    queue.close();
    const claimers = [
      ...(await startTogether(1, 'claim-worker.mjs', [path, 'a', '2025-01-06T16:00:00Z'])),
      ...(await startTogether(1, 'claim-worker.mjs', [path, 'b', '2025-01-06T16:00:00Z'])),
    ];
    const results = await Promise.all(claimers.map((c) => c.next()));
    for (const r of results) expect(r).toMatchObject({ ok: true });
    const [a, b] = results.map((r) => r.ids as number[]);
    const overlap = a!.filter((id) => b!.includes(id));
    expect(overlap).toEqual([]);
    expect([...a!, ...b!].sort((x, y) => x - y)).toEqual(inserted);
    const after = await openQueue({ path, policy: POLICY });
    expect((await after.counts()).byStatus.done).toBe(150);
    after.close();
  });

  it('futures status reads the queue while a collector-like writer hammers it', async () => {
    const dataDir = tempDataDir();
    const path = queuePaths(dataDir).queueDb;
    (await openQueue({ path, policy: POLICY })).close();
    const writer = spawnChild('writer-loop.mjs', [path]);
    expect(await writer.next()).toMatchObject({ ready: true });
    expect(await writer.next()).toMatchObject({ warm: true });
    let reads = 0;
    for (let i = 0; i < 15; i++) {
      const status = await readQueueStatus({
        dataDir,
        now: at('2025-01-07T00:00:00Z'),
        symbols: ['ES'],
        intervalSeconds: 60,
        maxLatenessSeconds: 300,
        busyTimeoutMs: 30_000,
      });
      expect(status.exists).toBe(true);
      reads += 1;
    }
    writer.send('stop');
    const result = await writer.next();
    expect(result).toMatchObject({ ok: true });
    expect(reads).toBe(15);
    expect(result.sessions as number).toBeGreaterThanOrEqual(40);
  });

  it('a writer that holds the file between back-to-back sessions still lets status in (every ~2 s), and loses nothing when killed', async () => {
    const dataDir = tempDataDir();
    const path = queuePaths(dataDir).queueDb;
    (await openQueue({ path, policy: POLICY })).close();
    const writer = spawnChild('writer-loop.mjs', [path, 'hold']);
    expect(await writer.next()).toMatchObject({ ready: true });
    expect(await writer.next()).toMatchObject({ warm: true });
    const read = () =>
      readQueueStatus({
        dataDir,
        now: at('2025-01-07T00:00:00Z'),
        symbols: ['ES'],
        intervalSeconds: 60,
        maxLatenessSeconds: 300,
        busyTimeoutMs: 30_000,
      });
    // Each read waits at most for the holder's next gap (MAX_HOLD_MS), whatever the machine's speed.
    for (let i = 0; i < 3; i++) expect((await read()).exists).toBe(true);
    writer.process.kill('SIGKILL');
    await writer.exited;
    // Killed while holding: the next opener replays the WAL; every round is either finished or still begun.
    const after = await openQueue({ path, policy: POLICY });
    const rounds = await after.batch(async (ops) => {
      const open = await ops.pendingRounds();
      const jobs = await ops.listJobs({ kind: 'snapshot' });
      return { open, jobs };
    });
    after.close();
    expect(rounds.open.length).toBeLessThanOrEqual(1);
    const running = rounds.jobs.filter((job) => job.status === 'running');
    expect(running.map((job) => job.roundSeq)).toEqual(
      rounds.open.flatMap((r) => r.slotIds.map(() => r.roundSeq)),
    );
    expect(rounds.jobs.filter((job) => job.status === 'done').length).toBeGreaterThanOrEqual(39);
    expect(new Set(rounds.jobs.map((job) => job.slotTs.getTime())).size).toBe(rounds.jobs.length);
  });

  it('a process that keeps the file open makes others wait, then fail with exit 5 naming its pid and command', async () => {
    const dataDir = tempDataDir();
    const { queueDb, stateDir } = queuePaths(dataDir);
    const queue = await openQueue({ path: queueDb, policy: POLICY, busyTimeoutMs: 300 });
    const holder = spawnChild('hold-db.mjs', [queueDb]);
    expect(await holder.next()).toMatchObject({ ready: true });
    // The holder also owns the collect lock (as a collector would): the message names its command.
    writeFileSync(
      lockPath(stateDir, 'collect'),
      JSON.stringify({
        name: 'collect',
        pid: holder.pid,
        hostname: hostname(),
        startedAt: '2025-01-06T14:00:00.000Z',
        command: 'futures collect --loop',
        token: 't',
      }),
    );
    const error = await queue.counts().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(QueueBusyError);
    expect((error as QueueBusyError).kind).toBe('busy');
    expect((error as QueueBusyError).holderPid).toBe(holder.pid);
    expect((error as Error).message).toBe(
      `queue database ${queueDb} stayed locked by pid ${holder.pid} (futures collect --loop since 2025-01-06T14:00:00.000Z) for 300 ms`,
    );
    // Even a read-only reader is locked out by a read-write holder (the DuckDB fact this design is built around).
    await expect(
      readQueueStatus({
        dataDir,
        now: at('2025-01-07T00:00:00Z'),
        symbols: ['ES'],
        intervalSeconds: 60,
        maxLatenessSeconds: 300,
        busyTimeoutMs: 200,
      }),
    ).rejects.toBeInstanceOf(QueueBusyError);
    holder.send('release');
    expect(await holder.next()).toMatchObject({ released: true });
    expect((await queue.counts()).total).toBe(0);
    queue.close();
    holder.send('exit');
    await holder.exited;
  });

  it('a collector lock held by a process is visible to status, and the queue file is free between operations', async () => {
    const dataDir = tempDataDir();
    const { stateDir, queueDb } = queuePaths(dataDir);
    const [worker] = await startTogether(1, 'lock-worker.mjs', [stateDir, 'collect']);
    expect(await worker!.next()).toMatchObject({ ok: true });
    const queue = await openQueue({ path: queueDb, policy: POLICY });
    const status = await readQueueStatus({
      dataDir,
      now: at('2025-01-07T00:00:00Z'),
      symbols: ['ES'],
      intervalSeconds: 60,
      maxLatenessSeconds: 300,
    });
    expect(status.collectorLock).toMatchObject({ pid: worker!.pid, state: 'alive' });
    queue.close();
    worker!.send('release');
    await worker!.exited;
    // In-process second acquisition after the child released it.
    const handle = await acquireLock(stateDir, 'collect', {
      now: at('2025-01-07T00:00:00Z'),
      releaseOnExit: false,
    });
    await handle.release();
  });
});
