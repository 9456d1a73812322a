/**
 * The queue file as an object. Every QueueOps method is one short session on the file (open, transaction,
 * close; db.ts says why), and `queue.batch(ops => …)` runs several in one session and one transaction.
 * The operations are SessionOps (ops.ts); the vocabulary and the status machine are in types.ts, and the
 * round protocol in docs/round-protocol.md.
 */
import { QueueDatabase } from './db.js';
import type { QueueMemo } from './ops/jobs.js';
import { SessionOps } from './ops.js';
import { validatePolicy } from './policy.js';
import type { OpenQueueOptions, QueueOps, QueuePolicy } from './types.js';

type SessionMethodName = Exclude<keyof QueueOps, 'policy' | 'batch'>;
type SessionMethods = Pick<QueueOps, SessionMethodName>;

/**
 * The methods a Queue runs each in a session of its own: every QueueOps method but batch. The Record type
 * makes the list complete: a QueueOps method missing here does not compile.
 */
const SESSION_METHODS: Record<SessionMethodName, true> = {
  insertJobs: true,
  slotBounds: true,
  lastSlots: true,
  markLate: true,
  claimDue: true,
  complete: true,
  fail: true,
  reclaimExpired: true,
  releaseOwned: true,
  noteUncollected: true,
  beginRound: true,
  claimRound: true,
  finishRound: true,
  abandonRound: true,
  leaveRound: true,
  pendingRounds: true,
  getRound: true,
  enqueueBars: true,
  missedSlots: true,
  markBackfilled: true,
  doneSlotsOfRoundsAbove: true,
  markLost: true,
  restoreDone: true,
  listJobs: true,
  counts: true,
  prune: true,
  archive: true,
  archiveIfDue: true,
};

class QueueFile {
  readonly path: string;
  readonly policy: QueuePolicy;
  private readonly db: QueueDatabase;
  private readonly soleSnapshotWriter: boolean;
  private readonly memo: QueueMemo = {
    lastArchiveAt: null,
    lastSnapshotSlots: null,
    pendingSnapshotFloor: null,
  };

  constructor(options: OpenQueueOptions) {
    validatePolicy(options.policy);
    this.db = new QueueDatabase(options.path, { busyTimeoutMs: options.busyTimeoutMs ?? 5000 });
    this.path = this.db.path;
    this.policy = { ...options.policy };
    this.soleSnapshotWriter = options.soleSnapshotWriter ?? false;
  }

  /** Runs fn with all calls in ONE session (one transaction, one file open). */
  async batch<T>(fn: (ops: QueueOps) => Promise<T>): Promise<T> {
    const learned: Partial<QueueMemo> = {};
    const result = await this.db.write((tx) =>
      fn(
        new SessionOps(tx, {
          policy: this.policy,
          memo: this.memo,
          learned,
          soleSnapshotWriter: this.soleSnapshotWriter,
        }),
      ),
    );
    Object.assign(this.memo, learned);
    return result;
  }

  /** Keeps the file attached between this object's sessions until release() (db.ts: hold). */
  hold(): void {
    this.db.hold();
  }

  /** Detaches the file if it is held; call before waiting on anything but the next session. */
  release(): Promise<void> {
    return this.db.release();
  }

  /** Releases the in-memory DuckDB instance (the file is detached with it). */
  close(): void {
    this.db.close();
  }
}

// queue.x(…) is queue.batch((ops) => ops.x(…)) for every session method.
for (const name of Object.keys(SESSION_METHODS) as SessionMethodName[]) {
  Object.defineProperty(QueueFile.prototype, name, {
    value(this: QueueFile, ...args: unknown[]): Promise<unknown> {
      return this.batch((ops): Promise<unknown> => Reflect.apply(ops[name], ops, args));
    },
    writable: true,
    configurable: true,
  });
}

/** The queue file: QueueOps, each method one session, plus hold/release/close. */
export type Queue = QueueFile & SessionMethods;
export const Queue = QueueFile as new (options: OpenQueueOptions) => Queue;

/** Opens (creating or migrating) the queue file. Throws QueueSchemaError for a newer or foreign file. */
export async function openQueue(options: OpenQueueOptions): Promise<Queue> {
  const queue = new Queue(options);
  try {
    await queue.batch(async () => undefined);
  } catch (error) {
    queue.close();
    throw error;
  }
  return queue;
}
