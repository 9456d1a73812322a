import { existsSync } from 'node:fs';
import { z } from 'zod';
import type { RebuildResult } from '../../app/collect/rebuild.js';
import { defineCommand, globalOptionsShape } from '../../cli/command.js';
import { ExitCode } from '../../cli/exit.js';
import { type Cell, formatPairs } from '../../cli/output.js';
import { ConfigError } from '../../core/errors.js';

const schema = z.object({
  ...globalOptionsShape,
  force: z.boolean().default(false),
});

export const futuresQueueRebuildCommand = defineCommand({
  path: ['queue', 'rebuild'],
  summary: 'recreate a lost or damaged queue file (state/queue.duckdb) from the lake',
  description:
    'Moves a damaged queue file and its WAL aside (renamed <file>.damaged-<time>, never deleted) and creates a ' +
    'new queue holding the snapshot slots futures_snapshots has rows for in the last 7 trade dates as done, so ' +
    'collect neither re-collects them nor status calls them gaps. Round numbers continue from the lake. Slots ' +
    'the old queue knew as missed, skipped or failed are not recovered (status shows them as gaps; backfill ' +
    'fills bars). Takes the collect and backfill locks (exit 5 while either runs). A queue that opens fine is ' +
    'left alone (exit 2) unless --force.',
  examples: ['futures queue rebuild', 'futures queue rebuild --force --json'],
  flags: [{ flags: '--force', description: 'rebuild even when the queue file is sound (it is moved aside)' }],
  schema,
  jsonSchemaId: 'futures.queue.rebuild/v1',
  exitCodes: [ExitCode.data, ExitCode.busy],

  async run(opts, ctx): Promise<RebuildResult> {
    if (ctx.config.lake.uri === undefined && !existsSync(ctx.config.dataDir)) {
      // A misspelt --data-dir would get a fresh, empty queue and exit 0; a local lake lives in the data dir.
      throw new ConfigError(
        `data directory ${ctx.config.dataDir} does not exist: there is no lake to rebuild the queue from.`,
        {
          hint: 'Check --data-dir, $FUTURES_DATA_DIR or dataDir in the config file.',
        },
      );
    }
    const { rebuildQueue } = await import('../../app/collect/rebuild.js');
    const { queuePolicyFromConfig } = await import('../../queue/index.js');
    return rebuildQueue({
      dataDir: ctx.config.dataDir,
      calendar: ctx.calendar,
      now: ctx.clock.now(),
      policy: queuePolicyFromConfig(ctx.config.collect),
      busyTimeoutMs: ctx.config.collect.queueBusyTimeoutMs,
      force: opts.force,
      log: ctx.log,
      command: 'futures queue rebuild',
    });
  },

  render: {
    json: (r) => r,
    human: (r, _opts, style) => {
      const pairs: Array<[string, Cell]> = [
        ['queue', r.queuePath],
        ['replaced because', r.reason],
        ['moved aside', r.movedAside.map((m) => m.to).join(', ') || '-'],
        ['slots restored as done', `${r.restoredSlots} (trade dates ${r.window.from}..${r.window.to})`],
        ['next round after', r.committedRound ?? '-'],
      ];
      return formatPairs(pairs, style.mode);
    },
  },
});
