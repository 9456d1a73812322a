/**
 * The systemd timers in examples/systemd/ are cron.example in another form: the same commands, and the
 * same instants on US Eastern time across a week with a DST change. The unit files are parsed here; where
 * systemd-analyze exists it also verifies them and computes the timers' elapse times.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { etParts } from '../../src/market/index.js';
import { ROOT } from '../helpers/bin.js';

const DIR = join(ROOT, 'examples', 'systemd');

type Unit = Map<string, Map<string, string[]>>;

/** A unit file as section → key → values (a key may repeat, e.g. OnCalendar=). */
function parseUnit(text: string): Unit {
  const unit: Unit = new Map();
  let section: Map<string, string[]> | undefined;
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
    const header = /^\[([A-Za-z]+)\]$/.exec(line);
    if (header) {
      section = new Map();
      unit.set(header[1] as string, section);
      continue;
    }
    const kv = /^([A-Za-z]+)=(.*)$/.exec(line);
    if (!kv || !section) throw new Error(`not a unit-file line: ${line}`);
    const values = section.get(kv[1] as string) ?? [];
    values.push(kv[2] as string);
    section.set(kv[1] as string, values);
  }
  return unit;
}

/** The command part of each crontab entry, with its five schedule fields. */
function cronEntries(crontab: string): Array<{ fields: string[]; command: string }> {
  return crontab
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#') && !/^[A-Z_]+=/.test(l))
    .map((l) => {
      const parts = l.split(/\s+/);
      return { fields: parts.slice(0, 5), command: parts.slice(5).join(' ') };
    });
}

function fieldMatches(field: string, value: number): boolean {
  return field.split(',').some((part) => {
    const [range, stepText] = part.split('/');
    const step = stepText === undefined ? 1 : Number(stepText);
    let low: number;
    let high: number;
    if (range === '*') [low, high] = [0, 59];
    else if (range?.includes('-')) [low, high] = range.split('-').map(Number) as [number, number];
    else [low, high] = [Number(range), stepText === undefined ? Number(range) : 59];
    return value >= low && value <= high && (value - low) % step === 0;
  });
}

/** Minutes in [from, from + minutes) at which a CRON_TZ=America/New_York entry fires. */
function cronInstants(fields: string[], from: Date, minutes: number): number[] {
  const [m, h, dom, mon, dow] = fields as [string, string, string, string, string];
  const out: number[] = [];
  for (let i = 0; i < minutes; i++) {
    const t = from.getTime() + i * 60_000;
    const p = etParts(new Date(t));
    if (
      fieldMatches(m, p.minute) &&
      fieldMatches(h, p.hour) &&
      fieldMatches(dom, p.day) &&
      fieldMatches(mon, p.month) &&
      fieldMatches(dow, p.weekday)
    )
      out.push(t);
  }
  return out;
}

/** The command of a service's ExecStart, as the crontab spells it. */
function commandOf(execStart: string): string {
  const sh = /^\/bin\/sh -c '(.*)'$/.exec(execStart);
  if (sh) return sh[1] as string;
  return execStart.replace(/^\/usr\/bin\/env /, '');
}

function hasSystemdAnalyze(): boolean {
  try {
    execFileSync('systemd-analyze', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

const timers = readdirSync(DIR).filter((f) => f.endsWith('.timer'));
const units = new Map(timers.map((t) => [t, parseUnit(readFileSync(join(DIR, t), 'utf8'))]));
const services = new Map(
  timers.map((t) => {
    const name = t.replace(/\.timer$/, '.service');
    return [t, parseUnit(readFileSync(join(DIR, name), 'utf8'))];
  }),
);
const cron = cronEntries(readFileSync(join(ROOT, 'cron.example'), 'utf8'));

describe('systemd timers for the cron.example schedule', () => {
  it('each timer has a service, every OnCalendar names America/New_York, AccuracySec is 1s', () => {
    expect(timers.length).toBeGreaterThanOrEqual(7);
    for (const [name, unit] of units) {
      const calendars = unit.get('Timer')?.get('OnCalendar') ?? [];
      expect(calendars.length, name).toBeGreaterThan(0);
      for (const c of calendars) expect(c, name).toMatch(/ America\/New_York$/);
      expect(unit.get('Timer')?.get('AccuracySec'), name).toEqual(['1s']);
      expect(unit.get('Install')?.get('WantedBy'), name).toEqual(['timers.target']);
      const service = services.get(name);
      expect(service?.get('Service')?.get('Type'), name).toEqual(['oneshot']);
      expect(service?.get('Service')?.get('ExecStart')?.length, name).toBe(1);
    }
  });

  it('the services run exactly the commands of cron.example', () => {
    const fromTimers = new Set(
      [...services.values()].map((s) => commandOf(s.get('Service')?.get('ExecStart')?.[0] ?? '')),
    );
    expect(fromTimers).toEqual(new Set(cron.map((e) => e.command)));
  });

  it.runIf(hasSystemdAnalyze())(
    'systemd-analyze verifies the units and elapses them at the cron instants across a DST weekend',
    () => {
      const files = readdirSync(DIR)
        .filter((f) => /\.(service|timer)$/.test(f))
        .map((f) => join(DIR, f));
      files.push(join(ROOT, 'examples', 'futures-collect.service'));
      execFileSync('systemd-analyze', ['verify', '--man=no', ...files], { stdio: 'pipe' });
      // Friday 2026-03-06 12:00 ET to Tuesday 00:00: the Friday close, Saturday's vacuum, the spring-forward
      // Sunday and its 18:00 open, and a whole Monday (kept short: systemd-analyze lists every elapse).
      const base = new Date('2026-03-06T17:00:00Z');
      const minutes = 3.5 * 24 * 60;
      for (const [name, unit] of units) {
        const command = commandOf(services.get(name)?.get('Service')?.get('ExecStart')?.[0] ?? '');
        const expected = cron
          .filter((e) => e.command === command)
          .flatMap((e) => cronInstants(e.fields, base, minutes))
          .sort((a, b) => a - b);
        const got: number[] = [];
        for (const calendar of unit.get('Timer')?.get('OnCalendar') ?? []) {
          const out = execFileSync(
            'systemd-analyze',
            [
              'calendar',
              // One second before: the base instant itself is not an elapse.
              `--base-time=@${base.getTime() / 1000 - 1}`,
              `--iterations=${expected.length + 1}`,
              calendar,
            ],
            { encoding: 'utf8', env: { ...process.env, TZ: 'UTC', LC_ALL: 'C' } },
          );
          for (const match of out.matchAll(/(?:Next elapse|Iter\. #\d+): \w{3} (\S+ \S+) UTC/g))
            got.push(Date.parse(`${match[1]}Z`.replace(' ', 'T')));
        }
        const inWindow = [...new Set(got)]
          .filter((t) => t < base.getTime() + minutes * 60_000)
          .sort((a, b) => a - b);
        expect(inWindow.length, name).toBe(expected.length);
        expect(inWindow, name).toEqual(expected);
      }
    },
    240_000,
  );
});
