/**
 * argv → options for every `futures` command: commander's wiring and the command's schema, nothing run
 * (gh's TestNewCmdList). A row gives the options the command receives, or the usage error it reports.
 */
import { expect, it } from 'vitest';
import { futuresCommands } from '../../src/commands/futures/index.js';
import { type ArgvRow, argvTable } from './args-table.js';

const table = (command: string, rows: readonly ArgvRow[]) =>
  argvTable({ name: 'futures', commands: futuresCommands }, command, rows);

table('calendar', [
  ['calendar', {}],
  ['calendar --date 2026-04-03 --json', { date: '2026-04-03', json: true }],
  ['calendar --from 2026-11-23 --to 2026-11-29', { from: '2026-11-23', to: '2026-11-29' }],
  ['calendar --data-dir ./d -q --config c.json', { dataDir: './d', quiet: true, config: 'c.json' }],
  ['calendar --date 2026-04-03 --from 2026-04-01', /--date: use either --date or --from\/--to, not both/],
  ['calendar --from 2026-04-05 --to 2026-04-01', /--to: must not be before --from/],
  ['calendar --from 2020-01-01 --to 2026-01-01', /--to: the range may cover at most 1100 days/],
  ['calendar --date 2026-02-30', /--date: expected a date YYYY-MM-DD/],
  ['calendar --when today', /unknown option '--when'/],
]);

table('calendar is-open', [
  ['calendar is-open', {}],
  ["calendar is-open --at '2026-01-19 12:30'", { at: new Date('2026-01-19T17:30:00Z') }],
  ['calendar is-open --at 2026-03-08T23:00:00Z --json', { at: new Date('2026-03-08T23:00:00Z'), json: true }],
  ['calendar is-open --at soon', /--at: /],
]);

table('collect', [
  ['collect', { once: false, loop: false }],
  ['collect --once', { once: true, loop: false }],
  ['collect --rounds 3 --interval 5m', { once: false, loop: false, rounds: 3, interval: 300 }],
  ['collect --loop --interval 90', { once: false, loop: true, interval: 90 }],
  [
    'collect --symbols es,nq,es --client-id auto',
    { once: false, loop: false, symbols: ['ES', 'NQ'], clientId: 'auto' },
  ],
  [
    'collect --host gw --port 4001 --client-id 7',
    { once: false, loop: false, host: 'gw', port: 4001, clientId: 7 },
  ],
  ['collect --once --loop', /use only one of --once, --rounds, --until, --loop/],
  ['collect --symbols XX', /--symbols: /],
  ['collect --interval 2h', /--interval: expected whole seconds from 1 to 3600/],
]);

table('backfill', [
  ['backfill', { what: 'TRADES', missed: false }],
  ['backfill --bar 1day --days 100', { what: 'TRADES', missed: false, bar: '1day', days: 100 }],
  [
    'backfill --symbols ES --from 2026-03-02 --to 2026-03-06 --what MIDPOINT --missed',
    { symbols: ['ES'], from: '2026-03-02', to: '2026-03-06', what: 'MIDPOINT', missed: true },
  ],
  ['backfill --days 5 --from 2026-03-02', /--days: use either --days or --from\/--to/],
  ['backfill --from 2026-03-06 --to 2026-03-02', /--from: --from 2026-03-06 is after --to 2026-03-02/],
  ['backfill --bar 5min', /argument '5min' is invalid/],
  [
    'backfill --host gw.local --port 4001 --client-id 9 --days 2',
    { what: 'TRADES', missed: false, host: 'gw.local', port: 4001, clientId: 9, days: 2 },
  ],
  ['backfill --client-id auto', { what: 'TRADES', missed: false, clientId: 'auto' }],
  ['backfill --client-id -3', /--client-id: expected a whole number ≥ 0 or 'auto'/],
  ['backfill --port 70000', /--port: /],
]);

table('status', [
  ['status', {}],
  ['status --max-age 5m --json', { maxAge: 300, json: true }],
  ['status --tz America/Chicago', { tz: 'America/Chicago' }],
  ['status --tz CET5', /--tz: unknown time zone 'CET5'/],
  ['status --max-age never', /--max-age: expected a duration such as 90s, 5m, 1h/],
]);

table('demo', [
  ['demo', { scenario: 'calm', keep: false, temp: false, seed: 7 }],
  [
    'demo --dir ./demo --scenario selloff --seed 3 --keep',
    { dir: './demo', scenario: 'selloff', seed: 3, keep: true, temp: false },
  ],
  ['demo --date 2026-3-10', /--date: expected a date YYYY-MM-DD/],
  ['demo --date 2026-02-30', /--date: expected a date YYYY-MM-DD in 1970–2199/],
  ['demo --data-dir ./d', { dataDir: './d', scenario: 'calm', keep: false, temp: false, seed: 7 }],
  [
    'demo --dir ./d --data-dir ./d',
    { dir: './d', dataDir: './d', scenario: 'calm', keep: false, temp: false, seed: 7 },
  ],
  ['demo --temp --keep --json', { temp: true, keep: true, json: true, scenario: 'calm', seed: 7 }],
  ['demo --dir ./a --data-dir ./b', /--dir: --dir and --data-dir name different directories/],
  ['demo --temp --data-dir ./b', /--temp: --temp makes its own directory/],
]);

table('dashboard', [
  ['dashboard', { port: 8787, host: '127.0.0.1', open: false }],
  ['dashboard --port 0 --host 0.0.0.0 --open', { port: 0, host: '0.0.0.0', open: true }],
  ['dashboard --port 70000', /--port: /],
  ['dashboard --port web', /--port: /],
]);

table('report', [
  ['report --html out.html', { html: 'out.html' }],
  ['report --html out.html --date 2026-03-10 --json', { html: 'out.html', date: '2026-03-10', json: true }],
  ['report', /--html: give the HTML file to write/],
  ['report --html out.html --date 2026-02-30', /--date: expected a date YYYY-MM-DD/],
]);

table('gateway', [
  ['gateway', { host: '127.0.0.1', speed: 1, schedule: 'realistic' }],
  [
    'gateway --port 0 --scenario selloff --seed 7 --speed 60 --start 2026-10-14T19:00:00-04:00',
    {
      host: '127.0.0.1',
      port: 0,
      scenario: 'selloff',
      seed: 7,
      speed: 60,
      start: new Date('2026-10-14T23:00:00Z'),
      schedule: 'realistic',
    },
  ],
  ['gateway --schedule none', { host: '127.0.0.1', speed: 1, schedule: 'none' }],
  ['gateway --schedule weekly', /--schedule: /],
  ['gateway --port 70000', /--port: /],
  ['gateway --start tomorrow', /--start: 'tomorrow' is not a time/],
  // A naive --start is ET like every other time flag (it was the machine's local zone).
  [
    "gateway --start '2026-10-14 19:00'",
    { host: '127.0.0.1', speed: 1, schedule: 'realistic', start: new Date('2026-10-14T23:00:00Z') },
  ],
]);

table('import', [
  [
    'import bars.csv',
    { file: 'bars.csv', table: 'futures_bars', skipBad: false, dryRun: false, tz: 'America/New_York' },
  ],
  [
    "import es.csv --symbol ' es ' --tz America/Chicago --map DATE=ts --bar-size '1 day' --skip-bad --dry-run",
    {
      file: 'es.csv',
      table: 'futures_bars',
      symbol: 'ES',
      tz: 'America/Chicago',
      map: 'DATE=ts',
      barSize: '1 day',
      skipBad: true,
      dryRun: true,
    },
  ],
  [
    'import q.parquet --table futures_snapshots',
    { file: 'q.parquet', table: 'futures_snapshots', skipBad: false, dryRun: false, tz: 'America/New_York' },
  ],
  [
    'import q.csv --on-conflict last',
    {
      file: 'q.csv',
      table: 'futures_bars',
      onConflict: 'last',
      skipBad: false,
      dryRun: false,
      tz: 'America/New_York',
    },
  ],
  ['import q.csv --on-conflict newest', /argument 'newest' is invalid/],
  ['import', /missing required argument 'file'/],
  ['import q.csv --table ticks', /argument 'ticks' is invalid/],
]);

table('table info', [
  ['table info futures_bars', { table: 'futures_bars' }],
  [
    'table info futures_bars --lake s3://lake-bucket/prod',
    { table: 'futures_bars', lake: 's3://lake-bucket/prod' },
  ],
  ['table info', /missing required argument 'table'/],
]);

table('table history', [
  ['table history futures_bars', { table: 'futures_bars' }],
  ['table history ./t --limit 5 --json', { table: './t', limit: 5, json: true }],
  ['table history t --limit 0', /--limit: /],
  ['table history t --tz UTC', { table: 't', tz: 'UTC' }],
]);

table('table scan', [
  ['table scan t', { table: 't' }],
  [
    'table scan t --order ts:desc --tail 10 --tz UTC --format table',
    { table: 't', order: { column: 'ts', descending: true }, tail: 10, tz: 'UTC', format: 'table' },
  ],
  ['table scan t --order symbol', { table: 't', order: { column: 'symbol', descending: false } }],
  ['table scan t --order ts:up', /--order: expected <column> or <column>:desc/],
  ['table scan t --tail 5 --limit 5', /--tail: give either --limit or --tail, not both/],
  ['table scan t --tz Mars/Base', /--tz: unknown time zone 'Mars\/Base'/],
  // One time-zone rule: a naive --timestamp is ET (10:00 EDT = 14:00Z), as --as-of is.
  [
    "table scan t --timestamp '2026-03-10 10:00'",
    { table: 't', timestamp: new Date('2026-03-10T14:00:00Z') },
  ],
  [
    [
      'table',
      'scan',
      't',
      '--version',
      '3',
      '--where',
      "symbol = 'ES'",
      '--columns',
      'ts, close',
      '--limit',
      '10',
      '--format',
      'csv',
    ],
    {
      table: 't',
      version: 3,
      where: "symbol = 'ES'",
      columns: ['ts', 'close'],
      limit: 10,
      format: 'csv',
    },
  ],
  [
    'table scan t --timestamp 2026-03-10T00:00:00Z',
    { table: 't', timestamp: new Date('2026-03-10T00:00:00Z') },
  ],
  [
    "table scan t --version 1 --timestamp '2026-03-10 00:00'",
    /--timestamp: give either --version or --timestamp, not both/,
  ],
  ['table scan t --columns ,', /--columns: expected column names separated by commas/],
]);

table('table verify', [
  ['table verify t', { table: 't', allCheckpoints: false, deep: false }],
  ['table verify t --all-checkpoints', { table: 't', allCheckpoints: true, deep: false }],
  ['table verify t --deep', { table: 't', allCheckpoints: false, deep: true }],
]);

// Review finding 10: an empty or non-decimal numeric flag is a usage error, never 0 (or 16, or 1000).
table('numeric flags', [
  [['table', 'scan', 't', '--version', ''], /--version: expected a whole number, got an empty value/],
  [['table', 'scan', 't', '--version', ' '], /--version: expected a whole number, got an empty value/],
  [['table', 'scan', 't', '--limit', ''], /--limit: expected a whole number/],
  [['table', 'scan', 't', '--limit', '0x10'], /--limit: expected a whole number, got '0x10'/],
  [['table', 'scan', 't', '--version', '1.5'], /--version: expected a whole number/],
  [['table', 'history', 't', '--limit', '1e3'], /--limit: expected a whole number/],
  [['gateway', '--port', ''], /--port: expected a whole number/],
  [['gateway', '--seed', ''], /--seed: expected a whole number/],
  [['gateway', '--speed', ''], /--speed: expected a decimal number/],
  [['demo', '--seed', ''], /--seed: expected a whole number/],
  [['collect', '--client-id', '1e3'], /--client-id: expected a whole number/],
  [['collect', '--rounds', ''], /--rounds: expected a whole number/],
  [['collect', '--port', '0x10'], /--port: expected a whole number/],
  [['backfill', '--days', ''], /--days: expected a whole number/],
]);

table('table repair', [
  ['table repair t', { table: 't', apply: false }],
  ['table repair t --apply --json', { table: 't', apply: true, json: true }],
  ['table repair', /missing required argument 'table'/],
  ['table repair t --fix', /unknown option '--fix'/],
]);

table('compact', [
  ['compact', { tables: [], vacuum: false, forceRetention: false, dryRun: false }],
  [
    'compact futures_snapshots futures_bars --target-size 64MiB',
    {
      tables: ['futures_snapshots', 'futures_bars'],
      targetSize: 64 * 1024 * 1024,
      vacuum: false,
      forceRetention: false,
      dryRun: false,
    },
  ],
  [
    ['compact', 't', '--partition', "trade_date < '2026-11-20'"],
    {
      tables: ['t'],
      partition: "trade_date < '2026-11-20'",
      vacuum: false,
      forceRetention: false,
      dryRun: false,
    },
  ],
  [
    'compact --vacuum --retain 14d --force-retention --dry-run',
    { tables: [], vacuum: true, retain: 14 * 86_400_000, forceRetention: true, dryRun: true },
  ],
  [
    "compact --vacuum --retain 'interval 1 week'",
    { tables: [], vacuum: true, retain: 7 * 86_400_000, forceRetention: false, dryRun: false },
  ],
  ['compact --vacuum --retain 90', /--retain: cannot read duration '90'/],
  ['compact --retain 7d', /--retain: --retain only applies with --vacuum/],
  ['compact --force-retention', /--force-retention: --force-retention only applies with --vacuum/],
  ['compact --target-size 0', /--target-size: the target size must be greater than 0/],
  ['compact --target-size huge', /--target-size: cannot read size 'huge'/],
]);

table('queue rebuild', [
  ['queue rebuild', { force: false }],
  ['queue rebuild --force --json', { force: true, json: true }],
  ['queue rebuild --bogus', /unknown option '--bogus'/],
]);

table('table files', [
  ['table files t', { table: 't', format: 'list' }],
  ['table files t --version 3 --format duckdb', { table: 't', version: 3, format: 'duckdb' }],
  [
    'table files t --timestamp 2026-01-02T15:00:00Z',
    { table: 't', timestamp: new Date('2026-01-02T15:00:00Z'), format: 'list' },
  ],
  ['table files t --version 3 --timestamp 2026-01-02', /give either --version or --timestamp/],
  ['table files t --version ""', /--version: expected a whole number/],
  ['table files t --format spark', /Allowed choices are list, json, duckdb, polars, pyarrow/],
  ['table files', /missing required argument 'table'/],
]);

table('table manifest', [
  ['table manifest t', { table: 't', enable: false }],
  ['table manifest t --enable --json', { table: 't', enable: true, json: true }],
  ['table manifest', /missing required argument 'table'/],
]);

table('completion', [
  ['completion bash', { shell: 'bash' }],
  ['completion zsh --json', { shell: 'zsh', json: true }],
  ['completion fish', /<shell>: /],
  ['completion', /missing required argument 'shell'/],
]);

it('has a table for every futures command', () => {
  const covered = [
    'calendar',
    'calendar is-open',
    'collect',
    'backfill',
    'status',
    'demo',
    'dashboard',
    'report',
    'gateway',
    'import',
    'table info',
    'table history',
    'table scan',
    'table verify',
    'table files',
    'table manifest',
    'table repair',
    'compact',
    'queue rebuild',
    'completion',
  ];
  expect(futuresCommands.map((c) => c.path.join(' ')).sort()).toEqual(covered.sort());
});
