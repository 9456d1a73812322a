/**
 * The queue database schema and its version. `meta.schema_version` names the layout; a file written by a
 * newer build is refused (QueueSchemaError, exit 4) rather than guessed at, and an older one is migrated
 * step by step inside the opening transaction.
 */

import { QueueSchemaError, REBUILD_HINT } from './errors.js';
import type { Tx } from './sql.js';

export const QUEUE_SCHEMA_VERSION = 2;

/**
 * `jobs` is the hot table: every pending/running job plus recently finished ones. Finished rows move to
 * `jobs_archive` (same columns) once they are older than the policy's archiveAfterSeconds, because write
 * sessions checkpoint (db.ts) and a checkpoint rewrites the touched row groups of a table.
 *
 * No table has an index (no PRIMARY KEY, no UNIQUE): DuckDB serializes a table's whole ART index at every
 * checkpoint, so an index makes every checkpoint slower as the table grows (version 1 had them). "A slot
 * is never queued twice" is kept by insertJobs instead: it anti-joins the incoming rows against the hot
 * table and the archive inside the write transaction, and write sessions are serialized across
 * processes by the file lock and inside one by a mutex (db.ts), so no other insert can interleave.
 * round_seq is unique because beginRound takes it from meta.last_round_seq in the same serialized
 * transaction; meta keys are written once, at creation.
 */
const JOB_COLUMNS = `
    id BIGINT NOT NULL,
    kind VARCHAR NOT NULL,
    symbol VARCHAR NOT NULL,
    slot_ts TIMESTAMPTZ NOT NULL,
    params VARCHAR NOT NULL,
    priority INTEGER NOT NULL,
    status VARCHAR NOT NULL,
    reason VARCHAR,
    attempts INTEGER NOT NULL,
    not_before TIMESTAMPTZ NOT NULL,
    lease_owner VARCHAR,
    lease_expires TIMESTAMPTZ,
    ib_error_code INTEGER,
    ib_error_message VARCHAR,
    delta_version BIGINT,
    round_seq BIGINT,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL`;

const META_TABLE = (name: string) => `CREATE TABLE ${name} (key VARCHAR NOT NULL, value VARCHAR NOT NULL)`;
const JOBS_TABLE = (name: string) => `CREATE TABLE ${name} (${JOB_COLUMNS},
    CHECK (kind IN ('snapshot', 'bars')),
    CHECK (status IN ('pending', 'running', 'done', 'skipped', 'failed', 'missed'))
  )`;
const ROUNDS_TABLE = (name: string) => `CREATE TABLE ${name} (
    round_seq BIGINT NOT NULL,
    owner VARCHAR NOT NULL,
    status VARCHAR NOT NULL CHECK (status IN ('begun', 'finished', 'abandoned')),
    slot_ids BIGINT[] NOT NULL,
    began_at TIMESTAMPTZ NOT NULL,
    ended_at TIMESTAMPTZ,
    delta_version BIGINT,
    note VARCHAR
  )`;
const ALL_JOBS_VIEW = `CREATE VIEW all_jobs AS SELECT * FROM jobs UNION ALL SELECT * FROM jobs_archive`;

const CREATE_CURRENT = [
  META_TABLE('meta'),
  `CREATE SEQUENCE job_id_seq START 1`,
  JOBS_TABLE('jobs'),
  `CREATE TABLE jobs_archive (${JOB_COLUMNS})`,
  ALL_JOBS_VIEW,
  ROUNDS_TABLE('rounds'),
];

/** Rebuilds a table without its index (DuckDB cannot drop a PRIMARY KEY or UNIQUE constraint in place). */
const rebuild = (name: string, create: (name: string) => string) => [
  create(`${name}_v2`),
  `INSERT INTO ${name}_v2 SELECT * FROM ${name}`,
  `DROP TABLE ${name}`,
  `ALTER TABLE ${name}_v2 RENAME TO ${name}`,
];

/** Steps from version N to N+1, applied in order. */
const MIGRATIONS: Record<number, readonly string[]> = {
  // 1 → 2: drop the indexes (PRIMARY KEY of meta and rounds, UNIQUE of jobs); see the note above.
  1: [
    `DROP VIEW all_jobs`,
    ...rebuild('meta', META_TABLE),
    ...rebuild('jobs', JOBS_TABLE),
    ...rebuild('rounds', ROUNDS_TABLE),
    ALL_JOBS_VIEW,
  ],
};

async function tableExists(tx: Tx, name: string): Promise<boolean> {
  const rows = await tx.all(
    `SELECT count(*)::INTEGER AS n FROM duckdb_tables() WHERE database_name = current_database() AND table_name = $1`,
    [name],
  );
  return rows[0]?.n === 1;
}

async function readVersion(tx: Tx, path: string): Promise<number | null> {
  if (!(await tableExists(tx, 'meta'))) {
    const other = await tx.all(
      `SELECT count(*)::INTEGER AS n FROM duckdb_tables() WHERE database_name = current_database()`,
    );
    if (Number(other[0]?.n ?? 0) > 0) {
      throw new QueueSchemaError(`${path} is not a futures-signals queue database (no meta table)`, {
        hint: REBUILD_HINT,
      });
    }
    return null;
  }
  const rows = await tx.all(`SELECT value FROM meta WHERE key = 'schema_version'`);
  const version = Number(rows[0]?.value);
  if (!Number.isInteger(version) || version < 1) {
    throw new QueueSchemaError(`${path} has no valid schema_version in its meta table`, {
      hint: REBUILD_HINT,
    });
  }
  if (version > QUEUE_SCHEMA_VERSION) {
    throw new QueueSchemaError(
      `${path} has queue schema version ${version}, newer than this build supports (${QUEUE_SCHEMA_VERSION})`,
      { hint: `Upgrade futures-signals, or start a fresh queue: ${REBUILD_HINT}` },
    );
  }
  return version;
}

/** The columns each table must have (in any order); the names come from the CREATE statements above. */
const JOB_COLUMN_NAMES = JOB_COLUMNS.split(',').map((c) => c.trim().split(/\s+/)[0] as string);
const LAYOUT: Record<string, readonly string[]> = {
  meta: ['key', 'value'],
  jobs: JOB_COLUMN_NAMES,
  jobs_archive: JOB_COLUMN_NAMES,
  all_jobs: JOB_COLUMN_NAMES,
  rounds: ['round_seq', 'owner', 'status', 'slot_ids', 'began_at', 'ended_at', 'delta_version', 'note'],
};

/**
 * A file at the current version must still hold the whole layout: a table, view, column or sequence
 * dropped by hand (or by a bad restore) would otherwise fail deep inside a command as an internal error.
 */
async function checkLayout(tx: Tx, path: string): Promise<void> {
  const rows = await tx.all(
    `SELECT table_name, column_name FROM duckdb_columns() WHERE database_name = current_database()`,
  );
  const columns = new Map<string, Set<string>>();
  for (const row of rows) {
    const table = String(row.table_name);
    const set = columns.get(table) ?? new Set<string>();
    set.add(String(row.column_name));
    columns.set(table, set);
  }
  const problems: string[] = [];
  for (const [table, expected] of Object.entries(LAYOUT)) {
    const present = columns.get(table);
    if (!present) problems.push(`${table} is missing`);
    else {
      const missing = expected.filter((c) => !present.has(c));
      if (missing.length > 0)
        problems.push(`${table} lacks column${missing.length > 1 ? 's' : ''} ${missing.join(', ')}`);
    }
  }
  const sequence = await tx.all(
    `SELECT count(*)::INTEGER AS n FROM duckdb_sequences() WHERE database_name = current_database() AND sequence_name = 'job_id_seq'`,
  );
  if (sequence[0]?.n !== 1) problems.push('sequence job_id_seq is missing');
  if (columns.has('meta')) {
    const seq = await tx.all(`SELECT value FROM meta WHERE key = 'last_round_seq'`);
    const value = seq[0]?.value;
    if (seq.length !== 1 || !/^\d+$/.test(String(value)))
      problems.push(
        `meta.last_round_seq is ${seq.length === 0 ? 'missing' : `not a round number (${String(value)})`}`,
      );
  }
  if (problems.length > 0) {
    throw new QueueSchemaError(`queue database ${path} is damaged: ${problems.join('; ')}`, {
      hint: REBUILD_HINT,
    });
  }
}

/** Creates the schema in an empty file, migrates an older one, refuses a newer one. */
export async function ensureSchema(tx: Tx, path: string): Promise<void> {
  let version = await readVersion(tx, path);
  if (version === null) {
    for (const sql of CREATE_CURRENT) await tx.run(sql);
    await tx.run(
      `INSERT INTO meta VALUES ('schema_version', $1), ('last_round_seq', '0'), ('last_archive_at', '')`,
      [String(QUEUE_SCHEMA_VERSION)],
    );
    return;
  }
  while (version < QUEUE_SCHEMA_VERSION) {
    const steps = MIGRATIONS[version];
    if (!steps) {
      throw new QueueSchemaError(`no migration from queue schema version ${version}`, {
        hint: REBUILD_HINT,
      });
    }
    for (const sql of steps) await tx.run(sql);
    version += 1;
    await tx.run(`UPDATE meta SET value = $1 WHERE key = 'schema_version'`, [String(version)]);
  }
  await checkLayout(tx, path);
}

/** Read-only check: false for a file with no tables yet; throws for a foreign, newer or older layout. */
export async function verifySchemaReadOnly(tx: Tx, path: string): Promise<boolean> {
  const version = await readVersion(tx, path);
  if (version === null) return false;
  if (version < QUEUE_SCHEMA_VERSION) {
    throw new QueueSchemaError(
      `${path} has queue schema version ${version}; this build reads ${QUEUE_SCHEMA_VERSION}`,
      { hint: 'Run `futures collect --once` (or any writer) once to migrate it.' },
    );
  }
  await checkLayout(tx, path);
  return true;
}
