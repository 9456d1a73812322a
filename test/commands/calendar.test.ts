import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runProgram } from '../../src/cli/program.js';
import { futuresCalendarCommand, futuresCalendarIsOpenCommand } from '../../src/commands/futures/calendar.js';
import { runBin } from '../helpers/bin.js';
import { testCtx } from '../helpers/ctx.js';

const spec = {
  name: 'futures' as const,
  description: 'test',
  commands: [futuresCalendarCommand, futuresCalendarIsOpenCommand],
};

const dir = mkdtempSync(join(tmpdir(), 'calendar-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function run(argv: string[], options: { tty?: boolean; now?: string } = {}) {
  const ctx = testCtx({
    tty: options.tty ?? false,
    now: () => new Date(options.now ?? '2026-03-10T13:00:00Z'),
  });
  const code = await runProgram(spec, argv, ctx);
  return { code, stdout: ctx.stdout.text(), stderr: ctx.stderr.text() };
}

describe('futures calendar', () => {
  it('defaults to today (ET) and the next 6 days, tab-separated when piped', async () => {
    // 2026-03-10T03:00Z is still Monday 03-09 in ET.
    const r = await run(['calendar'], { now: '2026-03-10T03:00:00Z' });
    expect(r.code).toBe(0);
    const lines = r.stdout.split('\n').slice(0, -1);
    expect(lines).toHaveLength(7);
    expect(lines[0]).toBe('2026-03-09\tMon\t09:30–16:00\tSun 18:00 – Mon 17:00\tMon 17:00 – Mon 18:00\t');
    expect(lines[4]).toBe('2026-03-13\tFri\t09:30–16:00\tThu 18:00 – Fri 17:00\tFri 17:00 – Sun 18:00\t');
    expect(lines[6]).toBe('2026-03-15\tSun\tweekend\tweekend\t\t');
  });

  it('prints holidays, halts and early closes as a table on a terminal', async () => {
    const r = await run(['calendar', '--from', '2025-12-24', '--to', '2025-12-26'], { tty: true });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('CME equity session (ET)');
    expect(r.stdout).toMatch(
      /2025-12-24 .*09:30–13:00 early close.*Tue 18:00 – Wed 13:15 early close.*Wed 13:15 – Thu 18:00.*Christmas Eve/,
    );
    expect(r.stdout).toMatch(/2025-12-25 .*closed.*closed.*Christmas Day/);
  });

  it('--date gives one day as the futures.calendar/v1 JSON document', async () => {
    const r = await run(['calendar', '--date', '2026-01-19', '--json']);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    expect(JSON.parse(r.stdout)).toEqual({
      schema: 'futures.calendar/v1',
      timeZone: 'America/New_York',
      from: '2026-01-19',
      to: '2026-01-19',
      days: [
        {
          date: '2026-01-19',
          weekday: 'Mon',
          nyse: { status: 'closed', open: null, close: null, note: 'Martin Luther King Jr. Day' },
          cme: {
            tradeDate: '2026-01-19',
            status: 'holiday_halt',
            open: '2026-01-18T18:00:00-05:00',
            close: '2026-01-19T13:00:00-05:00',
            halts: [],
            closedAfter: { start: '2026-01-19T13:00:00-05:00', end: '2026-01-19T18:00:00-05:00' },
            note: 'Martin Luther King Jr. Day',
            source: 'rule',
          },
        },
      ],
    });
  });

  it('shows the pre-2021 16:15 pause and warns outside the checked years', async () => {
    const r = await run(['calendar', '--date', '2012-03-06']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('pause 16:15–16:30');
    expect(r.stderr).toContain('warning: the calendar rules are checked for 2015–2030');
  });

  it.each([
    [['calendar', '--date', '2026-02-30'], '--date: expected a date YYYY-MM-DD'],
    [['calendar', '--from', '03/10/2026'], '--from: expected a date YYYY-MM-DD'],
    [
      ['calendar', '--date', '2026-03-10', '--from', '2026-03-09'],
      '--date: use either --date or --from/--to',
    ],
    [['calendar', '--from', '2026-03-10', '--to', '2026-03-01'], '--to: must not be before --from'],
    [
      ['calendar', '--from', '2026-01-01', '--to', '2029-12-31'],
      '--to: the range may cover at most 1100 days',
    ],
    [['calendar', '--to', '2031-01-01'], '--to 2031-01-01 gives a range of'],
  ])('%j is a usage error naming the flag', async (argv, message) => {
    const r = await run(argv);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain(message);
  });

  it('applies config overrides and rejects bad ones with exit 2 naming the key', async () => {
    const good = join(dir, 'good.json');
    writeFileSync(
      good,
      JSON.stringify({
        calendar: {
          overrides: [{ date: '2026-03-11', kind: 'holiday', cmeClose: '09:30', note: 'Day of Mourning X' }],
        },
      }),
    );
    const r = await run(['calendar', '--date', '2026-03-11', '--config', good]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(
      '2026-03-11\tWed\tclosed\tTue 18:00 – Wed 09:30 holiday halt\tWed 09:30 – Wed 18:00\tDay of Mourning X\n',
    );

    const weekend = join(dir, 'weekend.json');
    writeFileSync(
      weekend,
      JSON.stringify({ calendar: { overrides: [{ date: '2026-03-14', kind: 'closed' }] } }),
    );
    const bad = await run(['calendar', '--config', weekend]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('calendar.overrides');
    expect(bad.stderr).toContain('weekend');

    const badKind = join(dir, 'kind.json');
    writeFileSync(
      badKind,
      JSON.stringify({ calendar: { overrides: [{ date: '2026-03-13', kind: 'halt_1400' }] } }),
    );
    const r2 = await run(['calendar', '--config', badKind]);
    expect(r2.code).toBe(2);
    expect(r2.stderr).toContain('calendar.overrides');
  });
});

describe('futures calendar is-open', () => {
  it('exits 0 when open and prints a tab-separated status row', async () => {
    const r = await run(['calendar', 'is-open', '--at', '2026-01-19 12:30']);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('open\topen\t2026-01-19\trth\t2026-01-19T13:00:00-05:00\n');
  });

  it('exits 1 when closed, naming the reason and the next open', async () => {
    const r = await run(['calendar', 'is-open', '--at', '2026-01-19 13:30'], { tty: true });
    expect(r.code).toBe(1);
    expect(r.stdout).toBe(
      'CME equity is CLOSED at 2026-01-19 13:30 ET (holiday: Martin Luther King Jr. Day; opens 2026-01-19 18:00 ET for trade date 2026-01-20)\n',
    );
    expect(r.stderr).toBe('');
  });

  it('uses the injected clock without --at', async () => {
    const open = await run(['calendar', 'is-open'], { now: '2026-03-10T13:00:00Z', tty: true });
    expect(open.code).toBe(0);
    expect(open.stdout).toBe(
      'CME equity is OPEN at 2026-03-10 09:00 ET (trade date 2026-03-10, overnight; closes 2026-03-10 17:00 ET)\n',
    );
    const closed = await run(['calendar', 'is-open'], { now: '2026-03-14T13:00:00Z' });
    expect(closed.code).toBe(1);
    expect(closed.stdout).toBe('closed\tweekend\t2026-03-16\t\t2026-03-15T18:00:00-04:00\n');
  });

  // `calendar` is both a command and the parent of `is-open`: without program.enablePositionalOptions()
  // in src/cli/program.ts the parent swallows --json (see the report to the lead).
  it('prints the futures.calendar.is-open/v1 document under --json', async () => {
    const r = await run(['calendar', 'is-open', '--at', '2025-12-24T18:30:00Z', '--json']);
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout)).toEqual({
      schema: 'futures.calendar.is-open/v1',
      at: '2025-12-24T13:30:00-05:00',
      open: false,
      reason: 'early_close',
      tradeDate: '2025-12-26',
      segment: null,
      nextOpen: '2025-12-25T18:00:00-05:00',
      closesAt: null,
      note: 'Christmas Eve',
    });
  });

  it.each([
    [['--at', 'tomorrow'], '--at: '],
    [['--at', '2026-03-08 02:30'], '--at: 2026-03-08 02:30 does not exist in America/New_York'],
    [['--at', '2026-02-30 10:00'], '--at: '],
  ])('%j is a usage error (exit 2) naming --at', async (args, message) => {
    const r = await run(['calendar', 'is-open', ...args]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(message);
  });
});

describe('built binary', () => {
  it('futures calendar is-open exits 0 open, 1 closed, 2 on a bad --at', async () => {
    const open = await runBin('futures', ['calendar', 'is-open', '--at', '2026-03-10T14:00:00Z']);
    expect(open).toMatchObject({
      exitCode: 0,
      stdout: 'open\topen\t2026-03-10\trth\t2026-03-10T17:00:00-04:00',
    });
    const closed = await runBin('futures', ['calendar', 'is-open', '--at', '2026-03-10 17:30']);
    expect(closed).toMatchObject({
      exitCode: 1,
      stdout: 'closed\thalt\t2026-03-11\t\t2026-03-10T18:00:00-04:00',
    });
    expect(closed.stderr).toBe('');
    const bad = await runBin('futures', ['calendar', 'is-open', '--at', 'soon']);
    expect(bad.exitCode).toBe(2);
    expect(bad.stdout).toBe('');
    expect(bad.stderr).toContain('--at');
  });

  // Needs program.enablePositionalOptions() in src/cli/program.ts (see the in-process --json test above).
  it('futures calendar is-open --json prints one JSON document and still exits 1 when closed', async () => {
    const closed = await runBin('futures', ['calendar', 'is-open', '--at', '2026-03-10 17:30', '--json']);
    expect(closed.exitCode).toBe(1);
    expect(JSON.parse(closed.stdout)).toMatchObject({
      schema: 'futures.calendar.is-open/v1',
      open: false,
      reason: 'halt',
    });
  });
});
