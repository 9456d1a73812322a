/**
 * Repair: restores what can be restored of a damaged table, from copies the table directory still
 * holds, and never deletes anything. Planned first (read-only), then applied as one commit.
 *
 * What it restores:
 * - metadata: when the latest metaData gives column types or partition columns the live files do not
 *   have, and an earlier metaData of the log fits every live file, that one is committed again;
 * - a live file that is gone (e.g. one character of its add path damaged): an unreferenced file in the
 *   table with the logged size and the same content (the add's content hash when it has one, else the
 *   same row count and stats bounds) is added in its place;
 * - a live file that is gone or damaged and was written by a rewrite (OPTIMIZE: dataChange=false
 *   removes and adds in one commit): when the files that rewrite removed are all still present and
 *   sound and hold as many rows, they are added back and the rewrite's outputs of that partition removed;
 * - a sound live file whose min/max stats do not hold (reads skipping on them miss its rows): it is
 *   added again with the stats its content gives.
 * Files the repair takes out of the table because they are damaged are moved under `_repair/` (a
 * hidden directory no reader or VACUUM looks into), so even they stay on disk.
 */

import { mkdir, rename, stat } from 'node:fs/promises';
import path from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import { withConnection } from '../duckdb.js';
import { DeltaLogCorruptError } from '../errors.js';
import { type LogListing, listLog, readCommit } from '../log/log.js';
import { decodeAddPath, resolveDataFile } from '../log/paths.js';
import { assertNoDeletionVectors } from '../log/protocol.js';
import { liveFileOf } from '../log/replay.js';
import { loadSnapshotFromListing } from '../log/snapshot.js';
import type { Action, AddAction, LiveFile, Metadata, RemoveAction, Snapshot } from '../log/types.js';
import { parseSchemaString } from '../read/schema.js';
import { assertLocalTable } from '../storage/location.js';
import { type CommitOptions, commitTransaction } from '../write/commit.js';
import { CONTENT_HASH_TAG, sha256File } from '../write/content-hash.js';
import { engineInfo } from '../write/engine.js';
import { encodeAddPath } from '../write/stats.js';
import { tagsWithStats, trueStats } from './true-stats.js';
import { listDataFiles } from './vacuum.js';
import { checkDataFiles, checkEmptyCommits } from './verify.js';
import { firstLine, type VerifyProblem } from './verify-problems.js';

export type RepairStepKind =
  | 'restore-metadata'
  | 're-add-file'
  | 'restore-rewritten-inputs'
  | 'rewrite-stats';

export interface RepairStep {
  kind: RepairStepKind;
  message: string;
  /** Paths (decoded, as logged) taken out of the table. */
  removed: string[];
  /** Paths (relative to the table root) put back into the table. */
  added: string[];
}

export interface RepairPlan {
  tablePath: string;
  /** The version the plan was made against; undefined when the log does not replay. */
  version: number | undefined;
  /** What was wrong before the repair. */
  problems: VerifyProblem[];
  steps: RepairStep[];
  /** Problems no step repairs (restore those from a backup). */
  unrepaired: VerifyProblem[];
  /** Damaged files the repair takes out of the table: moved under `_repair/` after the commit. */
  quarantine: string[];
  actions: Action[];
}

export interface RepairResult extends RepairPlan {
  applied: boolean;
  /** The commit written, if any. */
  commitVersion: number | undefined;
  /** Where the damaged files went (relative to the table root). */
  quarantined: string[];
  /** Problems left after the repair (verify's data-file checks on the new version). */
  problemsAfter: VerifyProblem[];
}

export interface RepairOptions {
  connection?: DuckDBConnection | undefined;
  now?: (() => Date) | undefined;
  commit?: CommitOptions | undefined;
}

export const REPAIR_DIR = '_repair';

/** Problems that mean a live file's bytes are not what the log describes. */
const FILE_DAMAGE = new Set([
  'missing-file',
  'size-mismatch',
  'unreadable-file',
  'row-count-mismatch',
  'hash-mismatch',
  'page-crc-mismatch',
  'schema-mismatch',
]);
const METADATA_DAMAGE = new Set(['schema-mismatch', 'partition-mismatch']);

async function problemsOf(connection: DuckDBConnection, snapshot: Snapshot): Promise<VerifyProblem[]> {
  const problems: VerifyProblem[] = [];
  // Deep: a file whose bytes changed (content hash, page CRC) is damaged too.
  await checkDataFiles(connection, snapshot, problems, true);
  return problems;
}

function withFiles(snapshot: Snapshot, files: readonly LiveFile[]): Snapshot {
  return { ...snapshot, files: new Map(files.map((f) => [f.add.path, f])) };
}

function withMetadata(snapshot: Snapshot, metadata: Metadata): Snapshot {
  return {
    ...snapshot,
    metadata,
    schema: parseSchemaString(metadata.schemaString),
    partitionColumns: metadata.partitionColumns,
  };
}

function removeOf(add: AddAction, deletionTimestamp: number): RemoveAction {
  const remove: RemoveAction = {
    path: add.path,
    deletionTimestamp,
    dataChange: false,
    extendedFileMetadata: true,
    partitionValues: add.partitionValues,
    size: add.size,
  };
  if (add.stats) remove.stats = add.stats;
  if (add.tags) remove.tags = add.tags;
  return remove;
}

/** Every metaData the JSON commits still hold, newest first. */
async function metadataHistory(listing: LogListing, upTo: number): Promise<Metadata[]> {
  const out: Metadata[] = [];
  for (const version of listing.commitVersions) {
    if (version > upTo) break;
    for (const action of await readCommit(listing.tablePath, version)) {
      if ('metaData' in action && action.metaData) out.unshift(action.metaData);
    }
  }
  return out;
}

interface Planner {
  connection: DuckDBConnection;
  listing: LogListing;
  snapshot: Snapshot;
  now: number;
  steps: RepairStep[];
  actions: Action[];
  quarantine: string[];
  /** Logged paths already handled by a step. */
  handled: Set<string>;
}

async function planMetadata(p: Planner, problems: readonly VerifyProblem[]): Promise<VerifyProblem[]> {
  if (!problems.some((x) => METADATA_DAMAGE.has(x.kind))) return [...problems];
  const current = JSON.stringify([p.snapshot.metadata.schemaString, p.snapshot.metadata.partitionColumns]);
  const tried = new Set([current]);
  for (const candidate of await metadataHistory(p.listing, p.snapshot.version)) {
    const key = JSON.stringify([candidate.schemaString, candidate.partitionColumns]);
    if (tried.has(key)) continue;
    tried.add(key);
    let variant: Snapshot;
    try {
      variant = withMetadata(p.snapshot, candidate);
    } catch {
      continue;
    }
    const left = await problemsOf(p.connection, variant);
    if (left.some((x) => METADATA_DAMAGE.has(x.kind))) continue;
    const metaData: Metadata = {
      ...p.snapshot.metadata,
      schemaString: candidate.schemaString,
      partitionColumns: candidate.partitionColumns,
    };
    p.actions.push({ metaData });
    p.steps.push({
      kind: 'restore-metadata',
      message: `commit again an earlier schema/partitioning of the table that every live file fits (partition columns [${candidate.partitionColumns.join(', ')}])`,
      removed: [],
      added: [],
    });
    p.snapshot = variant;
    return left;
  }
  return [...problems];
}

/** Unreferenced files of the table with the size of `file` that hold its content. */
async function matchingOrphans(p: Planner, file: LiveFile, orphans: readonly string[]): Promise<string[]> {
  const root = p.snapshot.tablePath;
  const matches: string[] = [];
  const hash = file.add.tags?.[CONTENT_HASH_TAG];
  for (const relative of orphans) {
    const absolute = resolveDataFile(root, relative);
    const info = await stat(absolute).catch(() => undefined);
    if (info?.size !== file.add.size) continue;
    if (hash !== undefined) {
      if ((await sha256File(absolute)) === hash) matches.push(relative);
      continue;
    }
    if (file.stats?.numRecords === undefined) continue;
    const candidate = liveFileOf({ ...file.add, path: encodeAddPath(relative) });
    if ((await problemsOf(p.connection, withFiles(p.snapshot, [candidate]))).length === 0) {
      matches.push(relative);
    }
  }
  return matches;
}

async function planReAdd(p: Planner, file: LiveFile, orphans: string[]): Promise<boolean> {
  const matches = await matchingOrphans(p, file, orphans);
  if (matches.length !== 1) return false;
  const relative = matches[0] as string;
  const info = await stat(resolveDataFile(p.snapshot.tablePath, relative));
  p.actions.push(
    { remove: removeOf(file.add, p.now) },
    {
      add: {
        ...file.add,
        path: encodeAddPath(relative),
        modificationTime: Math.round(info.mtimeMs),
        dataChange: false,
      },
    },
  );
  p.steps.push({
    kind: 're-add-file',
    message: `${file.relativePath} is gone; ${relative}, not referenced by the log, has its size and content: add it in its place`,
    removed: [file.relativePath],
    added: [relative],
  });
  orphans.splice(orphans.indexOf(relative), 1);
  return true;
}

/** The commit (still in the JSON log) that added `loggedPath`, newest first. */
async function addingCommit(p: Planner, loggedPath: string): Promise<Action[] | undefined> {
  for (const version of [...p.listing.commitVersions].reverse()) {
    if (version > p.snapshot.version) continue;
    const actions = await readCommit(p.listing.tablePath, version);
    if (actions.some((a) => 'add' in a && a.add?.path === loggedPath)) return actions;
  }
  return undefined;
}

const samePartition = (a: AddAction | RemoveAction, b: AddAction) =>
  JSON.stringify(a.partitionValues ?? {}) === JSON.stringify(b.partitionValues ?? {});

async function planRestoreInputs(p: Planner, file: LiveFile, damaged: ReadonlySet<string>): Promise<boolean> {
  const commit = await addingCommit(p, file.add.path);
  if (!commit) return false;
  const adds = commit.flatMap((a) => ('add' in a && a.add && samePartition(a.add, file.add) ? [a.add] : []));
  const removes = commit.flatMap((a) =>
    'remove' in a && a.remove && samePartition(a.remove, file.add) ? [a.remove] : [],
  );
  const rewrite =
    removes.length > 0 && [...adds, ...removes].every((a) => a.dataChange === false && a.size !== undefined);
  if (!rewrite || adds.some((a) => !p.snapshot.files.has(a.path))) return false;
  if (removes.some((r) => p.snapshot.files.has(r.path))) return false;
  const inputs = removes.map((r) =>
    liveFileOf({
      path: r.path,
      partitionValues: r.partitionValues ?? {},
      size: r.size ?? 0,
      modificationTime: 0,
      dataChange: false,
      stats: r.stats ?? null,
      tags: r.tags ?? null,
    }),
  );
  if ((await problemsOf(p.connection, withFiles(p.snapshot, inputs))).length > 0) return false;
  const rows = (files: readonly (AddAction | RemoveAction)[]) =>
    files.reduce<number | undefined>((n, f) => {
      const count = liveFileOf({ ...(f as AddAction), stats: f.stats ?? null }).stats?.numRecords;
      return n === undefined || count === undefined ? undefined : n + count;
    }, 0);
  const inRows = rows(removes);
  if (inRows === undefined || inRows !== rows(adds)) return false;
  for (const input of inputs) {
    const info = await stat(resolveDataFile(p.snapshot.tablePath, input.relativePath));
    p.actions.push({ add: { ...input.add, modificationTime: Math.round(info.mtimeMs) } });
  }
  for (const add of adds) {
    p.actions.push({ remove: removeOf(add, p.now) });
    p.handled.add(add.path);
    const relative = liveFileOf(add).relativePath;
    if (damaged.has(add.path)) p.quarantine.push(relative);
  }
  p.steps.push({
    kind: 'restore-rewritten-inputs',
    message: `${file.relativePath} is damaged or gone; it was rewritten from ${inputs.length} file(s) that are still present and sound (${inRows} rows): add them back`,
    removed: adds.map((a) => liveFileOf(a).relativePath),
    added: inputs.map((f) => f.relativePath),
  });
  return true;
}

async function planFiles(p: Planner, problems: readonly VerifyProblem[]): Promise<VerifyProblem[]> {
  const byFile = new Map<string, LiveFile>();
  for (const file of p.snapshot.files.values()) byFile.set(file.relativePath, file);
  const damaged = new Map<string, LiveFile>();
  for (const problem of problems) {
    const file = problem.file === undefined ? undefined : byFile.get(problem.file);
    if (file && FILE_DAMAGE.has(problem.kind)) damaged.set(file.add.path, file);
  }
  if (damaged.size === 0) return [...problems];
  const absolute = (relative: string) => path.resolve(resolveDataFile(p.snapshot.tablePath, relative));
  const live = new Set([...p.snapshot.files.values()].map((f) => absolute(f.relativePath)));
  const tombstoned = new Set([...p.snapshot.tombstones.values()].map((r) => absolute(decodeAddPath(r.path))));
  const orphans = (await listDataFiles(p.snapshot.tablePath, p.snapshot.partitionColumns))
    .filter((f) => !live.has(path.resolve(f.absolute)) && !tombstoned.has(path.resolve(f.absolute)))
    .map((f) => f.relative);
  const fixed = new Set<string>();
  const damagedPaths = new Set(damaged.keys());
  for (const [logged, file] of damaged) {
    if (p.handled.has(logged)) {
      fixed.add(file.relativePath);
      continue;
    }
    const missing = !(await stat(resolveDataFile(p.snapshot.tablePath, file.relativePath)).catch(
      () => undefined,
    ));
    if (
      (missing && (await planReAdd(p, file, orphans))) ||
      (await planRestoreInputs(p, file, damagedPaths))
    ) {
      p.handled.add(logged);
      fixed.add(file.relativePath);
      if (!missing && !p.quarantine.includes(file.relativePath)) p.quarantine.push(file.relativePath);
    }
  }
  for (const logged of p.handled) {
    const file = damaged.get(logged);
    if (file) fixed.add(file.relativePath);
  }
  return problems.filter((x) => x.file === undefined || !fixed.has(x.file));
}

/**
 * Files whose only problem is stats that do not hold (their bytes sound: no other problem, and the
 * content hash matched when there is one): the file is added again with the stats its content gives.
 * A later add of a live path replaces its stats (PROTOCOL.md, Add File); the data is not touched.
 */
async function planStats(p: Planner, problems: readonly VerifyProblem[]): Promise<VerifyProblem[]> {
  const byFile = new Map<string, LiveFile>();
  for (const file of p.snapshot.files.values()) byFile.set(file.relativePath, file);
  const kinds = new Map<string, Set<string>>();
  for (const x of problems) {
    if (x.file === undefined || !byFile.has(x.file)) continue;
    kinds.set(x.file, (kinds.get(x.file) ?? new Set()).add(x.kind));
  }
  const fixed = new Set<string>();
  for (const [relative, found] of kinds) {
    const file = byFile.get(relative) as LiveFile;
    if (p.handled.has(file.add.path) || !found.has('stats-mismatch')) continue;
    // A row count that disagrees is stats too, but only a content hash tells it from a damaged file.
    const allowed = file.add.tags?.[CONTENT_HASH_TAG] ? STATS_ONLY_HASHED : STATS_ONLY;
    if (![...found].every((k) => allowed.has(k))) continue;
    const stats = await trueStats(p.connection, p.snapshot, file);
    const add: AddAction = { ...file.add, stats, tags: tagsWithStats(file, stats), dataChange: false };
    if ((await problemsOf(p.connection, withFiles(p.snapshot, [liveFileOf(add)]))).length > 0) continue;
    p.actions.push({ add });
    p.handled.add(file.add.path);
    fixed.add(relative);
    p.steps.push({
      kind: 'rewrite-stats',
      message: `${relative}: its min/max stats in the log do not hold for its content (reads skipping on them miss its rows); the file is sound: commit the stats its content gives`,
      removed: [],
      added: [relative],
    });
  }
  return problems.filter((x) => x.file === undefined || !fixed.has(x.file));
}

const STATS_ONLY = new Set(['stats-mismatch']);
const STATS_ONLY_HASHED = new Set(['stats-mismatch', 'row-count-mismatch']);

/** Finds what is wrong and what can be restored. Read-only. */
export async function planRepair(tablePath: string, options: RepairOptions = {}): Promise<RepairPlan> {
  assertLocalTable(tablePath, 'Table repair');
  const listing = await listLog(path.resolve(tablePath));
  // An empty commit file is a lost commit: nothing in the table directory says what it held.
  const emptyCommits: VerifyProblem[] = [];
  await checkEmptyCommits(listing, emptyCommits);
  return withConnection(options.connection, async (connection) => {
    let snapshot: Snapshot;
    try {
      snapshot = await loadSnapshotFromListing(listing, { connection, checkReaderProtocol: false });
    } catch (error) {
      if (!(error instanceof DeltaLogCorruptError)) throw error;
      const problem: VerifyProblem = {
        kind: 'log-unreadable',
        version: listing.latestVersion,
        message: `the latest version ${listing.latestVersion} cannot be rebuilt from the log: ${firstLine(error)}`,
      };
      return {
        tablePath: listing.tablePath,
        version: undefined,
        problems: [...emptyCommits, problem],
        steps: [],
        unrepaired: [...emptyCommits, problem],
        quarantine: [],
        actions: [],
      };
    }
    // A deletion vector is not ours to repair: any rewrite here could drop it and bring deleted rows back.
    assertNoDeletionVectors(snapshot.files, listing.tablePath);
    const problems = [...emptyCommits, ...(await problemsOf(connection, snapshot))];
    const planner: Planner = {
      connection,
      listing,
      snapshot,
      now: (options.now ?? (() => new Date()))().getTime(),
      steps: [],
      actions: [],
      quarantine: [],
      handled: new Set(),
    };
    const afterMetadata = await planMetadata(planner, problems);
    const unrepaired = await planStats(planner, await planFiles(planner, afterMetadata));
    return {
      tablePath: listing.tablePath,
      version: snapshot.version,
      problems,
      steps: planner.steps,
      unrepaired,
      quarantine: planner.quarantine,
      actions: planner.actions,
    };
  });
}

async function moveAside(root: string, relative: string, version: number): Promise<string | undefined> {
  const target = path.join(REPAIR_DIR, `v${version}`, relative);
  try {
    await mkdir(path.dirname(path.join(root, target)), { recursive: true });
    await rename(resolveDataFile(root, relative), path.join(root, target));
    return target.split(path.sep).join('/');
  } catch {
    return undefined;
  }
}

/** Commits a plan's actions (one REPAIR commit) and moves the damaged files aside. Deletes nothing. */
export async function applyRepair(plan: RepairPlan, options: RepairOptions = {}): Promise<RepairResult> {
  if (plan.actions.length === 0 || plan.version === undefined) {
    return {
      ...plan,
      applied: false,
      commitVersion: undefined,
      quarantined: [],
      problemsAfter: plan.unrepaired,
    };
  }
  const outcome = await commitTransaction(
    plan.tablePath,
    {
      readVersion: plan.version,
      actions: plan.actions,
      commitInfo: {
        operation: 'REPAIR',
        operationParameters: { steps: JSON.stringify(plan.steps.map((s) => s.kind)) },
        readVersion: plan.version,
        isBlindAppend: false,
        engineInfo: engineInfo(),
      },
    },
    { ...options.commit, now: options.now },
  );
  const quarantined: string[] = [];
  for (const relative of plan.quarantine) {
    const moved = await moveAside(plan.tablePath, relative, outcome.version);
    if (moved) quarantined.push(moved);
  }
  const problemsAfter = await withConnection(options.connection, async (connection) => {
    const listing = await listLog(plan.tablePath);
    const after: VerifyProblem[] = [];
    await checkEmptyCommits(listing, after);
    const snapshot = await loadSnapshotFromListing(listing, { connection, checkReaderProtocol: false });
    return [...after, ...(await problemsOf(connection, snapshot))];
  });
  return { ...plan, applied: true, commitVersion: outcome.version, quarantined, problemsAfter };
}
