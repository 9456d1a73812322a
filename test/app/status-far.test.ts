/** `futures status` on a lake idle for months finds each symbol's newest row, however far back it is. */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appendToLake } from '../../src/lake/index.js';
import { cliJson } from './dashboard/harness.js';

let dir: string;

const row = (symbol: string, tradeDate: string, iso: string) => ({
  sql: `SELECT TIMESTAMPTZ '${iso}' AS ts, DATE '${tradeDate}' AS trade_date, 'overnight' AS segment,
    '${symbol}' AS symbol, 'FUT' AS sec_type, 1 AS con_id, '${symbol}H6' AS local_symbol, 100.0 AS bid,
    100.25 AS ask, 100.25 AS "last", 100.125 AS mid, 1 AS market_data_type, CAST([] AS VARCHAR[]) AS quality,
    'sim' AS source`,
});

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'status-far-'));
  await appendToLake(dir, 'futures_snapshots', row('NQ', '2025-12-01', '2025-12-01T12:00:00Z'));
  for (const day of ['05', '06', '07', '08', '09', '12', '13']) {
    await appendToLake(dir, 'futures_snapshots', row('ES', `2026-01-${day}`, `2026-01-${day}T12:00:00Z`));
  }
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('futures status, far look-back', () => {
  it('steps back through the partitions that exist until every symbol is found', async () => {
    const { code, doc } = await cliJson(
      'futures',
      ['status', '--json', '--data-dir', dir],
      new Date('2026-03-10T16:00:00Z'),
    );
    expect(code).toBe(0);
    const last = Object.fromEntries(
      (doc.instruments as Array<{ symbol: string; lastTs: string | null }>).map((i) => [i.symbol, i.lastTs]),
    );
    expect(last).toEqual({
      ES: '2026-01-13T12:00:00.000Z',
      NQ: '2025-12-01T12:00:00.000Z',
      RTY: null,
      VIX: null,
    });
  });
});
