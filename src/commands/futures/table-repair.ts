import { z } from 'zod';
import { defineCommand, globalOptionsShape } from '../../cli/command.js';
import { ExitCode } from '../../cli/exit.js';
import { formatPairs, formatTable, formatTsv } from '../../cli/output.js';
import { resolveTableArg, TABLE_ARG } from './table-common.js';

export interface TableRepairProblem {
  kind: string;
  file: string | null;
  message: string;
}

export interface TableRepairResult {
  table: string;
  version: number | null;
  /** True when --apply was given. */
  apply: boolean;
  /** True when a repair commit was written. */
  applied: boolean;
  problems: TableRepairProblem[];
  steps: { kind: string; message: string; removed: string[]; added: string[] }[];
  /** Problems no step repairs. */
  unrepaired: TableRepairProblem[];
  /** Damaged files taken out of the table (moved under _repair/ when applied, never deleted). */
  quarantine: string[];
  commitVersion: number | null;
  /** Problems left (after --apply: on the new version; in a dry run: those no step repairs). */
  problemsAfter: TableRepairProblem[];
}

const schema = z.object({
  ...globalOptionsShape,
  table: z.string().min(1),
  apply: z.boolean().default(false),
});

const problemOf = (p: { kind: string; file?: string | undefined; message: string }): TableRepairProblem => ({
  kind: p.kind,
  file: p.file ?? null,
  message: p.message,
});

export const futuresTableRepairCommand = defineCommand({
  path: ['table', 'repair'],
  summary: 'restore what can be restored of a damaged Delta table (dry run unless --apply; deletes nothing)',
  description:
    "Find what `futures table verify` finds in the live files, and what the table directory still holds to restore it: an earlier schema/partitioning every live file fits (after a metadata change), an unreferenced file with a lost file's size and content (after a damaged add path), the files an OPTIMIZE rewrote into a file that is now missing or damaged, or the true min/max stats of a sound file whose logged stats do not hold (reads skipping on them would miss its rows). Without --apply nothing is changed; with --apply the restoration is one REPAIR commit, and damaged files leave the table into <table>/_repair/ (never deleted). Exit 0 when the table is sound (after --apply: when it is sound again), 4 otherwise; what cannot be restored here must come from a backup.",
  examples: [
    'futures table repair futures_snapshots',
    'futures table repair futures_snapshots --apply',
    'futures table repair ./data/lake/futures_bars --json',
  ],
  args: [TABLE_ARG],
  flags: [{ flags: '--apply', description: 'write the repair (default: only print what it would do)' }],
  schema,
  jsonSchemaId: 'futures.table.repair/v1',
  exitCodes: [ExitCode.data, ExitCode.busy],
  async run(opts, ctx): Promise<TableRepairResult> {
    const tablePath = await resolveTableArg(opts.table, ctx);
    const { applyRepair, planRepair } = await import('../../delta/index.js');
    const now = () => ctx.clock.now();
    const plan = await planRepair(tablePath, { now });
    let applied = false;
    let commitVersion: number | null = null;
    let quarantine = plan.quarantine;
    let after = plan.unrepaired;
    if (opts.apply && plan.actions.length > 0) {
      const { acquireLock } = await import('../../queue/lock.js');
      const { COMPACT_LOCK, queuePaths } = await import('../../queue/paths.js');
      // A compaction must not plan on the version the repair is changing.
      const lock = await acquireLock(queuePaths(ctx.config.dataDir).stateDir, COMPACT_LOCK, {
        now: ctx.clock.now(),
        command: `futures table repair ${opts.table} --apply`,
      });
      try {
        const result = await applyRepair(plan, { now });
        applied = result.applied;
        commitVersion = result.commitVersion ?? null;
        quarantine = result.quarantined;
        after = result.problemsAfter;
      } finally {
        await lock.release();
      }
    }
    return {
      table: plan.tablePath,
      version: plan.version ?? null,
      apply: opts.apply,
      applied,
      problems: plan.problems.map(problemOf),
      steps: plan.steps.map((s) => ({ ...s })),
      unrepaired: plan.unrepaired.map(problemOf),
      quarantine,
      commitVersion,
      problemsAfter: after.map(problemOf),
    };
  },
  render: {
    json: (r) => ({ ...r }),
    human: (r, _opts, style) => {
      if (style.mode === 'tsv') {
        if (r.problems.length === 0) return formatTsv({ head: [], rows: [['sound', r.version, '']] });
        return formatTsv({
          head: [],
          rows: [
            ...r.steps.map((s) => [r.applied ? 'done' : 'would', s.kind, s.message]),
            ...r.problemsAfter.map((p) => ['unrepaired', p.kind, p.message]),
          ],
        });
      }
      const status =
        r.problems.length === 0
          ? 'sound: nothing to repair'
          : r.applied
            ? r.problemsAfter.length === 0
              ? `repaired (commit ${r.commitVersion})`
              : `partly repaired (commit ${r.commitVersion}); ${r.problemsAfter.length} problem(s) left`
            : `${r.problems.length} problem(s); ${r.steps.length} repair step(s) possible${r.apply ? '' : ' (dry run: add --apply to write them)'}`;
      let out = formatPairs(
        [
          ['table', r.table],
          ['version', r.version],
          ['status', status],
        ],
        'table',
      );
      if (r.steps.length > 0) {
        out += `${formatTable({
          head: [r.applied ? 'done' : 'would do', 'what'],
          rows: r.steps.map((s) => [s.kind, s.message]),
        })}`;
      }
      if (r.quarantine.length > 0) {
        out += `${r.applied ? 'moved aside (not deleted)' : 'would move aside (not delete)'}: ${r.quarantine.join(', ')}\n`;
      }
      if (r.problemsAfter.length > 0) {
        out += `not repairable here (restore from a backup):\n${formatTable({
          head: ['problem', 'file', 'message'],
          rows: r.problemsAfter.map((p) => [p.kind, p.file, p.message]),
        })}`;
      }
      return out;
    },
  },
  exitCode: (r) =>
    (r.applied ? r.problemsAfter.length === 0 : r.problems.length === 0) ? ExitCode.ok : ExitCode.data,
});
