import { z } from 'zod';
import { defineCommand, globalOptionsShape } from '../../cli/command.js';
import { ExitCode } from '../../cli/exit.js';
import { type Cell, formatPairs, formatTable, formatTsv } from '../../cli/output.js';
import { formatInZone } from '../../market/index.js';
import { resolveTableArg, TABLE_ARG } from './table-common.js';

/** Files below this size count as small (compaction candidates). */
export const SMALL_FILE_BYTES = 8 * 1024 * 1024;

export interface TableInfoResult {
  table: string;
  version: number;
  /** Commit time of this version, ISO-8601 UTC. */
  timestamp: string;
  protocol: {
    minReaderVersion: number;
    minWriterVersion: number;
    readerFeatures: string[];
    writerFeatures: string[];
  };
  /** The table schema (top-level fields). */
  columns: Array<{ name: string; type: string; nullable: boolean; partition: boolean }>;
  partitionColumns: string[];
  liveFiles: number;
  bytes: number;
  /** Sum of numRecords over files with stats. */
  rowsFromStats: number;
  /** Files whose add carries no numRecords (their rows are not in rowsFromStats). */
  filesWithoutStats: number;
  smallFiles: { count: number; thresholdBytes: number };
  lastCheckpoint: { version: number; parts: number; hintVersion: number | null } | null;
  commitsSinceCheckpoint: number;
  txn: Array<{ appId: string; version: number; lastUpdated: number | null }>;
  tombstones: number;
  configuration: Record<string, string | null>;
}

const schema = z.object({
  ...globalOptionsShape,
  table: z.string().min(1),
});

function typeText(type: unknown): string {
  if (typeof type === 'string') return type;
  if (typeof type === 'object' && type !== null) {
    const t = type as {
      type?: unknown;
      fields?: Array<{ name: string; type: unknown }>;
      elementType?: unknown;
    };
    if (t.type === 'struct' && Array.isArray(t.fields)) {
      return `struct<${t.fields.map((f) => `${f.name}: ${typeText(f.type)}`).join(', ')}>`;
    }
    if (t.type === 'array') return `array<${typeText(t.elementType)}>`;
    if (t.type === 'map') {
      const m = type as { keyType: unknown; valueType: unknown };
      return `map<${typeText(m.keyType)}, ${typeText(m.valueType)}>`;
    }
  }
  return JSON.stringify(type);
}

export const futuresTableInfoCommand = defineCommand({
  path: ['table', 'info'],
  summary: 'show version, protocol, schema, files, size and checkpoint state of a Delta table',
  description:
    'Show a Delta table at its latest version: protocol, schema, partition columns, live files and bytes, rows from file statistics, small files (< 8 MiB), last checkpoint and txn versions per application.',
  examples: [
    'futures table info futures_snapshots',
    'futures table info ./data/lake/futures_snapshots --json',
  ],
  args: [TABLE_ARG],
  schema,
  jsonSchemaId: 'futures.table.info/v1',
  exitCodes: [ExitCode.data],
  async run(opts, ctx): Promise<TableInfoResult> {
    const tablePath = await resolveTableArg(opts.table, ctx);
    const { listLog, loadSnapshotFromListing, readLastCheckpointHint } = await import('../../delta/index.js');
    const listing = await listLog(tablePath);
    const snapshot = await loadSnapshotFromListing(listing);
    const hint = await readLastCheckpointHint(tablePath);
    let bytes = 0;
    let rowsFromStats = 0;
    let filesWithoutStats = 0;
    let small = 0;
    for (const file of snapshot.files.values()) {
      bytes += file.add.size;
      if (file.add.size < SMALL_FILE_BYTES) small++;
      if (file.stats?.numRecords === undefined) filesWithoutStats++;
      else rowsFromStats += file.stats.numRecords;
    }
    const checkpoint = [...listing.checkpoints].reverse().find((c) => c.version <= snapshot.version);
    const partitions = new Set(snapshot.partitionColumns);
    return {
      table: snapshot.tablePath,
      version: snapshot.version,
      timestamp: new Date(snapshot.timestamp).toISOString(),
      protocol: {
        minReaderVersion: snapshot.protocol.minReaderVersion,
        minWriterVersion: snapshot.protocol.minWriterVersion,
        readerFeatures: snapshot.protocol.readerFeatures ?? [],
        writerFeatures: snapshot.protocol.writerFeatures ?? [],
      },
      columns: snapshot.schema.fields.map((f) => ({
        name: f.name,
        type: typeText(f.type),
        nullable: f.nullable,
        partition: partitions.has(f.name),
      })),
      partitionColumns: snapshot.partitionColumns,
      liveFiles: snapshot.files.size,
      bytes,
      rowsFromStats,
      filesWithoutStats,
      smallFiles: { count: small, thresholdBytes: SMALL_FILE_BYTES },
      lastCheckpoint: checkpoint
        ? { version: checkpoint.version, parts: checkpoint.files.length, hintVersion: hint?.version ?? null }
        : null,
      commitsSinceCheckpoint: snapshot.version - (checkpoint?.version ?? -1),
      txn: [...snapshot.txns.values()]
        .map((t) => ({ appId: t.appId, version: t.version, lastUpdated: t.lastUpdated ?? null }))
        .sort((a, b) => (a.appId < b.appId ? -1 : a.appId > b.appId ? 1 : 0)),
      tombstones: snapshot.tombstones.size,
      configuration: snapshot.metadata.configuration,
    };
  },
  render: {
    json: (r) => ({ ...r }),
    human: (r, _opts, style) => {
      // Piped: the UTC ISO instant (raw); on a terminal: ET.
      const time =
        style.mode === 'tsv'
          ? r.timestamp
          : formatInZone(new Date(r.timestamp), undefined, { seconds: true });
      const protocol = `reader ${r.protocol.minReaderVersion}, writer ${r.protocol.minWriterVersion}${
        r.protocol.readerFeatures.length > 0 ? `, reader features ${r.protocol.readerFeatures.join(',')}` : ''
      }${r.protocol.writerFeatures.length > 0 ? `, writer features ${r.protocol.writerFeatures.join(',')}` : ''}`;
      const pairs: Array<[string, Cell]> = [
        ['table', r.table],
        ['version', r.version],
        ['time', time],
        ['protocol', protocol],
        ['partition columns', r.partitionColumns.join(', ') || '(none)'],
        ['live files', r.liveFiles],
        ['bytes', r.bytes],
        [
          'rows (from stats)',
          r.filesWithoutStats > 0
            ? `${r.rowsFromStats} (+ ${r.filesWithoutStats} files without stats)`
            : r.rowsFromStats,
        ],
        [`small files (< ${r.smallFiles.thresholdBytes / 1024 / 1024} MiB)`, r.smallFiles.count],
        [
          'last checkpoint',
          r.lastCheckpoint
            ? `version ${r.lastCheckpoint.version}${r.lastCheckpoint.parts > 1 ? ` (${r.lastCheckpoint.parts} parts)` : ''}`
            : '(none)',
        ],
        ['commits since checkpoint', r.commitsSinceCheckpoint],
        ['tombstones', r.tombstones],
        ['txn', r.txn.map((t) => `${t.appId}=${t.version}`).join(', ') || '(none)'],
      ];
      if (style.mode === 'tsv') {
        return (
          formatPairs(pairs, 'tsv') +
          formatTsv({
            head: [],
            rows: r.columns.map((c) => ['column', c.name, c.type, c.nullable, c.partition]),
          })
        );
      }
      const columns = formatTable({
        head: ['column', 'type', 'nullable', 'partition'],
        rows: r.columns.map((c) => [c.name, c.type, c.nullable ? 'yes' : 'no', c.partition ? 'yes' : '']),
      });
      return `${formatPairs(pairs, 'table')}\n${columns}`;
    },
  },
});
