import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openLake } from '../../../src/api/index.js';
import { checkInstants } from '../../../src/app/evaluate/early-warning.js';
import { defaultCalendar } from '../../../src/market/index.js';
import {
  premarketDocumentSchema,
  type RegimeDocument,
  regimeDocumentSchema,
} from '../../../src/signals/index.js';
import { regimeHeadline } from '../../../src/signals/regime/headline.js';
import { tempDir } from '../../lake/inputs/fixtures.js';
import { buildSignalLake, NOW, runSignals } from './lake-fixture.js';

/**
 * A one-shot `signals regime` without a recent recorded run derives its state by replaying the window
 * before it; it must say what a cron checking every 5 minutes would have said.
 */

const run = runSignals;

let crash: string;
let dir: string;
const cleanups: Array<() => Promise<void>> = [];
beforeAll(async () => {
  const t = await tempDir('sig-derive-');
  cleanups.push(t.cleanup);
  dir = t.dir;
  crash = join(t.dir, 'crash');
  await buildSignalLake(crash, { crash: true });
}, 120_000);
afterAll(async () => {
  for (const c of cleanups) await c();
});

async function oneShot(asOf: string, ...flags: string[]): Promise<RegimeDocument> {
  const r = await run(['regime', '--json', '--no-record', '--data-dir', crash, '--as-of', asOf, ...flags]);
  expect(r.code).toBe(0);
  return regimeDocumentSchema.parse(JSON.parse(r.stdout));
}

async function replayOf(date: string, ...flags: string[]): Promise<RegimeDocument[]> {
  const r = await run(['regime', '--data-dir', crash, '--from', date, '--to', date, ...flags]);
  expect(r.code).toBe(0);
  return r.stdout
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l))
    .filter((d) => d.schema === 'signals.regime/v3')
    .map((d) => regimeDocumentSchema.parse(d));
}

describe('a one-shot regime check with a derived state', () => {
  it.each([
    // the selloff (06:00–07:00 EDT), the bounce, and later: the level a replay from the reopen reaches
    ['2026-03-10', '2026-03-10T10:40:00Z'],
    ['2026-03-10', '2026-03-10T11:00:00Z'],
    ['2026-03-10', '2026-03-10T12:25:00Z'],
    // trade date 2026-03-09 opened on Sunday 2026-03-08 18:00 EDT, the day clocks went forward
    ['2026-03-09', '2026-03-09T13:25:00Z'],
  ])('on trade date %s at %s equals the replay from the window start', async (date, asOf) => {
    // a derivation window starting inside the 17:00–18:00 ET halt before the trade date's reopen
    const reopen = defaultCalendar().cmeSession(date)?.open.getTime() ?? 0;
    const minutes = (Date.parse(asOf) - reopen) / 60_000 + 30;
    const config = join(dir, `window-${minutes}.json`);
    await writeFile(config, JSON.stringify({ signals: { earlyWarning: { deriveWindowMinutes: minutes } } }));
    const replay = await replayOf(date, '--config', config);
    const expected = replay.find((d) => d.asOf === new Date(asOf).toISOString());
    expect(expected).toBeDefined();
    const doc = await oneShot(asOf, '--config', config);
    expect(doc.priorState.source).toBe('derived');
    expect(doc.priorState.derivation?.firstCheckAt).toBe(replay[0]?.asOf);
    expect({ level: doc.level, candidate: doc.candidate, state: doc.state, pending: doc.pending }).toEqual({
      level: expected?.level,
      candidate: expected?.candidate,
      state: expected?.state,
      pending: expected?.pending,
    });
  });

  it('reaches a level above normal on the selloff from a one-shot check', async () => {
    // 06:40 EDT: the slide is 40 minutes old; the candidate has been above normal for several checks
    const doc = await oneShot('2026-03-10T10:40:00Z');
    expect(doc.priorState).toMatchObject({
      source: 'derived',
      staleRecordedAt: null,
      derivation: { checks: 72, skipped: 0, everyMinutes: 5, firstCheckAt: '2026-03-10T04:40:00.000Z' },
    });
    expect(doc.level).not.toBe('normal');
    expect(doc.reasons[1]).toBe('state derived from 72 checks since 00:40 ET');
  });

  it('plans the checks of the window aligned to the clock, across the halt and the reopen', () => {
    // Mon 2026-03-09 19:02 EDT back 2 h: 17:05..17:55 is the daily halt, 18:00 is the reopen itself
    const to = Date.parse('2026-03-09T23:02:00Z');
    const instants = checkInstants(to - 120 * 60_000, to, 5 * 60_000, defaultCalendar());
    expect(instants[0]?.toISOString()).toBe('2026-03-09T22:05:00.000Z'); // 18:05 EDT
    expect(instants.map((t) => t.toISOString())).not.toContain('2026-03-09T22:00:00.000Z');
    expect(instants.at(-1)?.toISOString()).toBe('2026-03-09T23:00:00.000Z');
  });
});

describe('the recorded state and its validity', () => {
  it('uses a recorded state up to 15 minutes old and derives past that', async () => {
    const t = await tempDir('sig-derive-rec-');
    cleanups.push(t.cleanup);
    await buildSignalLake(t.dir, { crash: true });
    const live = await run(['regime', '--json', '--data-dir', t.dir], () => new Date('2026-03-10T10:45:00Z'));
    expect(live.code).toBe(0);
    const at = async (iso: string) => {
      const r = await run(['regime', '--json', '--no-record', '--data-dir', t.dir, '--as-of', iso]);
      return regimeDocumentSchema.parse(JSON.parse(r.stdout));
    };
    const within = await at('2026-03-10T11:00:00Z');
    expect(within.priorState).toMatchObject({ source: 'recorded', recordedAt: '2026-03-10T10:45:00.000Z' });
    const past = await at('2026-03-10T11:00:01Z');
    expect(past.priorState).toMatchObject({
      source: 'derived',
      recordedAt: null,
      staleRecordedAt: '2026-03-10T10:45:00.000Z',
    });
    expect(past.reasons[1]).toMatch(/the recorded state of 06:45 ET is too old/);
  });

  it('a check at the instant of a recorded run steps from the state before it, not from normal', async () => {
    const t = await tempDir('sig-derive-same-');
    cleanups.push(t.cleanup);
    await buildSignalLake(t.dir, { crash: true });
    const asOf = '2026-03-10T11:00:00Z';
    const recorded = await run(['regime', '--json', '--record', '--data-dir', t.dir, '--as-of', asOf]);
    expect(recorded.code).toBe(0);
    const first = regimeDocumentSchema.parse(JSON.parse(recorded.stdout));
    expect(first.level).not.toBe('normal');
    const again = await run(['regime', '--json', '--no-record', '--data-dir', t.dir, '--as-of', asOf]);
    const second = regimeDocumentSchema.parse(JSON.parse(again.stdout));
    expect(second.level).toBe(first.level);
    expect(second.flags).not.toContain('priorStateIgnored');
    expect(second.reasons.join('\n')).not.toMatch(/starting fresh/);
  });

  it('prints the signal and one warning when the run cannot be recorded', async () => {
    const t = await tempDir('sig-derive-ro-');
    cleanups.push(t.cleanup);
    await buildSignalLake(t.dir);
    // signal_runs as a plain file: creating the table fails the way a read-only lake does
    await writeFile(join(t.dir, 'lake', 'signal_runs'), 'not a table');
    const r = await run(['regime', '--json', '--data-dir', t.dir], () => new Date('2026-03-10T13:00:00Z'));
    expect(r.code).toBe(0);
    expect(regimeDocumentSchema.parse(JSON.parse(r.stdout)).level).toBe('normal');
    const lines = r.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^warning: could not record this run to .*signal_runs .*--no-record/);
  });
});

describe('the headline', () => {
  it('shows level, candidate and pending progress on the first line', async () => {
    const r = await run(
      ['regime', '--no-record', '--data-dir', crash, '--as-of', '2026-03-10T10:40:00Z'],
      NOW,
    );
    const first = r.stdout.split('\n')[0] ?? '';
    expect(first).toMatch(
      /^headline\tREGIME [A-Z]+( \(.*\))? · state derived from 72 checks since 00:40 ET$/,
    );
  });

  it('formats level, candidate and pending', async () => {
    const doc = await oneShot('2026-03-10T10:40:00Z');
    const pendingDoc: RegimeDocument = {
      ...doc,
      level: 'warning',
      candidate: 'critical',
      pending: { direction: 'up', target: 'critical', checks: 1, checksNeeded: 2, firstAt: doc.asOf },
      priorState: {
        source: 'derived',
        recordedAt: null,
        staleRecordedAt: null,
        derivation: {
          from: '2026-03-10T07:25:00.000Z',
          everyMinutes: 5,
          checks: 72,
          skipped: 0,
          firstCheckAt: '2026-03-10T07:25:00.000Z',
        },
      },
    };
    expect(regimeHeadline(pendingDoc)).toBe(
      'REGIME WARNING (candidate CRITICAL, 1/2 checks) · state derived from 72 checks since 03:25 ET',
    );
    expect(regimeHeadline({ ...pendingDoc, candidate: 'warning', pending: null })).toBe(
      'REGIME WARNING · state derived from 72 checks since 03:25 ET',
    );
  });
});

describe('the pre-market document', () => {
  it('carries the early warning signals regime gives at the same instant, and says so', async () => {
    const asOf = '2026-03-10T11:00:00Z';
    const r = await run(['premarket', '--json', '--no-record', '--data-dir', crash, '--as-of', asOf]);
    expect(r.code).toBe(0);
    const doc = premarketDocumentSchema.parse(JSON.parse(r.stdout));
    const regime = await oneShot(asOf);
    expect(doc.earlyWarning).toEqual({
      level: regime.level,
      candidate: regime.candidate,
      pending: regime.pending,
      stateSource: 'derived',
      headline: regimeHeadline(regime),
    });
    expect(regime.level).not.toBe('normal');
    expect(doc.reasons.at(-1)).toBe(`early warning: ${regimeHeadline(regime)}`);
  });
});

describe('signals flags', () => {
  it('refuses a VIX outside 1 ≤ vix ≤ 200 with exit 2', async () => {
    // Review §23: --vix 0.000001 was taken and gave moves of −29,645,648σ.
    for (const vix of ['0', '-3', '201', '1e308', '', '0.000001', '0.5']) {
      const r = await run(['regime', '--json', '--no-record', '--data-dir', crash, '--vix', vix]);
      expect(r.code, `--vix '${vix}'`).toBe(2);
    }
    const edge = await run(['premarket', '--json', '--no-record', '--data-dir', crash, '--vix', '1']);
    expect(edge.code, edge.stderr).not.toBe(2);
  });

  it('the API refuses the same VIX levels with a usage error', async () => {
    const lake = openLake({ dataDir: crash, now: NOW });
    for (const vix of [0.000001, 0, Number.NaN, 1e308]) {
      await expect(lake.premarket({ vix, asOf: '2026-03-10 09:25' }), `vix ${vix}`).rejects.toMatchObject({
        kind: 'usage',
        message: expect.stringMatching(/is not a VIX level/),
      });
    }
  });
});
