import { describe, expect, it } from 'vitest';
import { fitColumns, formatTable } from '../../src/cli/output.js';

const grid = {
  head: ['version', 'time', 'operation', 'metrics'],
  rows: [
    [
      12,
      '2026-11-20T14:25:00.000Z',
      'OPTIMIZE',
      `{"numFilesAdded":1,"numFilesRemoved":926,${'"x":1,'.repeat(60)}}`,
    ],
    [11, '2026-11-20T14:24:00.000Z', 'WRITE', '{"numFiles":1}'],
  ],
};

const widths = (text: string) =>
  text
    .trimEnd()
    .split('\n')
    .map((l) => [...l].length);

describe('width-aware tables', () => {
  it('fit the terminal: the widest column is cut with … and the others stay whole', () => {
    for (const width of [50, 60])
      expect(Math.max(...widths(formatTable(grid, { width })))).toBeLessThanOrEqual(width);
    for (const width of [80, 100, 125]) {
      const out = formatTable(grid, { width });
      expect(Math.max(...widths(out)), String(width)).toBe(width);
      expect(out).toContain('2026-11-20T14:25:00.000Z');
      expect(out).toContain('OPTIMIZE');
      expect(out).toContain('…');
    }
  });

  it('leave a table that fits, or has no width, as it is', () => {
    const narrow = { head: ['a', 'b'], rows: [['x', 'y']] };
    expect(formatTable(narrow, { width: 80 })).toBe(formatTable(narrow));
    expect(Math.max(...widths(formatTable(grid)))).toBeGreaterThan(300);
  });

  it('fitColumns takes from the widest first and never below 8 columns', () => {
    expect(fitColumns([10, 10, 400], 80)).toEqual([10, 10, 50]);
    expect(fitColumns([30, 30, 30], 40)).toEqual([10, 10, 10]);
    expect(fitColumns([30, 30, 30], 20)).toEqual([8, 8, 8]);
    expect(fitColumns([5, 5], 80)).toEqual([5, 5]);
  });
});
