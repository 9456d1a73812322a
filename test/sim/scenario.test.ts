import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BUILTIN_SCENARIOS, builtinScenario, loadScenario, ScenarioError } from '../../src/sim/index.js';

const dir = mkdtempSync(join(tmpdir(), 'sim-scenario-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('scenarios', () => {
  it('ships calm, selloff, gap-up (and crash, flaky), all valid', () => {
    expect(BUILTIN_SCENARIOS).toEqual(
      expect.arrayContaining(['calm', 'selloff', 'gap-up', 'crash', 'flaky']),
    );
    for (const name of BUILTIN_SCENARIOS) expect(builtinScenario(name).name).toBe(name);
    expect(builtinScenario('selloff').events[0]).toMatchObject({ type: 'selloff', pct: -2.5 });
    expect(() => builtinScenario('nope')).toThrow(/unknown scenario 'nope'/);
  });

  it('loads from a file, a JSON string or an object, applying defaults', () => {
    const file = join(dir, 's.json');
    writeFileSync(file, JSON.stringify({ name: 'f', faults: [{ type: 'slow', delayMs: 5 }] }));
    expect(loadScenario(file)).toMatchObject({
      name: 'f',
      vix: 16,
      events: [],
      faults: [{ type: 'slow', delayMs: 5 }],
    });
    expect(
      loadScenario('{"events":[{"type":"limitDown","from":"21:00","to":"23:00"}]}').events[0],
    ).toMatchObject({
      pct: -10,
      limitPct: 7,
    });
    expect(
      loadScenario({ faults: [{ type: 'systemMessages', codes: [1100, 1101] }] }).faults[0],
    ).toMatchObject({
      intervalMs: 200,
      holdRequests: true,
    });
  });

  it('names the path of every invalid field', () => {
    const bad = () =>
      loadScenario({
        events: [{ type: 'selloff', from: '25:00', to: '03:00', pct: -2 }],
        faults: [{ type: 'pacingViolation' }, { type: 'teleport' }],
      });
    expect(bad).toThrow(ScenarioError);
    try {
      bad();
    } catch (error) {
      const message = (error as Error).message;
      expect(message).toContain('events.0.from: expected HH:MM');
      expect(message).toContain('faults.0.onHistoricalRequest');
      expect(message).toContain('faults.1.type');
    }
    expect(() => loadScenario({ vix: 10, extra: true })).toThrow(/Unrecognized key/);
  });

  it('reports unreadable files and bad JSON clearly', () => {
    expect(() => loadScenario(join(dir, 'missing.json'))).toThrow(/cannot read scenario file/);
    const file = join(dir, 'bad.json');
    writeFileSync(file, '{ not json');
    expect(() => loadScenario(file)).toThrow(/is not valid JSON/);
  });
});
