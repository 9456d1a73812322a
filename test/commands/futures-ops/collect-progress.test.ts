import { describe, expect, it } from 'vitest';
import { harness, TUESDAY_10_ET } from '../../app/collect/helpers.js';

describe('a long collect run says what it does', () => {
  it('a start banner and one line per round under -v (piped); nothing for --once', async () => {
    const h = await harness(TUESDAY_10_ET, {
      path: 'catching-up',
      config: { collect: { firstRunLookbackSeconds: 0 } },
    });
    const r = await h.run(['collect', '--rounds', '3', '-v']);
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stderr.split('\n');
    expect(lines).toContainEqual(
      expect.stringMatching(/^collect: ES,NQ,RTY,VIX every 60s from 127\.0\.0\.1:\d+ into /),
    );
    const rounds = lines.filter((l) => / ET {2}round \d+: /.test(l));
    expect(rounds).toHaveLength(3);
    expect(rounds[0]).toMatch(/^10:00 ET {2}round 1: 4 rows, v\d+, \d+ ms \(ib \d+, delta \d+\)$/);
    const quiet = await h.run(['collect', '--rounds', '1']);
    expect(quiet.stderr).toBe('');
    const once = await h.run(['collect', '--once', '-v']);
    expect(once.stderr).not.toMatch(/round \d+:/);
  }, 120_000);
});
