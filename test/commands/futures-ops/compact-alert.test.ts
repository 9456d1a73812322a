import { readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { harness, TUESDAY_10_ET } from '../../app/collect/helpers.js';

describe('compact --quiet on a damaged table', () => {
  it('exits 4 with the error (what, why, what to do) on stderr and nothing on stdout', async () => {
    const h = await harness(TUESDAY_10_ET, { config: { collect: { firstRunLookbackSeconds: 0 } } });
    expect((await h.run(['collect', '--once'])).code).toBe(0);
    h.clock.advance(60_000);
    expect((await h.run(['collect', '--once'])).code).toBe(0);
    const log = join(h.dataDir, 'lake', 'futures_snapshots', '_delta_log');
    const newest = readdirSync(log)
      .filter((f) => f.endsWith('.json'))
      .sort()
      .at(-1) as string;
    writeFileSync(join(log, newest), 'not json\n');
    const r = await h.run(['compact', '--quiet']);
    expect(r.code).toBe(4);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^error: The table at \S+ is damaged, so maintenance changed nothing/);
    expect(r.stderr).toMatch(/Delta log is corrupt: \S*\/_delta_log\/0+2\.json line 1 is not valid JSON\./);
    expect(r.stderr).toMatch(/futures table repair/);
  }, 120_000);
});
