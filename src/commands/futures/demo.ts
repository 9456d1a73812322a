import { z } from 'zod';
import type { DemoResult } from '../../app/demo.js';
import { defineCommand, globalOptionsShape } from '../../cli/command.js';
import { ExitCode } from '../../cli/exit.js';
import { integerFlag } from '../../cli/numbers.js';
import { formatPairs, formatTable } from '../../cli/output.js';

const SCENARIOS = ['calm', 'selloff', 'gap-up'] as const;

const schema = z.object({
  ...globalOptionsShape,
  dir: z.string().min(1).optional(),
  scenario: z.enum(SCENARIOS).default('calm'),
  keep: z.boolean().default(false),
  date: z
    .string()
    .regex(/^\d{4}-\d{2}-\d{2}$/, 'expected YYYY-MM-DD')
    .optional(),
  seed: integerFlag().pipe(z.number().min(0)).default(7),
});

export const futuresDemoCommand = defineCommand({
  path: ['demo'],
  summary: 'run the whole system on the built-in IB Gateway simulator (no IB account needed)',
  description:
    'Starts the IB Gateway simulator on a free loopback port, backfills daily history and the previous ' +
    'session, collects a simulated night (18:00 → 09:25 ET, 1-minute slots) at accelerated time, ' +
    'compacts the lake and runs both signals as of 09:25 ET. Uses a temporary directory (removed ' +
    'afterwards unless --keep) or --dir DIR (kept). Prints what it did, where the data is and what to try next.',
  examples: [
    'futures demo',
    'futures demo --scenario selloff --keep',
    'futures demo --dir ./demo-data --scenario gap-up --json',
  ],
  flags: [
    { flags: '--dir <dir>', description: 'data directory for the demo lake (kept afterwards)' },
    {
      flags: '--scenario <name>',
      description: 'simulated night',
      choices: SCENARIOS,
      defaultDescription: 'calm',
    },
    { flags: '--keep', description: 'keep the temporary directory and print commands to explore it' },
    { flags: '--date <date>', description: 'NYSE session the night leads into (default: the latest)' },
    { flags: '--seed <n>', description: 'seed of the simulated market', defaultDescription: '7' },
  ],
  schema,
  jsonSchemaId: 'futures.demo/v1',
  exitCodes: [ExitCode.data, ExitCode.busy],
  async run(opts, ctx) {
    const { runDemo } = await import('../../app/demo.js');
    return runDemo(
      { dir: opts.dir, scenario: opts.scenario, keep: opts.keep, date: opts.date, seed: opts.seed },
      ctx,
    );
  },
  render: {
    json: (r: DemoResult) => r,
    human(r: DemoResult, _opts, style) {
      const steps = {
        head: ['step', 'command', 'seconds', 'result'],
        rows: r.steps.map((s) => [s.name, s.command, (s.ms / 1000).toFixed(1), s.summary]),
      };
      if (style.mode === 'tsv')
        return formatPairs(
          [
            ['data_dir', r.dataDir],
            ['kept', r.kept],
          ],
          'tsv',
        );
      const where = r.kept
        ? `The demo lake is in ${r.dataDir}${r.temporary ? ' (a temporary directory, kept)' : ''}.`
        : `The demo used a temporary directory (${r.dataDir}), now removed; run with --keep to explore it.`;
      return [
        `futures demo: scenario ${r.scenario}, night ${r.night.from} → ${r.night.to} (session ${r.night.sessionDate})`,
        `simulator on ${r.simulator.host}:${r.simulator.port} (seed ${r.simulator.seed})`,
        '',
        formatTable(steps),
        `rows per instrument: ${Object.entries(r.collect.bySymbol)
          .map(([k, v]) => `${k} ${v}`)
          .join(', ')}`,
        `futures_snapshots files: ${r.compact.filesBefore} before compaction, ${r.compact.filesAfter} after`,
        '',
        where,
        'Next:',
        ...r.nextCommands.map((c) => `  ${c}`),
        '',
      ].join('\n');
    },
  },
});
