/**
 * Optimistic commits with conflict detection and a bounded retry.
 *
 * A transaction is prepared against `readVersion` and tried at `readVersion + 1`. When another writer
 * has taken that version (put-if-absent answered 'exists'), the winning commits are read and checked
 * against ours, the way delta-rs's conflict checker does:
 * - a winner that changed protocol or metadata conflicts with everything (our files were written for
 *   the old schema); a commit of ours that changes them conflicts with any winner;
 * - a winner carrying our txn appId at a version ≥ ours means this write already landed (an earlier
 *   attempt that "failed" after its link succeeded): report already-committed, never write it twice;
 * - removing a file a winner removed or (re-)added, or adding a path a winner added, conflicts;
 * - anything else (concurrent blind appends) is compatible: retry at the next free version.
 * Conflicts throw DeltaConflictError naming the winning version. Nothing here deletes data files:
 * the caller decides, because only a thrown DeltaConflictError proves the commit did not happen.
 */
import { DeltaConflictError } from '../errors.js';
import { logDirOf, parseCommit } from '../log/log.js';
import { type Action, type CommitInfo, commitFileName } from '../log/types.js';
import { storageFor } from '../storage/index.js';
import { joinLocation, resolveLocation } from '../storage/location.js';

/**
 * Blind appends never conflict, they only lose races for the next version; with several fast writers on
 * a loaded machine (small appends commit in a few milliseconds) 15 attempts could run out.
 */
export const DEFAULT_COMMIT_ATTEMPTS = 40;

export interface CommitPlan {
  /** The table version the actions were prepared against; -1 when creating the table. */
  readVersion: number;
  /** The commit's actions except commitInfo (which is written first, stamped per attempt). */
  actions: Action[];
  commitInfo: CommitInfo;
  /**
   * The fsyncs of the data files the actions add, still running. Awaited after the commit file is staged
   * and before it is linked: the commit never becomes visible ahead of its data, and the two sets of
   * fsyncs overlap instead of running one after the other.
   */
  dataDurable?: Promise<unknown>;
}

export interface CommitOptions {
  /** Total attempts, the first included (default DEFAULT_COMMIT_ATTEMPTS). */
  maxAttempts?: number;
  now?: () => Date;
  /** Uniform [0, 1) source for the backoff jitter. */
  random?: () => number;
  sleep?: (ms: number) => Promise<void>;
  /** Fault injection for tests: runs right after the commit file is linked into place. */
  afterLink?: (version: number) => void | Promise<void>;
}

export type CommitOutcome =
  | { kind: 'committed'; version: number; attempts: number }
  | { kind: 'already-committed'; version: number; attempts: number; appId: string; txnVersion: number };

export type WinnerVerdict =
  | { kind: 'compatible' }
  | { kind: 'already-committed'; appId: string; txnVersion: number }
  | { kind: 'conflict'; reason: string };

/** Percent-decodes a logged path once (malformed escapes are compared as logged). */
export function decodeLoggedPath(logged: string): string {
  try {
    return decodeURIComponent(logged);
  } catch {
    return logged;
  }
}

interface ActionSummary {
  adds: Set<string>;
  removes: Set<string>;
  txns: Map<string, number>;
  changesMetadata: boolean;
  changesProtocol: boolean;
}

function summarize(actions: readonly Action[]): ActionSummary {
  const summary: ActionSummary = {
    adds: new Set(),
    removes: new Set(),
    txns: new Map(),
    changesMetadata: false,
    changesProtocol: false,
  };
  for (const action of actions) {
    if ('add' in action && action.add) summary.adds.add(decodeLoggedPath(action.add.path));
    else if ('remove' in action && action.remove) summary.removes.add(decodeLoggedPath(action.remove.path));
    else if ('txn' in action && action.txn) summary.txns.set(action.txn.appId, action.txn.version);
    else if ('metaData' in action && action.metaData) summary.changesMetadata = true;
    else if ('protocol' in action && action.protocol) summary.changesProtocol = true;
  }
  return summary;
}

function firstShared(a: ReadonlySet<string>, b: ReadonlySet<string>): string | undefined {
  for (const item of a) if (b.has(item)) return item;
  return undefined;
}

/** Decides whether our actions can be committed after a winning commit. Pure. */
export function checkWinner(ours: readonly Action[], winner: readonly Action[]): WinnerVerdict {
  const mine = summarize(ours);
  const theirs = summarize(winner);
  for (const [appId, ourVersion] of mine.txns) {
    const theirVersion = theirs.txns.get(appId);
    if (theirVersion === undefined) continue;
    if (theirVersion >= ourVersion) return { kind: 'already-committed', appId, txnVersion: theirVersion };
    return {
      kind: 'conflict',
      reason: `a concurrent transaction of application '${appId}' committed txn version ${theirVersion}`,
    };
  }
  if (theirs.changesProtocol) return { kind: 'conflict', reason: 'the protocol was changed concurrently' };
  if (theirs.changesMetadata)
    return { kind: 'conflict', reason: 'the table metadata (schema) was changed concurrently' };
  if (mine.changesProtocol || mine.changesMetadata) {
    return {
      kind: 'conflict',
      reason: 'this commit changes metadata or protocol but another commit landed first',
    };
  }
  const deletedTwice = firstShared(mine.removes, theirs.removes);
  if (deletedTwice !== undefined) {
    return { kind: 'conflict', reason: `file ${deletedTwice} was already removed by a concurrent commit` };
  }
  const rewritten = firstShared(mine.removes, theirs.adds);
  if (rewritten !== undefined) {
    return { kind: 'conflict', reason: `file ${rewritten} was re-added by a concurrent commit` };
  }
  const addedTwice = firstShared(mine.adds, theirs.adds) ?? firstShared(mine.adds, theirs.removes);
  if (addedTwice !== undefined) {
    return { kind: 'conflict', reason: `file ${addedTwice} was also written by a concurrent commit` };
  }
  return { kind: 'compatible' };
}

/** One action per line, commitInfo first (in-commit-timestamp convention). */
export function serializeCommit(commitInfo: CommitInfo, actions: readonly Action[]): string {
  return [JSON.stringify({ commitInfo }), ...actions.map((a) => JSON.stringify(a))].join('\n') + '\n';
}

/** Reads `<version>.json`, or undefined when it does not exist (yet). */
export async function readCommitIfExists(tablePath: string, version: number): Promise<Action[] | undefined> {
  const logDir = logDirOf(tablePath);
  const file = joinLocation(logDir, commitFileName(version));
  const text = await storageFor(logDir).readText(file);
  if (text === undefined) return undefined;
  return parseCommit(text, file);
}

function defaultSleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Commits the plan at the first free version after readVersion, re-checking every winning commit.
 * Throws DeltaConflictError on a real conflict or when maxAttempts are used up.
 */
export async function commitTransaction(
  tablePath: string,
  plan: CommitPlan,
  options: CommitOptions = {},
): Promise<CommitOutcome> {
  const root = resolveLocation(tablePath);
  const logDir = logDirOf(root);
  const maxAttempts = options.maxAttempts ?? DEFAULT_COMMIT_ATTEMPTS;
  const now = options.now ?? (() => new Date());
  const random = options.random ?? Math.random;
  const sleep = options.sleep ?? defaultSleep;
  let version = plan.readVersion + 1;
  const commitInfo: CommitInfo = { timestamp: now().getTime(), ...plan.commitInfo };
  // Staged once: on a local disk a retry is only a new link attempt, which keeps the window between
  // reading the winners and claiming the next version tiny.
  const staged = await storageFor(root).stage(logDir, serializeCommit(commitInfo, plan.actions));
  try {
    await plan.dataDurable;
    for (let attempt = 1; attempt <= maxAttempts; attempt++) {
      if ((await staged.putAs(commitFileName(version))) === 'written') {
        await options.afterLink?.(version);
        return { kind: 'committed', version, attempts: attempt };
      }
      // Lost the race: check every commit that got in first, then try right after the last of them.
      for (;;) {
        const winner = await readCommitIfExists(root, version);
        if (!winner) break;
        const verdict = checkWinner(plan.actions, winner);
        if (verdict.kind === 'already-committed') {
          return {
            kind: 'already-committed',
            version,
            attempts: attempt,
            appId: verdict.appId,
            txnVersion: verdict.txnVersion,
          };
        }
        if (verdict.kind === 'conflict') {
          throw new DeltaConflictError(
            `Commit to ${root} conflicts with version ${version}: ${verdict.reason}.`,
            version,
            {
              hint: 'Re-read the table and run the operation again.',
            },
          );
        }
        version++;
      }
      // A small jitter, growing only after repeated losses, breaks lock-step between writers; sleeping
      // longer would just let more commits in ahead of us.
      if (attempt < maxAttempts) await sleep(random() * Math.min(25, 2 ** (attempt - 3)));
    }
  } finally {
    await staged.discard();
  }
  throw new DeltaConflictError(
    `Commit to ${root} gave up after ${maxAttempts} attempts: other writers kept taking the next version (last tried ${version}).`,
    version - 1,
    { hint: 'The table is under heavy concurrent writing; retry the operation.' },
  );
}
