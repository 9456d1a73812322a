import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { replayInstants } from '../../../src/app/evaluate/regime.js';
import { openMemoryConnection } from '../../../src/delta/index.js';
import { latestSignalRun, loadLakeSnapshot } from '../../../src/lake/index.js';
import { defaultCalendar } from '../../../src/market/index.js';
import {
  premarketDocumentSchema,
  regimeDocumentSchema,
  replayLineSchema,
} from '../../../src/signals/index.js';
import { tempDir } from '../../lake/inputs/fixtures.js';
import { buildSignalLake, runSignals } from './lake-fixture.js';

const run = runSignals;

let calm: string;
let crash: string;
let empty: string;
const cleanups: Array<() => Promise<void>> = [];
beforeAll(async () => {
  for (const [kind, set] of [
    ['calm', (d: string) => (calm = d)],
    ['crash', (d: string) => (crash = d)],
    ['empty', (d: string) => (empty = d)],
  ] as const) {
    const t = await tempDir(`sig-cmd-${kind}-`);
    cleanups.push(t.cleanup);
    set(t.dir);
  }
  await buildSignalLake(calm);
  await buildSignalLake(crash, { crash: true });
}, 120_000);
afterAll(async () => {
  for (const c of cleanups) await c();
});

describe('signals premarket', () => {
  it('prints the signals.premarket/v3 document for --as-of and does not record it', async () => {
    const r = await run(['premarket', '--json', '--data-dir', calm, '--as-of', '2026-03-10 09:25']);
    expect(r.code).toBe(0);
    const doc = premarketDocumentSchema.parse(JSON.parse(r.stdout));
    expect(doc.sessionDate).toBe('2026-03-10');
    expect(doc.reference.sessionDate).toBe('2026-03-09');
    expect(doc.dataQuality.usable).toEqual(['ES', 'NQ', 'RTY']);
    expect(doc.inputs.vix).toMatchObject({ level: 17, live: true, source: 'derived' });
    expect(doc.lake).toEqual([{ table: 'futures_snapshots', version: 1 }]);
    expect(await loadLakeSnapshot(calm, 'signal_runs')).toBeUndefined();
  });

  it('takes --vix and --regime from the caller and says so', async () => {
    const r = await run([
      'premarket',
      '--json',
      '--data-dir',
      calm,
      '--as-of',
      '2026-03-10 09:25',
      '--vix',
      '31',
      '--regime',
      'bearish',
      '--symbols',
      'es,nq',
    ]);
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc.inputs.vix).toMatchObject({ level: 31, source: 'override' });
    expect(doc.inputs.regime).toMatchObject({ value: 'bearish', source: 'override' });
    expect(doc.dataQuality.usable).toEqual(['ES', 'NQ']);
  });

  it('prints the human table with a sparkline per index, and raw TSV when piped', async () => {
    const tty = await run(['premarket', '--data-dir', calm, '--as-of', '2026-03-10 09:25'], undefined, {
      tty: true,
    });
    expect(tty.code).toBe(0);
    expect(tty.stdout).toMatch(/[▁▂▃▄▅▆▇█]{5,}/);
    const r = await run(['premarket', '--data-dir', calm, '--as-of', '2026-03-10 09:25']);
    expect(r.code).toBe(0);
    // index SYMBOL CONTRACT REF LAST DELTA_PTS PCT Z ON_HIGH ON_LOW POS AGE_S STATUS: numbers awk can use
    const es =
      r.stdout
        .split('\n')
        .find((l) => l.startsWith('index\tES\t'))
        ?.split('\t') ?? [];
    expect(es.slice(0, 3)).toEqual(['index', 'ES', 'ESH6']);
    expect(es.slice(3, 12).every((f) => f === '-' || Number.isFinite(Number(f)))).toBe(true);
    expect(es[12]).toBe('ok');
    const data = r.stdout.split('\n').filter((l) => !l.startsWith('reason\t'));
    expect(data.join('\n')).not.toMatch(/[▁▂▃▄▅▆▇█σ%]/);
    expect(r.stdout).toMatch(
      /^decision\t[a-z_]+\t[a-z_]+\t[a-z]+\t\d\.\d\d\t2026-03-10\t2026-03-10T13:25:00.000Z$/m,
    );
  });

  it('rejects bad input with exit 2', async () => {
    const unknown = await run(['premarket', '--data-dir', calm, '--symbols', 'ES,XX']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("unknown symbol 'XX'");
    expect((await run(['premarket', '--data-dir', calm, '--as-of', 'yesterday-ish'])).code).toBe(2);
    const future = await run(['premarket', '--data-dir', calm, '--as-of', '2026-03-11 09:25']);
    expect(future.code).toBe(2);
    expect(future.stderr).toContain('in the future');
  });

  it('exits 6 with a JSON error on an empty lake', async () => {
    const r = await run(['premarket', '--json', '--data-dir', empty]);
    expect(r.code).toBe(6);
    expect(JSON.parse(r.stdout)).toMatchObject({ schema: 'error/v1', error: { code: 'stale', exitCode: 6 } });
    expect(r.stderr).toContain('holds no futures data');
  });

  it('exits 6 with the reason when every index is stale', async () => {
    const r = await run(
      ['premarket', '--json', '--data-dir', calm, '--as-of', '2026-03-10 14:00'],
      () => new Date('2026-03-10T20:00:00Z'),
    );
    // data ends 12:00 EDT: at 14:00 the latest price is two hours old
    expect(r.code).toBe(6);
    expect(JSON.parse(r.stdout).error.message).toMatch(/stale|old/);
  });

  it('replays 09:25 ET of each NYSE day as JSON Lines', async () => {
    const r = await run(['premarket', '--data-dir', calm, '--from', '2026-03-07', '--to', '2026-03-10']);
    expect(r.code).toBe(0);
    const lines = r.stdout
      .trim()
      .split('\n')
      .map((l) => replayLineSchema.parse(JSON.parse(l)));
    expect(lines.map((l) => l.asOf)).toEqual(['2026-03-09T13:25:00.000Z', '2026-03-10T13:25:00.000Z']);
    expect(lines.every((l) => l.schema === 'signals.premarket/v3')).toBe(true);
  });
});

describe('signals regime', () => {
  it('escalates on the selloff, records every live run, and holds the level on later spot checks', async () => {
    const at = (iso: string) => () => new Date(iso);
    const first = await run(['regime', '--json', '--data-dir', crash], at('2026-03-10T11:00:00Z'));
    expect(first.code).toBe(0);
    const d1 = regimeDocumentSchema.parse(JSON.parse(first.stdout));
    // no recorded run: the state is derived from the 72 checks of the 6 hours before (05:00–10:55 EDT)
    expect(d1.priorState).toMatchObject({ source: 'derived', derivation: { checks: 72, everyMinutes: 5 } });
    expect(d1.level).toBe('critical'); // M8: −3 % in 60 minutes is a hard critical
    expect(d1.flags).toContain('hardCritical');

    const levels: string[] = [];
    const candidates: string[] = [];
    const sources: string[] = [];
    for (const t of [
      '2026-03-10T11:10:00Z',
      '2026-03-10T11:30:00Z',
      '2026-03-10T11:50:00Z',
      '2026-03-10T12:10:00Z',
      '2026-03-10T12:30:00Z',
    ]) {
      const r = await run(['regime', '--json', '--data-dir', crash, '--fail-on', 'warning'], at(t));
      expect(r.code).toBe(10);
      const d = regimeDocumentSchema.parse(JSON.parse(r.stdout));
      expect(d.inputs.hadPriorState).toBe(true);
      sources.push(d.priorState.source);
      levels.push(d.level);
      candidates.push(d.candidate);
    }
    // once the selloff's realised vol leaves the hour window the candidate falls, but the level does not
    // flap: a step down needs 3 checks inside the exit thresholds spanning 60 minutes overnight
    expect(levels).toEqual(['critical', 'critical', 'critical', 'critical', 'critical']);
    // a recorded state 10 minutes old is used; one 20 minutes old is past the 15-minute validity
    expect(sources).toEqual(['recorded', 'derived', 'derived', 'derived', 'derived']);
    expect(candidates.at(-1)).not.toBe('critical');

    const owned = await openMemoryConnection();
    try {
      const last = await latestSignalRun(owned.connection, crash, 'regime', new Date('2026-03-10T13:00:00Z'));
      expect(last?.asOf.toISOString()).toBe('2026-03-10T12:30:00.000Z');
      expect(last?.level).toBe('critical');
    } finally {
      owned.close();
    }
  });

  it('stays normal on the calm lake and --fail-on watch exits 0', async () => {
    const r = await run(['regime', '--json', '--data-dir', calm, '--no-record', '--fail-on', 'watch']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).level).toBe('normal');
    expect(await loadLakeSnapshot(calm, 'signal_runs')).toBeUndefined();
  });

  /** A regime replay of Tue 2026-03-10 on the crash lake. */
  const replayTuesday = (every: string, ...flags: string[]) =>
    run([
      'regime',
      '--data-dir',
      crash,
      '--from',
      '2026-03-10',
      '--to',
      '2026-03-10',
      '--every',
      every,
      ...flags,
    ]);

  it('replays every --every through the CME session as JSON Lines, carrying the state', async () => {
    const r = await replayTuesday('30m', '--fail-on', 'critical');
    expect(r.code).toBe(10);
    const lines = r.stdout
      .trim()
      .split('\n')
      .map((l) => replayLineSchema.parse(JSON.parse(l)));
    // Mon 18:00 EDT → Tue 12:00 EDT (NOW), every 30 minutes after the open
    expect(lines.length).toBe(36);
    expect(lines[0]!.asOf).toBe('2026-03-09T22:30:00.000Z');
    const docs = lines.filter((l) => l.schema === 'signals.regime/v3');
    expect(docs.length).toBe(36);
    expect(docs.slice(1).every((d) => d.inputs.hadPriorState)).toBe(true);
    const firstCritical = docs.find((d) => d.level === 'critical');
    expect(firstCritical?.asOf).toBe('2026-03-10T11:00:00.000Z');
    // a replay is not recorded unless --record
    const owned = await openMemoryConnection();
    try {
      expect(
        await latestSignalRun(owned.connection, crash, 'regime', new Date('2026-03-10T08:00:00Z')),
      ).toBeUndefined();
    } finally {
      owned.close();
    }
  });

  it('reads a bare --every as seconds and refuses a replay too long for one run, naming --every', async () => {
    const bare = await replayTuesday('1800');
    expect(bare.code).toBe(0);
    expect(bare.stdout.trim().split('\n').length).toBe(36);
    expect((await run(['regime', '--data-dir', crash, '--every', '30'])).stderr).toContain(
      '--every must be between 1m and 24h.',
    );
    const long = await run([
      'regime',
      '--data-dir',
      crash,
      '--from',
      '2026-01-02',
      '--to',
      '2026-03-09',
      '--every',
      '1m',
    ]);
    expect(long.code).toBe(2);
    expect(long.stderr).toMatch(/The replay would evaluate \d+ instants \(at most 30000 per run\)/);
    expect(long.stderr).toContain('or use a longer --every');
  });

  it('writes a replay-skip line with the exit code of the skipped evaluation', async () => {
    const r = await run(['premarket', '--data-dir', calm, '--from', '2026-03-02', '--to', '2026-03-10']);
    expect(r.code).toBe(0);
    const lines = r.stdout
      .trim()
      .split('\n')
      .map((l) => replayLineSchema.parse(JSON.parse(l)));
    const skip = lines.find((l) => l.schema === 'signals.replay-skip/v1');
    expect(skip).toMatchObject({ kind: 'premarket', error: { code: 'stale', exitCode: 6 } });
  });

  it('plans replay instants aligned to the clock, skipping the halt', () => {
    const days = replayInstants(
      '2026-03-06',
      '2026-03-09',
      60 * 60_000,
      new Date('2026-03-09T15:00:00Z'),
      defaultCalendar(),
    );
    expect(days.length).toBe(2); // Fri and Mon trade dates
    expect(days[0]![0]!.toISOString()).toBe('2026-03-06T00:00:00.000Z'); // Thu 19:00 EST
    expect(days[1]!.at(-1)!.toISOString()).toBe('2026-03-09T15:00:00.000Z');
  });
});

describe('on a terminal', () => {
  const tty = (args: string[], env: Record<string, string> = { NO_COLOR: '1' }) =>
    run(args, undefined, { tty: true, env });
  const ESC = /\u001b\[/;

  it('a premarket replay prints one row per step with ET times, not JSON Lines; --json keeps them', async () => {
    const args = ['premarket', '--data-dir', calm, '--from', '2026-03-07', '--to', '2026-03-10'];
    const table = await tty(args);
    expect(table.code).toBe(0);
    expect(table.stdout).not.toContain('{');
    const rows = table.stdout.split('\n').filter((l) => /^│ 2026-/.test(l));
    expect(rows).toHaveLength(2);
    expect(rows[0]).toContain('2026-03-09 09:25 ET');
    expect(rows[1]).toContain('2026-03-10 09:25 ET');
    expect(table.stdout.split('\n')[1]).toMatch(/time.*bias.*mode.*strength.*conf/);
    const json = await tty([...args, '--json']);
    expect(json.code).toBe(0);
    const lines = json.stdout
      .trim()
      .split('\n')
      .map((l) => replayLineSchema.parse(JSON.parse(l)));
    expect(lines.map((l) => l.asOf)).toEqual(['2026-03-09T13:25:00.000Z', '2026-03-10T13:25:00.000Z']);
  });

  it('a regime replay: a row per step with level, candidate, breadth, the worst measure and VIX, coloured', async () => {
    const args = [
      'regime',
      '--data-dir',
      crash,
      '--from',
      '2026-03-10',
      '--to',
      '2026-03-10',
      '--every',
      '30m',
    ];
    const plain = await tty(args);
    expect(plain.code).toBe(0);
    expect(plain.stdout).not.toMatch(ESC);
    const rows = plain.stdout.split('\n').filter((l) => /^│ 2026-/.test(l));
    expect(rows).toHaveLength(36);
    expect(rows[0]).toContain('2026-03-09 18:30 ET');
    const critical = rows.find((r) => r.includes('2026-03-10 07:00 ET'));
    expect(critical).toMatch(/│ critical\s+│/);
    expect(critical).toMatch(/M\d (ES|NQ|RTY)/);
    const coloured = await tty(args, { FORCE_COLOR: '1' });
    // critical in bold red
    expect(coloured.stdout).toContain('\u001b[31m\u001b[1mcritical');
    const utc = await tty([...args, '--tz', 'UTC']);
    expect(utc.stdout).toContain('2026-03-09 22:30 UTC');
  });

  it('a single premarket call leads with its decision in colour; piped output is never coloured', async () => {
    const args = ['premarket', '--data-dir', calm, '--as-of', '2026-03-10 09:25'];
    const coloured = await tty(args, { FORCE_COLOR: '1' });
    expect(coloured.code).toBe(0);
    const first = coloured.stdout.split('\n')[0] ?? '';
    expect(first).toMatch(ESC);
    expect(first.replace(/\u001b\[\d+m/g, '')).toMatch(
      /^[A-Z ]+ · [a-z_]+ · (none|weak|moderate|strong) · conf \d\.\d\d · session 2026-03-10, as of 2026-03-10 09:25 ET$/,
    );
    expect(coloured.stdout).toMatch(/│ index │ contract │ ref\s+│ last\s+│ Δ pts/);
    expect((await tty([...args, '--no-color'], { FORCE_COLOR: '1' })).stdout).not.toMatch(ESC);
    const piped = await run(args, undefined, { env: { FORCE_COLOR: '1' } });
    expect(piped.stdout).not.toMatch(ESC);
    expect(piped.stdout.split('\n')[0]?.split('\t')).toHaveLength(13);
  });

  it('a regime check leads with its level coloured by severity', async () => {
    const r = await tty(['regime', '--data-dir', crash, '--as-of', '2026-03-10 07:05', '--no-record'], {
      FORCE_COLOR: '1',
    });
    expect(r.code).toBe(0);
    expect(r.stdout.split('\n')[0]).toMatch(/^\u001b\[\d+m(\u001b\[1m)?REGIME [A-Z]+/);
  });
});
