/**
 * The round operations of one session: claimRound and beginRound record a round's slots in the queue
 * before its Delta write, finishRound and abandonRound resolve it, leaveRound takes failed slots out.
 * The protocol they serve: docs/round-protocol.md.
 */
import { QueueSchemaError, QueueUsageError, REBUILD_HINT } from '../errors.js';
import {
  IN_IDS,
  iso,
  NOT_IN_OPEN_ROUND,
  rowToJob,
  sortForClaim,
  sqlInt,
  sqlIntOrNull,
  sqlText,
  sqlTime,
  toNumber,
} from '../rows.js';
import type {
  AbandonOptions,
  BeginRoundOptions,
  ClaimedRound,
  ClaimRoundOptions,
  ReturnResult,
  Round,
  RoundStart,
} from '../types.js';
import { JobOps } from './jobs.js';

export class RoundOps extends JobOps {
  async claimRound(options: ClaimRoundOptions): Promise<ClaimedRound> {
    if (options.limit <= 0) return { jobs: [], round: null };
    await this.markLate(options.now);
    const expires = new Date(options.now.getTime() + options.leaseSeconds * 1000);
    const now = sqlTime(options.now);
    const kindClause = options.kind ? ` AND kind = ${sqlText(options.kind)}` : '';
    const minSeq = Math.max(0, Math.floor(options.minSeq ?? 0));
    // The due slots and the next round sequence in one read; nothing due costs nothing more. Only this
    // session writes (db.ts), so the ids read here are still pending when the write below tags them.
    const due = await this.tx.all(
      `SELECT id, (SELECT value FROM meta WHERE key = 'last_round_seq') AS last_seq FROM jobs
       WHERE status = 'pending' AND not_before <= ${now}${kindClause}
       ORDER BY priority DESC, slot_ts, id
       LIMIT ${sqlInt(Math.floor(options.limit))}`,
    );
    if (due.length === 0) return { jobs: [], round: null };
    const lastSeq = Number(due[0]?.last_seq);
    if (!Number.isSafeInteger(lastSeq) || lastSeq < 0) {
      throw new QueueSchemaError(
        `queue: meta.last_round_seq is missing or invalid (${String(due[0]?.last_seq)})`,
        { hint: REBUILD_HINT },
      );
    }
    const roundSeq = Math.max(lastSeq + 1, minSeq);
    const slotIds = due.map((row) => toNumber(row.id, 'id')).sort((a, b) => a - b);
    const ids = slotIds.join(', ');
    // The sequence, the round row and the claim in one call; the claim's RETURNING is the answer.
    const rows = await this.tx.all(
      `UPDATE meta SET value = '${sqlInt(roundSeq)}' WHERE key = 'last_round_seq';
       INSERT INTO rounds (round_seq, owner, status, slot_ids, began_at)
       VALUES (${sqlInt(roundSeq)}, ${sqlText(options.owner)}, 'begun', [${ids}]::BIGINT[], ${now});
       UPDATE jobs SET status = 'running', lease_owner = ${sqlText(options.owner)}, lease_expires = ${sqlTime(expires)},
         updated_at = ${now}, round_seq = ${sqlInt(roundSeq)}
       WHERE id IN (${ids}) AND status = 'pending'
       RETURNING *`,
    );
    if (rows.length !== slotIds.length) {
      throw new Error(
        `queue: claimed ${rows.length} of the ${slotIds.length} due slots of round ${roundSeq}`,
      );
    }
    const jobs = rows.map(rowToJob).sort(sortForClaim);
    return { jobs, round: { roundSeq, slotIds, lost: [] } };
  }

  async beginRound(options: BeginRoundOptions): Promise<RoundStart> {
    const requested = [...new Set(options.slotIds)];
    const seq = await this.tx.all(
      `UPDATE meta SET value = greatest(value::BIGINT + 1, $1::BIGINT)::VARCHAR WHERE key = 'last_round_seq'
       RETURNING value`,
      [BigInt(Math.max(0, Math.floor(options.minSeq ?? 0)))],
    );
    const roundSeq = Number(seq[0]?.value);
    if (!Number.isSafeInteger(roundSeq) || roundSeq < 1) {
      throw new QueueSchemaError(
        `queue: meta.last_round_seq is missing or invalid (${String(seq[0]?.value)})`,
        { hint: REBUILD_HINT },
      );
    }
    // Tagging the held slots and reading which they are is one statement; the round row follows.
    const held =
      requested.length === 0
        ? []
        : await this.tx.all(
            `UPDATE jobs SET round_seq = $3::BIGINT, updated_at = $4::TIMESTAMPTZ
             WHERE ${IN_IDS('$1')} AND status = 'running' AND lease_owner = $2 AND ${NOT_IN_OPEN_ROUND}
             RETURNING id`,
            [this.ids(requested), options.owner, BigInt(roundSeq), iso(options.now)],
          );
    const heldIds = new Set(held.map((row) => toNumber(row.id, 'id')));
    const slotIds = requested.filter((id) => heldIds.has(id)).sort((a, b) => a - b);
    const lost = requested.filter((id) => !heldIds.has(id)).sort((a, b) => a - b);
    await this.tx.run(
      `INSERT INTO rounds (round_seq, owner, status, slot_ids, began_at) VALUES ($1::BIGINT, $2, 'begun', $3::BIGINT[], $4::TIMESTAMPTZ)`,
      [BigInt(roundSeq), options.owner, this.ids(slotIds), iso(options.now)],
    );
    return { roundSeq, slotIds, lost };
  }

  async leaveRound(roundSeq: number, ids: readonly number[], options: { now: Date }): Promise<number[]> {
    if (ids.length === 0) return [];
    const rounds = await this.tx.all(
      `UPDATE rounds SET slot_ids = list_filter(slot_ids, x -> NOT list_contains($2::BIGINT[], x))
       WHERE round_seq = $1::BIGINT AND status = 'begun'
       RETURNING round_seq`,
      [BigInt(roundSeq), this.ids(ids)],
    );
    if (rounds.length === 0) {
      throw new QueueUsageError(`queue round ${roundSeq} is not open; its slots cannot leave it`);
    }
    const rows = await this.tx.all(
      `UPDATE jobs SET round_seq = NULL, updated_at = $3::TIMESTAMPTZ
       WHERE ${IN_IDS('$1')} AND round_seq = $2::BIGINT
       RETURNING id`,
      [this.ids(ids), BigInt(roundSeq), iso(options.now)],
    );
    return rows.map((row) => toNumber(row.id, 'id')).sort((a, b) => a - b);
  }

  private async requireRound(roundSeq: number): Promise<Round> {
    const round = await this.getRound(roundSeq);
    if (!round) throw new QueueUsageError(`queue round ${roundSeq} does not exist`);
    return round;
  }

  async finishRound(
    roundSeq: number,
    options: { now: Date; deltaVersion: number | null },
  ): Promise<{ slots: number; alreadyFinished: boolean }> {
    const seq = sqlInt(roundSeq);
    const now = sqlTime(options.now);
    const version = sqlIntOrNull(options.deltaVersion);
    // One call: the slots, then the round, whose RETURNING is the answer. Only slots of a begun round are
    // running with its round_seq (a claim outside a round clears round_seq), so the first statement needs
    // no look at the round; when the round is not begun it matches nothing.
    const ended = await this.tx.all(
      `UPDATE jobs SET status = 'done', reason = NULL, delta_version = ${version}, lease_owner = NULL,
         lease_expires = NULL, updated_at = ${now}
       WHERE round_seq = ${seq} AND status = 'running';
       UPDATE rounds SET status = 'finished', ended_at = ${now}, delta_version = ${version}
       WHERE round_seq = ${seq} AND status = 'begun'
       RETURNING len(slot_ids) AS slots`,
    );
    const finished = ended[0];
    if (!finished) {
      const round = await this.requireRound(roundSeq);
      if (round.status === 'finished') return { slots: 0, alreadyFinished: true };
      throw new QueueUsageError(`queue round ${roundSeq} was abandoned; it cannot be finished`, {
        hint: 'Its slots went back to pending; a finished round must not be abandoned first.',
      });
    }
    // slot_ids holds exactly the round's running slots (leaveRound takes failed ones out).
    return { slots: toNumber(finished.slots, 'slots'), alreadyFinished: false };
  }

  async abandonRound(roundSeq: number, options: AbandonOptions): Promise<ReturnResult> {
    const round = await this.requireRound(roundSeq);
    if (round.status === 'abandoned') return { returned: [], failed: [] };
    if (round.status === 'finished') {
      throw new QueueUsageError(
        `queue round ${roundSeq} is finished; its rows are in Delta and it cannot be abandoned`,
      );
    }
    await this.tx.run(
      `UPDATE rounds SET status = 'abandoned', ended_at = $2::TIMESTAMPTZ, note = $3 WHERE round_seq = $1::BIGINT`,
      [BigInt(roundSeq), iso(options.now), options.reason],
    );
    if (options.countAttempt === false) {
      const rows = await this.tx.all(
        `UPDATE jobs SET status = 'pending', lease_owner = NULL, lease_expires = NULL, updated_at = $2::TIMESTAMPTZ
         WHERE round_seq = $1::BIGINT AND status = 'running'
         RETURNING id`,
        [BigInt(roundSeq), iso(options.now)],
      );
      if (rows.length > 0) this.forgetPendingFloor();
      return { returned: rows.map((row) => toNumber(row.id, 'id')).sort((a, b) => a - b), failed: [] };
    }
    return this.returnToPending(
      `round_seq = $1::BIGINT AND status = 'running'`,
      [BigInt(roundSeq), `round ${roundSeq} abandoned: ${options.reason}`],
      options.now,
      '$2::VARCHAR',
    );
  }
}
