/**
 * One time-zone rule in human output (issue 23): times for people are ET ('2026-09-01 10:00 ET'), --tz
 * shows another zone, and piped TSV and JSON keep UTC ISO instants.
 */
import { describe, expect, it } from 'vitest';
import { harness, TUESDAY_10_ET } from '../../app/collect/helpers.js';

describe('times for people are ET', () => {
  it('status, collect and table history on a terminal; --tz changes the zone; piped stays UTC', async () => {
    const h = await harness(TUESDAY_10_ET, { config: { collect: { firstRunLookbackSeconds: 0 } } });
    const collect = await h.run(['collect', '--once'], { tty: true });
    expect(collect.code).toBe(0);
    expect(collect.stdout).toMatch(/period\s+2026-09-01 10:00 ET → 2026-09-01 10:00 ET/);
    const status = await h.run(['status'], { tty: true });
    expect(status.stdout).toMatch(/^now\s+2026-09-01 10:00 ET$/m);
    expect(status.stdout).toMatch(/│ ES\s+│ 2026-09-01 10:00 ET/);
    expect(status.stdout).not.toMatch(/\d{2}:\d{2}:\d{2}[-+Z]/);
    const utc = await h.run(['status', '--tz', 'UTC'], { tty: true });
    expect(utc.stdout).toMatch(/^now\s+2026-09-01 14:00 UTC$/m);
    const piped = await h.run(['status', '--tz', 'UTC']);
    expect(piped.stdout).toMatch(/^instrument\tES\t2026-09-01T14:00:00\.000Z\t/m);
    const history = await h.run(['table', 'history', 'futures_snapshots'], { tty: true });
    expect(history.stdout).toMatch(/│ 2026-09-01 10:00:\d\d(\.\d{3})? ET/);
    const historyPiped = await h.run(['table', 'history', 'futures_snapshots']);
    expect(historyPiped.stdout).toMatch(/\t2026-09-01T14:00:\d\d\.\d{3}Z\t/);
  }, 120_000);
});
