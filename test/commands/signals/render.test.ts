import { describe, expect, it } from 'vitest';
import {
  renderPremarketHuman,
  renderRegimeHuman,
  SPARK_CHARS,
  sparkline,
} from '../../../src/commands/signals/render.js';
import { etWallTime } from '../../../src/market/zoned.js';
import { computePremarket } from '../../../src/signals/premarket/index.js';
import { computeRegime } from '../../../src/signals/regime/index.js';
import { referenceInstant } from '../../../src/signals/sessions.js';
import { flat, premarketInputs, ramp, regimeInputs } from '../../signals/fixtures.js';

describe('sparkline', () => {
  it('maps min..max onto the eight block characters', () => {
    expect(sparkline([0, 1, 2, 3, 4, 5, 6, 7])).toBe(SPARK_CHARS);
    expect(sparkline([10, 5, 10])).toBe('█▁█');
  });

  it('handles flat, empty and long series', () => {
    expect(sparkline([3, 3, 3])).toBe('▄▄▄');
    expect(sparkline([])).toBe('');
    expect(sparkline([1, Number.NaN, 2])).toBe('▁█');
    const long = sparkline(
      Array.from({ length: 500 }, (_, i) => i),
      24,
    );
    expect(long).toHaveLength(24);
    expect(long.startsWith('▁')).toBe(true);
    expect(long.endsWith('█')).toBe(true);
  });
});

describe('human rendering', () => {
  const premarket = computePremarket(premarketInputs({ z: { ES: 1.5, NQ: 1.6, RTY: null } }));

  it('premarket table: a sparkline per index, the decision, guidance and reasons', () => {
    const text = renderPremarketHuman(premarket, { mode: 'table' });
    expect(text).toMatch(/ES\s.*ESM5.*\+0\.9\d%.*\+1\.50σ.*[▁▂▃▄▅▆▇█]{10,}/);
    expect(text).toMatch(/RTY.*dropped: no_data/);
    expect(text).toMatch(/bias\s+bull/);
    expect(text).toMatch(/mode\s+go_with_gap/);
    expect(text).toMatch(/SPY.*bullish/);
    expect(text).toContain('reasons:\n  - ES ESM5');
  });

  it('premarket when piped: tab-separated rows led by their kind, no header', () => {
    const text = renderPremarketHuman(premarket, { mode: 'tsv' });
    const lines = text.trimEnd().split('\n');
    expect(lines[0]!.split('\t').slice(0, 3)).toEqual(['index', 'ES', 'ESM5']);
    expect(lines).toContain(
      `decision\tbull\tgo_with_gap\tmoderate\t${premarket.decision.confidence.toFixed(2)}\t${premarket.sessionDate}\t${premarket.asOf}`,
    );
    expect(lines.filter((l) => l.startsWith('etf\t'))).toHaveLength(3);
    expect(lines.every((l) => l.length > 0 && !l.includes('─'))).toBe(true);
  });

  it('regime table: level, pending step, per-index measures', () => {
    const at = etWallTime('2025-06-11', 11, 0);
    const path = [...flat(180, 1), ...ramp(61, 1, 0.978)];
    const doc = computeRegime(
      regimeInputs(at, referenceInstant('2025-06-10', false), {
        ES: { minutes: path },
        NQ: { minutes: path },
        RTY: { minutes: path },
      }),
    );
    const text = renderRegimeHuman(doc, { mode: 'table' });
    // no prior state passed to the pure function: the headline leads with level, candidate and progress
    expect(text.split('\n')[0]).toBe('REGIME NORMAL (candidate CRITICAL, 1/2 checks) · no prior state');
    expect(text).toMatch(/level\s+normal \(held/);
    expect(text).toMatch(/pending\s+up to critical: 1\/2 checks/);
    expect(text).toMatch(/ES\s.*-2\.20%.*critical/);
    const tsv = renderRegimeHuman(doc, { mode: 'tsv' });
    expect(tsv.split('\n')).toContain(`level\tnormal\tcritical\theld\t${doc.since}`);
  });
});
