import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appendSnapshots, type SnapshotRecord } from '../../../src/lake/index.js';
import { type PremarketDocument, premarketDocumentSchema } from '../../../src/signals/index.js';
import { snapshots, tempDir, vixSnapshot } from '../../lake/inputs/fixtures.js';
import { runSignals } from './lake-fixture.js';

/**
 * `signals premarket --from/--to` reads each window of sessions once and evaluates in memory; every call
 * must equal the one-shot `--as-of` at the same instant (inputs and early warning). The night into Wed
 * 2026-03-11 falls 4.5 % (near the overnight limit): the call keeps its direction and carries the early
 * warning at that instant.
 */

const MIN = 60_000;
const FROM = '2026-03-02T14:00:00Z';
const TO = '2026-03-12T16:00:00Z';
const SLIDE_FROM = Date.parse('2026-03-11T04:00:00Z'); // Wed 00:00 EDT
const SLIDE_TO = Date.parse('2026-03-11T11:00:00Z'); // 07:00 EDT, −4.5 %
const NOW = () => new Date(TO);

function priceOf(base: number, beta: number) {
  return (t: Date) => {
    const ms = t.getTime();
    const wiggle = base * (1 + 0.001 * Math.sin(ms / (83 * MIN)));
    if (ms <= SLIDE_FROM) return wiggle;
    const depth = 0.045 * beta * Math.min(1, (ms - SLIDE_FROM) / (SLIDE_TO - SLIDE_FROM));
    return wiggle * (1 - depth);
  };
}

let dir: string;
let cleanup: () => Promise<void>;
beforeAll(async () => {
  const t = await tempDir('sig-pm-replay-');
  dir = t.dir;
  cleanup = t.cleanup;
  const rows: SnapshotRecord[] = [];
  for (const [symbol, conId, local, base, beta] of [
    ['ES', 1, 'ESH6', 6000, 1],
    ['NQ', 2, 'NQH6', 21000, 1.1],
    ['RTY', 3, 'RTYH6', 2100, 1.05],
  ] as const) {
    rows.push(
      ...snapshots({
        symbol,
        conId,
        localSymbol: local,
        from: FROM,
        to: TO,
        stepMs: 5 * MIN,
        price: priceOf(base, beta),
      }),
    );
  }
  for (let t = Date.parse(FROM); t <= Date.parse(TO); t += 15 * MIN)
    rows.push(vixSnapshot(new Date(t), 18, 17));
  await appendSnapshots(dir, rows);
}, 120_000);
afterAll(async () => cleanup());

async function oneShot(asOf: string): Promise<PremarketDocument> {
  const r = await runSignals(['premarket', '--json', '--no-record', '--data-dir', dir, '--as-of', asOf], NOW);
  expect(r.code).toBe(0);
  return premarketDocumentSchema.parse(JSON.parse(r.stdout));
}

describe('signals premarket replay', () => {
  it('equals the one-shot call at every 09:25 ET, early warning included', async () => {
    const r = await runSignals(
      ['premarket', '--data-dir', dir, '--from', '2026-03-09', '--to', '2026-03-12'],
      NOW,
    );
    expect(r.code).toBe(0);
    const lines = r.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines.map((l) => l.sessionDate)).toEqual(['2026-03-09', '2026-03-10', '2026-03-11', '2026-03-12']);
    for (const line of lines) {
      const replayed = premarketDocumentSchema.parse(line);
      const once = await oneShot(replayed.asOf);
      expect(replayed).toEqual(once);
      expect(replayed.earlyWarning).not.toBeNull();
    }
  }, 120_000);

  it('keeps the direction near the price limit and carries the early warning of that instant', async () => {
    const doc = await oneShot('2026-03-11 09:25');
    expect(doc.tags).toContain('limitNear');
    expect(doc.decision.mode).toBe('limit_move');
    expect(['lean_bear', 'bear', 'strong_bear']).toContain(doc.decision.bias);
    expect(doc.decision.strength).not.toBe('none');
    expect(doc.earlyWarning).toMatchObject({ stateSource: 'derived' });
    expect(['warning', 'critical']).toContain(doc.earlyWarning?.level);
    expect(doc.earlyWarning?.candidate).toBeDefined();
    expect(doc.reasons.some((line) => line.includes('limit_move'))).toBe(true);
    expect(doc.reasons.some((line) => line.startsWith('early warning: REGIME'))).toBe(true);
  }, 60_000);
});
