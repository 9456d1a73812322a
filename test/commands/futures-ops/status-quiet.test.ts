/**
 * Unattended operation (issue 23): --quiet is silent on success, a run that crosses a line writes one
 * stderr line whatever --quiet says, and `futures status` tells the truth about freshness and gaps.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { futuresStatusCommand } from '../../../src/commands/futures/status.js';
import { harness, TUESDAY_10_ET } from '../../app/collect/helpers.js';

describe('--quiet on the cron commands', () => {
  it('collect --once, backfill, compact and status are silent on success', async () => {
    const h = await harness(TUESDAY_10_ET, { config: { collect: { firstRunLookbackSeconds: 0 } } });
    for (const args of [
      ['collect', '--once', '--quiet'],
      ['backfill', '--symbols', 'ES', '--days', '1', '--bar', '1day', '--quiet'],
      ['compact', '--quiet'],
      ['status', '--max-age', '5m', '--quiet'],
    ]) {
      const r = await h.run(args);
      expect({ args, code: r.code, stdout: r.stdout, stderr: r.stderr }).toEqual({
        args,
        code: 0,
        stdout: '',
        stderr: '',
      });
    }
  }, 180_000);

  it('status --max-age on stale data: exit 6 and one STALE line on stderr, also under --quiet', async () => {
    const h = await harness(TUESDAY_10_ET, { config: { collect: { firstRunLookbackSeconds: 0 } } });
    expect((await h.run(['collect', '--once'])).code).toBe(0);
    h.clock.advance(3 * 3600_000);
    const quiet = await h.run(['status', '--max-age', '5m', '--quiet']);
    expect(quiet.code).toBe(6);
    expect(quiet.stdout).toBe('');
    expect(quiet.stderr).toBe(
      'futures status: STALE: ES 3.0h, NQ 3.0h, RTY 3.0h, VIX 3.0h: older than 5m while CME is open\n',
    );
    const loud = await h.run(['status', '--max-age', '5m']);
    expect(loud.code).toBe(6);
    expect(loud.stderr.split('\n').filter(Boolean)).toHaveLength(1);
    expect(loud.stdout).toMatch(/^status\tfreshness\tstale\t300$/m);
    // Piped rows start with their record type and carry raw values: awk can compute on them.
    const types = new Set(
      loud.stdout
        .trimEnd()
        .split('\n')
        .map((l) => l.split('\t')[0]),
    );
    expect([...types].sort()).toEqual(['gap', 'instrument', 'lock', 'queue', 'status', 'table']);
    expect(loud.stdout).toMatch(/^instrument\tES\t2026-09-01T14:00:00\.000Z\t10800\tESU6\tsim\t[^\t]+\t1$/m);
  }, 120_000);
});

describe('futures status tells the truth', () => {
  it('without --max-age freshness is "not checked" (ok null), not "ok"', async () => {
    const h = await harness(TUESDAY_10_ET);
    mkdirSync(h.dataDir, { recursive: true });
    const json = await h.run(['status', '--json']);
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout)).toMatchObject({
      schema: 'futures.status/v3',
      freshness: { checked: false, ok: null, reason: 'not checked (no --max-age given)' },
    });
    const human = await h.run(['status']);
    expect(human.stdout).toMatch(/^status\tfreshness\tunchecked\t-$/m);
    const report = JSON.parse(json.stdout);
    const table = futuresStatusCommand.render.human(
      {
        ...report,
        now: new Date(report.now),
        market: { ...report.market, nextOpen: null },
        instruments: [],
        tables: [],
        gaps: [],
      },
      { json: false, quiet: false, verbose: false },
      { mode: 'table', colour: false, width: 80 },
    );
    expect(table).toMatch(/^freshness +not checked \(no --max-age given\)$/m);
    const coloured = futuresStatusCommand.render.human(
      {
        ...report,
        now: new Date(report.now),
        market: { ...report.market, nextOpen: null },
        instruments: [],
        tables: [],
        gaps: [],
      },
      { json: false, quiet: false, verbose: false },
      { mode: 'table', colour: true, width: 80 },
    );
    expect(coloured).toContain('\u001b[33mnot checked (no --max-age given)\u001b[39m');
  }, 60_000);

  it('a missing or misspelt data directory is a configuration error (exit 2), not stale', async () => {
    const h = await harness(TUESDAY_10_ET);
    // The harness passes --data-dir <dir>/data, which no run has created yet.
    const r = await h.run(['status', '--max-age', '5m']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`data directory ${join(h.dir, 'data')} does not exist`);
  }, 60_000);

  it('a lake whose newest rows are older than 7 trade dates still shows them', async () => {
    const h = await harness(TUESDAY_10_ET, { config: { collect: { firstRunLookbackSeconds: 0 } } });
    expect((await h.run(['collect', '--once', '--symbols', 'ES'])).code).toBe(0);
    h.clock.set(new Date('2026-09-21T14:00:00Z')); // three weeks later
    const report = JSON.parse((await h.run(['status', '--json'])).stdout);
    const es = report.instruments.find((i: { symbol: string }) => i.symbol === 'ES');
    expect(es.lastTs).toBe('2026-09-01T14:00:00.000Z');
    expect(es.ageSeconds).toBe(20 * 86_400);
    const stale = await h.run(['status', '--max-age', '5m', '--quiet']);
    expect(stale.stderr).toMatch(/ES 20\.0d, NQ never collected/);
  }, 120_000);

  it('closed-market minutes (weekend, daily halt) are no gaps; the others are named by cause', async () => {
    // Friday 16:50 ET: the last collection before the weekend; status on Sunday noon (closed since).
    const friday = new Date('2026-09-04T20:50:00Z');
    const h = await harness(friday, { config: { collect: { firstRunLookbackSeconds: 0 } } });
    expect((await h.run(['collect', '--once', '--symbols', 'ES'])).code).toBe(0);
    h.clock.set(new Date('2026-09-06T16:00:00Z'));
    const sunday = JSON.parse((await h.run(['status', '--json'])).stdout);
    expect(sunday.gaps.filter((g: { symbol: string }) => g.symbol === 'ES')).toEqual([]);
    // Tuesday 18:30 ET after a last round at 16:50: 16:51–16:59 are gaps, the 17:00–18:00 halt is not.
    h.clock.set(new Date('2026-09-08T20:50:00Z'));
    expect((await h.run(['collect', '--once', '--symbols', 'ES'])).code).toBe(0);
    h.clock.set(new Date('2026-09-08T22:30:00Z'));
    const evening = JSON.parse((await h.run(['status', '--json'])).stdout);
    const es = evening.gaps.filter((g: { symbol: string }) => g.symbol === 'ES');
    // The run of Tuesday 16:50 ET queued the day it was not running as missed (its catch-up).
    expect(es[0]).toMatchObject({
      kind: 'missed',
      cause: 'collector_down',
      from: '2026-09-07T22:30:00.000Z',
      to: '2026-09-08T20:44:00.000Z',
    });
    expect(es[1]).toMatchObject({
      kind: 'no_row',
      cause: 'collector_down',
      from: '2026-09-08T20:51:00.000Z',
      to: '2026-09-08T20:59:00.000Z',
    });
    expect(es[2]).toMatchObject({ from: '2026-09-08T22:00:00.000Z' });
    expect(evening.gapCauses).toEqual([
      { cause: 'collector_down', text: 'collector not running', slots: expect.any(Number) },
    ]);
  }, 120_000);
});
