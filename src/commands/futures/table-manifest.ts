import { z } from 'zod';
import type { TableManifestResult } from '../../app/table-manifest.js';
import { defineCommand, globalOptionsShape } from '../../cli/command.js';
import { ExitCode } from '../../cli/exit.js';
import { formatPairs } from '../../cli/output.js';
import { resolveTableArg, TABLE_ARG } from './table-common.js';

const schema = z.object({
  ...globalOptionsShape,
  table: z.string().min(1),
  enable: z.boolean().default(false),
});

export const futuresTableManifestCommand = defineCommand({
  path: ['table', 'manifest'],
  summary:
    "write the table's symlink manifests (_symlink_format_manifest/) for Redshift Spectrum, Presto, Athena",
  description:
    "Write Delta's symlink-format manifests, as Spark's GENERATE symlink_format_manifest does: one manifest per partition listing the absolute URIs of the live data files of the current version, for engines that read a table through a manifest (Redshift Spectrum, Presto/Athena symlink tables, Hive). A manifest is a snapshot: it goes stale with the next append. --enable also sets delta.compatibility.symlinkFormatManifest.enabled on the table, and futures compact then rewrites the manifests after every run.",
  examples: [
    'futures table manifest futures_bars',
    'futures table manifest futures_snapshots --enable --json',
  ],
  args: [TABLE_ARG],
  flags: [
    {
      flags: '--enable',
      description:
        'set delta.compatibility.symlinkFormatManifest.enabled so futures compact keeps the manifests current',
    },
  ],
  schema,
  jsonSchemaId: 'futures.table.manifest/v1',
  exitCodes: [ExitCode.data],
  async run(opts, ctx): Promise<TableManifestResult> {
    const tablePath = await resolveTableArg(opts.table, ctx);
    const { tableManifest } = await import('../../app/table-manifest.js');
    return tableManifest(tablePath, opts.enable);
  },
  render: {
    json: (r) => ({ ...r }),
    human: (r, _opts, style) =>
      formatPairs(
        [
          ['table', r.table],
          ['version', r.version],
          ['manifests', `${r.manifests} in ${r.directory}`],
          ['files listed', r.files],
          ['stale manifests removed', r.removed],
          [
            'kept current by compact',
            r.enabled ? 'yes' : 'no (run with --enable, or rerun after each change)',
          ],
        ],
        style.mode === 'tsv' ? 'tsv' : 'table',
      ),
  },
});
