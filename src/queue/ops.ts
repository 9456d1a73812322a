/** All operations on one read-write session: jobs (ops/jobs.ts), rounds (ops/rounds.ts), and the archive. */

import { RoundOps } from './ops/rounds.js';
import { DEFAULT_ARCHIVE_AFTER_SECONDS } from './policy.js';
import { IN_IDS, iso, NOT_IN_OPEN_ROUND, TERMINAL, toNumber } from './rows.js';
import type { QueueOps } from './types.js';

/** archiveIfDue runs at most this often. */
const ARCHIVE_EVERY_MS = 3_600_000;

export class SessionOps extends RoundOps implements QueueOps {
  /** A batch inside a session joins it. */
  batch<T>(fn: (ops: QueueOps) => Promise<T>): Promise<T> {
    return fn(this);
  }

  async prune(options: { before: Date }): Promise<{ jobs: number; rounds: number }> {
    const hot = await this.tx.all(
      `DELETE FROM jobs WHERE slot_ts < $1::TIMESTAMPTZ AND status IN (${TERMINAL}) AND ${NOT_IN_OPEN_ROUND} RETURNING id`,
      [iso(options.before)],
    );
    const archived = await this.tx.all(
      `DELETE FROM jobs_archive WHERE slot_ts < $1::TIMESTAMPTZ RETURNING id`,
      [iso(options.before)],
    );
    const rounds = await this.tx.all(
      `DELETE FROM rounds WHERE status <> 'begun' AND began_at < $1::TIMESTAMPTZ RETURNING round_seq`,
      [iso(options.before)],
    );
    if (hot.length > 0) this.learned.lastSnapshotSlots = null;
    return { jobs: hot.length + archived.length, rounds: rounds.length };
  }

  async archive(options: { now: Date; before?: Date }): Promise<{ jobs: number; rounds: number }> {
    const keep = (this.policy.archiveAfterSeconds ?? DEFAULT_ARCHIVE_AFTER_SECONDS) * 1000;
    const before = iso(options.before ?? new Date(options.now.getTime() - keep));
    const movable = `status IN (${TERMINAL}) AND updated_at < $1::TIMESTAMPTZ AND ${NOT_IN_OPEN_ROUND}
      AND NOT (kind = 'snapshot' AND params = '{}' AND slot_ts >= (
        SELECT max(l.slot_ts) FROM jobs l WHERE l.kind = 'snapshot' AND l.params = '{}' AND l.symbol = jobs.symbol))`;
    const ids = (await this.tx.all(`SELECT id FROM jobs WHERE ${movable}`, [before])).map((row) =>
      toNumber(row.id, 'id'),
    );
    if (ids.length > 0) {
      await this.tx.run(`INSERT INTO jobs_archive SELECT * FROM jobs WHERE ${IN_IDS('$1')}`, [this.ids(ids)]);
      await this.tx.run(`DELETE FROM jobs WHERE ${IN_IDS('$1')}`, [this.ids(ids)]);
    }
    const rounds = await this.tx.all(
      `DELETE FROM rounds WHERE status <> 'begun' AND ended_at < $1::TIMESTAMPTZ RETURNING round_seq`,
      [before],
    );
    await this.tx.run(`UPDATE meta SET value = $1 WHERE key = 'last_archive_at'`, [iso(options.now)]);
    this.learned.lastArchiveAt = options.now.getTime();
    return { jobs: ids.length, rounds: rounds.length };
  }

  async archiveIfDue(now: Date): Promise<{ jobs: number; rounds: number } | null> {
    // The last archive time this process saw can only be older than the file's (archive() moves it
    // forward), so while it is recent the file need not be asked.
    const known = this.memo.lastArchiveAt;
    if (known !== null && now.getTime() - known < ARCHIVE_EVERY_MS && now.getTime() >= known) return null;
    const rows = await this.tx.all(`SELECT value FROM meta WHERE key = 'last_archive_at'`);
    const last = Date.parse(String(rows[0]?.value ?? ''));
    if (Number.isFinite(last)) this.memo.lastArchiveAt = last;
    if (Number.isFinite(last) && now.getTime() - last < ARCHIVE_EVERY_MS) return null;
    return this.archive({ now });
  }
}
