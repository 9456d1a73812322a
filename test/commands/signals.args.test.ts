/** argv → options for every `signals` command (see futures.args.test.ts). */
import { describe, expect, it } from 'vitest';
import { signalsCommands } from '../../src/commands/signals/index.js';
import { parseEvery } from '../../src/commands/signals/regime.js';
import { type ArgvRow, argvTable } from './args-table.js';

const table = (command: string, rows: readonly ArgvRow[]) =>
  argvTable({ name: 'signals', commands: signalsCommands }, command, rows);

table('premarket', [
  ['premarket', {}],
  [
    'premarket --json --vix 18.5 --regime bullish --symbols ES,NQ',
    { json: true, vix: 18.5, regime: 'bullish', symbols: 'ES,NQ' },
  ],
  ["premarket --as-of '2026-03-10 09:25' --record", { asOf: '2026-03-10 09:25', record: true }],
  ['premarket --no-record', { record: false }],
  ['premarket --from 2026-01-05 --to 2026-03-06', { from: '2026-01-05', to: '2026-03-06' }],
  // A replay under --json prints JSON Lines (no longer refused); --tz picks the zone of human times.
  [
    'premarket --from 2026-01-05 --to 2026-03-06 --json',
    { from: '2026-01-05', to: '2026-03-06', json: true },
  ],
  ['premarket --tz UTC --no-color', { tz: 'UTC', color: false }],
  ['premarket --color', { color: true }],
  ['premarket --tz Mars/Base', /--tz: unknown time zone 'Mars\/Base'/],
  ['premarket --vix -3', /--vix: must be a VIX level of at least 1/],
  ['premarket --vix 0.000001', /--vix: must be a VIX level of at least 1/],
  ['premarket --vix high', /--vix: /],
  [['premarket', '--vix', ''], /--vix: expected a decimal number, got an empty value/],
  [['premarket', '--vix', '0x10'], /--vix: expected a decimal number/],
  ['premarket --from 2026-1-5', /--from: expected a date YYYY-MM-DD/],
  ['premarket --regime sideways', /argument 'sideways' is invalid/],
  ['premarket --every 5m', /unknown option '--every'/],
]);

table('regime', [
  ['regime', { every: '5m' }],
  ['regime --json --fail-on warning', { every: '5m', json: true, failOn: 'warning' }],
  [
    'regime --from 2026-03-02 --to 2026-03-06 --every 90',
    { every: '90', from: '2026-03-02', to: '2026-03-06' },
  ],
  ["regime --as-of '2026-03-10 03:00' --vix 24", { every: '5m', asOf: '2026-03-10 03:00', vix: 24 }],
  ['regime --fail-on normal', /argument 'normal' is invalid/],
]);

const EVALUATE_DEFAULTS = {
  at: '09:25',
  every: '5m',
  checksFrom: '04:00',
  drawdown: 2,
  alertLevel: 'warning',
  naiveMove: 0.5,
};

table('evaluate', [
  [
    'evaluate --from 2022-01-03 --to 2022-12-30',
    { ...EVALUATE_DEFAULTS, from: '2022-01-03', to: '2022-12-30' },
  ],
  [
    'evaluate --from 2023-03-01 --to 2023-03-24 --at 08:00 --every 10m --checks-from 00:30 --json',
    {
      ...EVALUATE_DEFAULTS,
      from: '2023-03-01',
      to: '2023-03-24',
      at: '08:00',
      every: '10m',
      checksFrom: '00:30',
      json: true,
    },
  ],
  [
    'evaluate --from 2022-01-03 --to 2022-01-31 --symbols NQ --reference NQ --drawdown 1.5 --alert-level watch --naive-move 1',
    {
      ...EVALUATE_DEFAULTS,
      from: '2022-01-03',
      to: '2022-01-31',
      symbols: 'NQ',
      reference: 'NQ',
      drawdown: 1.5,
      alertLevel: 'watch',
      naiveMove: 1,
    },
  ],
  ['evaluate --to 2022-01-31', /--from/],
  ['evaluate --from 2022-01-03 --to 2022-1-31', /--to: expected a date YYYY-MM-DD/],
  ['evaluate --from 2022-01-03 --to 2022-01-31 --at 9:25', /--at: expected an ET time HH:MM/],
  ['evaluate --from 2022-01-03 --to 2022-01-31 --drawdown -2', /--drawdown: must be a positive percent/],
  ['evaluate --from 2022-01-03 --to 2022-01-31 --alert-level normal', /argument 'normal' is invalid/],
  ['evaluate --from 2022-01-03 --to 2022-01-31 --reference SPX', /argument 'SPX' is invalid/],
  ['evaluate --from 2022-01-03 --to 2022-01-31 --as-of 2022-01-05', /unknown option '--as-of'/],
]);

it('has a table for every signals command', () => {
  expect(signalsCommands.map((c) => c.path.join(' ')).sort()).toEqual(['evaluate', 'premarket', 'regime']);
});

describe('regime --every', () => {
  it.each([
    ['5m', 300_000],
    ['120', 120_000],
    ['90s', 90_000],
    ['30', /--every must be between 1m and 24h/],
    ['1h30m', 5_400_000],
    ['24h', 86_400_000],
    ['25h', /--every must be between 1m and 24h/],
    ['soon', /--every: 'soon' is not a duration; use e.g. 5m, 90s or 1h./],
  ] as const)('%s', (every, expected) => {
    if (expected instanceof RegExp) expect(() => parseEvery(every)).toThrow(expected);
    else expect(parseEvery(every)).toBe(expected);
  });
});
