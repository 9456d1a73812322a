import { type IbConfig, ibConfigSchema } from '../../../src/config/schema.js';
import type { IbFactory } from '../../../src/ibkr/index.js';
import { loadScenario, type Simulator, startSimulator } from '../../../src/sim/index.js';

/**
 * Tuesday 1 Sep 2026, 10:00 New York: RTH, ES front month U6 (last trade 20260918). The simulator's
 * price paths are anchored on 2026-09-01, so quotes near it are cheap to compute.
 */
export const NOW = new Date('2026-09-01T14:00:00Z');
export const now = () => NOW;

export interface SimHarness {
  sim: Simulator;
  factory: IbFactory;
  config(overrides?: Record<string, unknown>): IbConfig;
  close(): Promise<void>;
}

/** A simulator on a free loopback port with the given faults, and a config pointing at it. */
export async function startSim(
  faults: unknown[] = [],
  options: { snapshotEndDelayMs?: number } = {},
): Promise<SimHarness> {
  const sim = await startSimulator({
    port: 0,
    seed: 7,
    now,
    scenario: loadScenario({ faults }),
    snapshotEndDelayMs: options.snapshotEndDelayMs ?? 20,
  });
  return {
    sim,
    factory: { target: { host: sim.host, port: sim.port } },
    config: (overrides = {}) =>
      ibConfigSchema.parse({
        host: 'unused.invalid',
        port: 1,
        clientIdRange: [101, 105],
        // Generous: the machine is shared; tests of timeouts set their own short values.
        connectTimeoutMs: 10_000,
        requestTimeoutMs: 10_000,
        snapshotTimeoutMs: 10_000,
        heartbeatIntervalMs: 60_000,
        heartbeatTimeoutMs: 2_000,
        reconnectBaseMs: 20,
        reconnectMaxMs: 200,
        farmWaitMs: 2_000,
        ...overrides,
      }),
    close: () => sim.close(),
  };
}
