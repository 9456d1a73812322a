import { z } from 'zod';
import { defineCommand, globalOptionsShape } from '../../cli/command.js';
import { ExitCode } from '../../cli/exit.js';
import { formatPairs, formatTable, formatTsv } from '../../cli/output.js';
import { resolveTableArg, TABLE_ARG } from './table-common.js';

export interface TableVerifyProblem {
  kind: string;
  version: number | null;
  file: string | null;
  column: string | null;
  message: string;
}

export interface TableVerifyResult {
  table: string;
  /** The latest version; null when the log could not be replayed. */
  version: number | null;
  sound: boolean;
  problems: TableVerifyProblem[];
  checked: {
    versions: number;
    files: number;
    bytes: number;
    rows: number;
    checkpoints: number;
    checkpointsNotComparable: number;
    /** --deep: files whose content hash was compared, pages whose CRC was. */
    contentHashes: number;
    pageCrcs: number;
  };
  durationMs: number;
}

const schema = z.object({
  ...globalOptionsShape,
  table: z.string().min(1),
  allCheckpoints: z.boolean().default(false),
  deep: z.boolean().default(false),
});

export const futuresTableVerifyCommand = defineCommand({
  path: ['table', 'verify'],
  summary: 'check a Delta table against its log (read-only); exit 4 when a problem is found',
  description:
    'Check a Delta table without changing it: versions contiguous, the latest version rebuildable, every live file present with the logged size and readable, Parquet schema matching the table schema (timestamps stored as UTC instants), row counts equal to numRecords, min/max/nullCount stats holding for the actual values, and the newest checkpoint (every checkpoint with --all-checkpoints) agreeing with a replay of the JSON commits it summarises when they still exist. With --deep, also the bytes of each file against the SHA-256 its writer recorded in the add tags and its Parquet page CRCs (bit rot that still decodes). Exit 0 when sound, 4 with the list of problems otherwise.',
  examples: [
    'futures table verify futures_snapshots',
    'futures table verify ./data/lake/futures_bars --all-checkpoints --json',
    'futures table verify futures_snapshots --deep',
  ],
  args: [TABLE_ARG],
  flags: [
    {
      flags: '--all-checkpoints',
      description: 'compare every checkpoint with the JSON log, not only the newest',
    },
    {
      flags: '--deep',
      description:
        'also read every live file whole: its SHA-256 against the one its writer logged, and its page CRCs',
    },
  ],
  schema,
  jsonSchemaId: 'futures.table.verify/v1',
  exitCodes: [ExitCode.data],
  async run(opts, ctx): Promise<TableVerifyResult> {
    const tablePath = await resolveTableArg(opts.table, ctx);
    const { verifyTable } = await import('../../delta/index.js');
    const report = await verifyTable(tablePath, {
      checkpoints: opts.allCheckpoints ? 'all' : 'latest',
      deep: opts.deep,
    });
    return {
      table: report.tablePath,
      version: report.version ?? null,
      sound: report.sound,
      problems: report.problems.map((p) => ({
        kind: p.kind,
        version: p.version ?? null,
        file: p.file ?? null,
        column: p.column ?? null,
        message: p.message,
      })),
      checked: report.checked,
      durationMs: Math.round(report.durationMs),
    };
  },
  render: {
    json: (r) => ({ ...r }),
    human: (r, _opts, style) => {
      if (style.mode === 'tsv') {
        // `verify` TABLE VERSION SOUND(1/0) VERSIONS FILES ROWS HASHES PAGE_CRCS CHECKPOINTS PROBLEMS, then
        // `problem` KIND VERSION FILE MESSAGE per problem: raw values, '-' for none.
        const c = r.checked;
        return formatTsv({
          head: [],
          rows: [
            [
              'verify',
              r.table,
              r.version,
              r.sound ? 1 : 0,
              c.versions,
              c.files,
              c.rows,
              c.contentHashes,
              c.pageCrcs,
              c.checkpoints,
              r.problems.length,
            ],
            ...r.problems.map((p) => ['problem', p.kind, p.version ?? '-', p.file ?? '-', p.message]),
          ],
        });
      }
      const summary = formatPairs(
        [
          ['table', r.table],
          ['version', r.version],
          ['status', r.sound ? 'sound' : `${r.problems.length} problem${r.problems.length === 1 ? '' : 's'}`],
          ['versions checked', r.checked.versions],
          ['files checked', r.checked.files],
          ['rows', r.checked.rows],
          ...(r.checked.contentHashes + r.checked.pageCrcs > 0
            ? [
                [
                  'content checked',
                  `${r.checked.contentHashes} file hashes, ${r.checked.pageCrcs} page CRCs`,
                ] as [string, string],
              ]
            : []),
          [
            'checkpoints checked',
            r.checked.checkpointsNotComparable > 0
              ? `${r.checked.checkpoints} (${r.checked.checkpointsNotComparable} opened only: their commits were cleaned up)`
              : r.checked.checkpoints,
          ],
        ],
        'table',
      );
      if (r.sound) return summary;
      return `${summary}\n${formatTable({
        head: ['problem', 'version', 'file', 'message'],
        rows: r.problems.map((p) => [p.kind, p.version, p.file, p.message]),
      })}`;
    },
  },
  exitCode: (r) => (r.sound ? ExitCode.ok : ExitCode.data),
});
