import { z } from 'zod';
import type { DemoResult } from '../../app/demo.js';
import { defineCommand, globalOptionsShape } from '../../cli/command.js';
import { ExitCode } from '../../cli/exit.js';
import { integerFlag } from '../../cli/numbers.js';
import { formatPairs, formatTable } from '../../cli/output.js';
import { etParts, INPUT_DATE_MESSAGE, isInputDate } from '../../market/index.js';

const SCENARIOS = ['calm', 'selloff', 'gap-up'] as const;

const schema = z
  .object({
    ...globalOptionsShape,
    dir: z.string().min(1).optional(),
    temp: z.boolean().default(false),
    scenario: z.enum(SCENARIOS).default('calm'),
    keep: z.boolean().default(false),
    date: z.string().refine(isInputDate, INPUT_DATE_MESSAGE).optional(),
    seed: integerFlag().pipe(z.number().min(0)).default(7),
  })
  .superRefine((opts, ctx) => {
    if (opts.dir !== undefined && opts.dataDir !== undefined && opts.dir !== opts.dataDir)
      ctx.addIssue({
        code: 'custom',
        path: ['dir'],
        message: '--dir and --data-dir name different directories; give one',
      });
    if (opts.temp && (opts.dir ?? opts.dataDir) !== undefined)
      ctx.addIssue({
        code: 'custom',
        path: ['temp'],
        message: '--temp makes its own directory; leave out --dir/--data-dir',
      });
  });

/** "Thu 2026-12-03 18:00 ET" */
function etLabel(iso: string): string {
  const p = etParts(new Date(iso));
  return `${WEEKDAYS[p.weekday]} ${p.date} ${p.time} ET`;
}
const WEEKDAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];

/** What the demo did, where the lake is and what to run next. */
export function demoSummary(r: DemoResult, width: number | undefined): string {
  const steps = {
    head: ['step', 'command', 'seconds', 'result'],
    rows: r.steps.map((s) => [s.name, s.command, (s.ms / 1000).toFixed(1), s.summary]),
  };
  const where = !r.kept
    ? `The demo used a temporary directory (${r.dataDir}), now removed.`
    : r.temporary
      ? `The demo lake is in ${r.dataDir} (a temporary directory, kept).`
      : `The demo lake is in ${r.dataDir}${r.rebuilt ? ' (rebuilt: the earlier demo lake there was replaced)' : ''}; running the demo again rebuilds it.`;
  return [
    `futures demo: scenario ${r.scenario}, night ${etLabel(r.night.from)} → ${etLabel(r.night.to)} (session ${r.night.sessionDate})`,
    `simulator on ${r.simulator.host}:${r.simulator.port} (seed ${r.simulator.seed})`,
    '',
    formatTable(steps, { width }),
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
}

export const futuresDemoCommand = defineCommand({
  path: ['demo'],
  summary: 'run the whole system on the built-in IB Gateway simulator (no IB account needed)',
  description:
    'Starts the IB Gateway simulator on a free loopback port, backfills daily history and the previous ' +
    'session, collects a simulated night (18:00 → 09:25 ET, 1-minute slots) at accelerated time, ' +
    'compacts the lake and runs both signals as of 09:25 ET. ' +
    'Builds the lake in ./demo-data, or --dir/--data-dir DIR, and keeps it; a directory an earlier demo built is ' +
    'rebuilt, and a non-empty directory the demo did not build (a real lake) is refused, exit 2. --temp uses a ' +
    'temporary directory, removed afterwards unless --keep. The night is the latest one already over (before ' +
    '09:25 ET, on weekends and holidays: an earlier session). Prints what it did, where the data is and what to try next.',
  examples: [
    'futures demo',
    'futures demo --scenario selloff',
    'futures demo --temp --json',
    'futures demo --dir ./demo-data --scenario gap-up --json',
  ],
  flags: [
    {
      flags: '--dir <dir>',
      description: 'data directory for the demo lake (same as --data-dir; kept afterwards)',
      defaultDescription: './demo-data',
    },
    { flags: '--temp', description: 'use a temporary directory, removed afterwards unless --keep' },
    {
      flags: '--scenario <name>',
      description: 'simulated night',
      choices: SCENARIOS,
      defaultDescription: 'calm',
    },
    {
      flags: '--keep',
      description: 'with --temp: keep the temporary directory and print commands to explore it',
    },
    {
      flags: '--date <date>',
      description: 'NYSE session the night leads into',
      defaultDescription: 'the latest whose night is over',
    },
    { flags: '--seed <n>', description: 'seed of the simulated market', defaultDescription: '7' },
  ],
  schema,
  jsonSchemaId: 'futures.demo/v1',
  exitCodes: [ExitCode.data, ExitCode.busy],
  async run(opts, ctx) {
    const { runDemo } = await import('../../app/demo.js');
    const { invocations } = await import('../../cli/invocation.js');
    const result = await runDemo(
      {
        dir: opts.dir ?? opts.dataDir,
        temporary: opts.temp,
        scenario: opts.scenario,
        keep: opts.keep,
        date: opts.date,
        seed: opts.seed,
        invocation: invocations({ script: process.argv[1], env: ctx.env, cwd: ctx.cwd }),
      },
      ctx,
    );
    // Piped stdout gets the data dir as TSV; the person at the terminal still sees what happened.
    if (!opts.json && !opts.quiet && ctx.stdout.isTTY !== true)
      ctx.stderr.write(demoSummary(result, undefined));
    return result;
  },
  render: {
    json: (r: DemoResult) => r,
    human(r: DemoResult, _opts, style) {
      if (style.mode === 'tsv')
        return formatPairs(
          [
            ['data_dir', r.dataDir],
            ['kept', r.kept],
          ],
          'tsv',
        );
      return demoSummary(r, style.width);
    },
  },
});
