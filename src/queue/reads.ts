import {
  emptyStatusCounts,
  IN_IDS,
  isOneOf,
  iso,
  rowToJob,
  rowToRound,
  toDate,
  toDateOrNull,
  toNumber,
  toNumberOrNull,
  toStringValue,
} from './rows.js';
import type { SqlValue, Tx } from './sql.js';
import {
  JOB_KINDS,
  JOB_STATUSES,
  type Job,
  type JobCounts,
  type JobFilter,
  type JobKind,
  type JobStatus,
  type Round,
  type SlotBounds,
} from './types.js';

/** Read-only queries, usable on a read-only session (futures status). */
/** One snapshot slot as status reads it. */
export interface SlotRow {
  symbol: string;
  slotTs: Date;
  status: JobStatus;
  leaseExpires: Date | null;
  reason: string | null;
  ibErrorCode: number | null;
  ibErrorMessage: string | null;
}

export class QueueReads {
  constructor(protected readonly tx: Tx) {}

  protected ids(ids: readonly number[]): SqlValue {
    return this.tx.list(ids.map((id) => BigInt(id)));
  }

  async listJobs(filter: JobFilter = {}): Promise<Job[]> {
    const where: string[] = [];
    const params: SqlValue[] = [];
    const add = (clause: (p: string) => string, value: SqlValue) => {
      params.push(value);
      where.push(clause(`$${params.length}`));
    };
    if (filter.ids) add((p) => IN_IDS(p), this.ids(filter.ids));
    if (filter.kind) add((p) => `kind = ${p}`, filter.kind);
    if (filter.status !== undefined) {
      const statuses = typeof filter.status === 'string' ? [filter.status] : [...filter.status];
      add((p) => `status IN (SELECT unnest(${p}::VARCHAR[]))`, this.tx.list(statuses));
    }
    if (filter.symbols)
      add((p) => `symbol IN (SELECT unnest(${p}::VARCHAR[]))`, this.tx.list([...filter.symbols]));
    if (filter.from) add((p) => `slot_ts >= ${p}::TIMESTAMPTZ`, iso(filter.from));
    if (filter.to) add((p) => `slot_ts <= ${p}::TIMESTAMPTZ`, iso(filter.to));
    let sql = `SELECT * FROM all_jobs${where.length ? ` WHERE ${where.join(' AND ')}` : ''} ORDER BY slot_ts, symbol, id`;
    if (filter.limit !== undefined) sql += ` LIMIT ${Math.max(0, Math.floor(filter.limit))}`;
    return (await this.tx.all(sql, params)).map(rowToJob);
  }

  async counts(): Promise<JobCounts> {
    const rows = await this.tx.all(
      `SELECT kind, status, count(*)::BIGINT AS n FROM all_jobs GROUP BY kind, status`,
    );
    const result: JobCounts = {
      total: 0,
      byStatus: emptyStatusCounts(),
      byKind: { snapshot: emptyStatusCounts(), bars: emptyStatusCounts() },
    };
    for (const row of rows) {
      const n = toNumber(row.n, 'n');
      if (!isOneOf(JOB_KINDS, row.kind) || !isOneOf(JOB_STATUSES, row.status)) continue;
      result.total += n;
      result.byStatus[row.status] += n;
      result.byKind[row.kind][row.status] += n;
    }
    return result;
  }

  async slotBounds(kind: JobKind): Promise<SlotBounds[]> {
    const rows = await this.tx.all(
      `SELECT symbol, min(slot_ts) AS first, max(slot_ts) AS last FROM all_jobs
       WHERE kind = $1 AND (kind <> 'snapshot' OR params = '{}') GROUP BY symbol ORDER BY symbol`,
      [kind],
    );
    return rows.map((row) => ({
      symbol: toStringValue(row.symbol, 'symbol'),
      first: toDate(row.first, 'first'),
      last: toDate(row.last, 'last'),
    }));
  }

  async lastSlots(kind: JobKind): Promise<Map<string, Date>> {
    const rows = await this.tx.all(
      `SELECT symbol, max(slot_ts) AS last FROM jobs
       WHERE kind = $1 AND (kind <> 'snapshot' OR params = '{}') GROUP BY symbol`,
      [kind],
    );
    return new Map(rows.map((row) => [toStringValue(row.symbol, 'symbol'), toDate(row.last, 'last')]));
  }

  async pendingRounds(): Promise<Round[]> {
    const rows = await this.tx.all(`SELECT * FROM rounds WHERE status = 'begun' ORDER BY round_seq`);
    return rows.map(rowToRound);
  }

  async getRound(roundSeq: number): Promise<Round | null> {
    const rows = await this.tx.all(`SELECT * FROM rounds WHERE round_seq = $1::BIGINT`, [BigInt(roundSeq)]);
    return rows[0] ? rowToRound(rows[0]) : null;
  }

  async missedSlots(options: { from: Date; to: Date; symbols?: readonly string[] }): Promise<Job[]> {
    return this.listJobs({
      kind: 'snapshot',
      status: 'missed',
      from: options.from,
      to: options.to,
      ...(options.symbols ? { symbols: options.symbols } : {}),
    });
  }

  async lastDoneBySymbol(
    kind: JobKind,
  ): Promise<Array<{ symbol: string; slotTs: Date; deltaVersion: number | null }>> {
    const rows = await this.tx.all(
      `SELECT symbol, arg_max(slot_ts, slot_ts) AS slot_ts, arg_max(delta_version, slot_ts) AS delta_version
       FROM all_jobs WHERE kind = $1 AND status = 'done' GROUP BY symbol ORDER BY symbol`,
      [kind],
    );
    return rows.map((row) => ({
      symbol: toStringValue(row.symbol, 'symbol'),
      slotTs: toDate(row.slot_ts, 'slot_ts'),
      deltaVersion: toNumberOrNull(row.delta_version, 'delta_version'),
    }));
  }

  /** Snapshot rows (params '{}') in a window, for gap analysis. */
  async snapshotRowsBetween(from: Date, to: Date): Promise<SlotRow[]> {
    const rows = await this.tx.all(
      `SELECT symbol, slot_ts, status, lease_expires, reason, ib_error_code, ib_error_message FROM all_jobs
       WHERE kind = 'snapshot' AND params = '{}' AND slot_ts >= $1::TIMESTAMPTZ AND slot_ts <= $2::TIMESTAMPTZ`,
      [iso(from), iso(to)],
    );
    return rows.map((row) => {
      const status = row.status;
      if (!isOneOf(JOB_STATUSES, status)) throw new Error(`queue: unknown job status ${String(status)}`);
      return {
        symbol: toStringValue(row.symbol, 'symbol'),
        slotTs: toDate(row.slot_ts, 'slot_ts'),
        status,
        leaseExpires: toDateOrNull(row.lease_expires, 'lease_expires'),
        reason: row.reason === null || row.reason === undefined ? null : String(row.reason),
        ibErrorCode:
          row.ib_error_code === null || row.ib_error_code === undefined ? null : Number(row.ib_error_code),
        ibErrorMessage:
          row.ib_error_message === null || row.ib_error_message === undefined
            ? null
            : String(row.ib_error_message),
      };
    });
  }

  /**
   * Done snapshot slots of the collector's rounds above `roundSeq` (null: of every round). The lake's
   * txn for futures-collect names the newest round that landed, so these slots have rows only if the
   * lake holds them some other way (a round whose rows were all already stored commits nothing).
   */
  async doneSlotsOfRoundsAbove(roundSeq: number | null): Promise<Job[]> {
    const rows = await this.tx.all(
      `SELECT * FROM all_jobs WHERE kind = 'snapshot' AND status = 'done' AND round_seq IS NOT NULL
         AND round_seq > $1::BIGINT ORDER BY slot_ts, symbol, id`,
      [BigInt(roundSeq ?? 0)],
    );
    return rows.map(rowToJob);
  }
}
