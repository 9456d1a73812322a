import { afterEach, describe, expect, it } from 'vitest';
import { exitCodeOf } from '../../../src/cli/exit.js';
import { manualClock } from '../../../src/core/clock.js';
import {
  IbClientIdInUseError,
  IbConnectionLostError,
  type IbConnectivityEvent,
  IbPacingError,
  IbRequestError,
  IbSession,
  IbTimeoutError,
  IbUnavailableError,
  withIb,
} from '../../../src/ibkr/index.js';
import { until } from './fake-wire.js';
import { NOW, now, type SimHarness, startSim } from './sim-helpers.js';

/** Every simulator fault, seen through the real @stoqey/ib client and the connection module. */

let harness: SimHarness | undefined;
afterEach(async () => {
  await harness?.close();
  harness = undefined;
});

function record(session: IbSession): string[] {
  const events: string[] = [];
  session.onConnectivity((e: IbConnectivityEvent) => {
    if (e.type === 'farm') events.push(`farm:${e.farm}:${e.up ? 'up' : 'down'}`);
    else if (e.type === 'lost') events.push(`lost:${e.code ?? (e.socket ? 'socket' : '?')}`);
    else if (e.type === 'restored') events.push(`restored:${e.code}`);
    else events.push(e.type);
  });
  return events;
}

describe('disconnect after N messages', () => {
  it('keepAlive: reconnects with back-off and finishes the work', async () => {
    harness = await startSim([{ type: 'disconnect', afterMessages: 2, sessions: 1 }]);
    const session = await IbSession.open(harness.config(), {
      factory: harness.factory,
      now,
      keepAlive: true,
    });
    const events = record(session);
    try {
      const contracts = await session.resolveContracts(['ES', 'NQ', 'RTY', 'VIX']);
      expect(contracts.map((c) => c.localSymbol)).toEqual(['ESU6', 'NQU6', 'RTYU6', 'VIX']);
      const outcomes = await session.takeSnapshots(contracts);
      expect(outcomes.every((o) => o.ok)).toBe(true);
      expect(events.slice(0, 3)).toEqual(['lost:socket', 'reconnecting', 'reconnected']);
      expect(session.clientId).toBe(101);
      expect(harness.sim.stats().connectionsAccepted).toBe(2);
    } finally {
      await session.close();
    }
  });

  it('one-shot: the in-flight request fails with exit 3', async () => {
    harness = await startSim([{ type: 'disconnect', afterMessages: 1 }]);
    const error = await withIb(harness.config(), (ib) => ib.resolveContracts(['ES', 'NQ']), {
      factory: harness.factory,
      now,
    }).catch((e) => e);
    expect(error).toBeInstanceOf(IbConnectionLostError);
    expect(error).toBeInstanceOf(IbUnavailableError);
    expect(exitCodeOf(error)).toBe(3);
  });
});

describe('system messages with id -1', () => {
  it('1100 → 1102: requests are held, then resume; events for the collector', async () => {
    harness = await startSim([
      { type: 'systemMessages', afterMessages: 1, codes: [1100, 1102], intervalMs: 300 },
    ]);
    const session = await IbSession.open(harness.config(), { factory: harness.factory, now });
    const events = record(session);
    try {
      expect((await session.resolveFrontMonth('ES')).localSymbol).toBe('ESU6');
      await until(() => events.includes('lost:1100'), 5_000, '1100');
      expect(session.state).toBe('interrupted');
      const nq = await session.resolveFrontMonth('NQ');
      expect(nq.localSymbol).toBe('NQU6');
      expect(events).toEqual(['lost:1100', 'restored:1102']);
      expect(session.state).toBe('ready');
    } finally {
      await session.close();
    }
  });

  it('1100 → 1101: restored with data lost; market data type re-sent, snapshots still complete', async () => {
    harness = await startSim([
      { type: 'delayedOnly', symbols: ['RTY'] },
      { type: 'systemMessages', afterMessages: 4, codes: [1100, 1101], intervalMs: 200 },
    ]);
    const session = await IbSession.open(harness.config(), { factory: harness.factory, now });
    const events = record(session);
    try {
      const rty = await session.resolveFrontMonth('RTY');
      const first = await session.takeSnapshot(rty); // 354 → type 3 → delayed
      expect(first.marketDataType).toBe(3);
      await until(() => events.includes('restored:1101'), 5_000, '1101');
      const again = await session.takeSnapshot(rty);
      expect(again.marketDataType).toBe(3);
      expect(events).toEqual(['lost:1100', 'restored:1101']);
      expect(harness.sim.sessions()[0]?.marketDataType).toBe(3);
    } finally {
      await session.close();
    }
  });

  it('2103 → 2104: farm events; a snapshot waits for the farm instead of taking stale data', async () => {
    harness = await startSim([
      { type: 'systemMessages', afterMessages: 1, codes: [2103, 2104], intervalMs: 300 },
    ]);
    const session = await IbSession.open(harness.config(), { factory: harness.factory, now });
    const events = record(session);
    try {
      const es = await session.resolveFrontMonth('ES');
      await until(() => events.includes('farm:market:down'), 5_000, '2103');
      const snapshot = await session.takeSnapshot(es);
      expect(events).toEqual(['farm:market:down', 'farm:market:up']);
      expect(snapshot.flags).not.toContain('farm_degraded');
      expect(snapshot.bid).toBeGreaterThan(0);
    } finally {
      await session.close();
    }
  });
});

describe('client ids', () => {
  it('326 with auto ids → the next id in the range', async () => {
    harness = await startSim([{ type: 'clientIdInUse', clientIds: [101, 102] }]);
    const clientId = await withIb(harness.config(), async (ib) => ib.clientId, {
      factory: harness.factory,
      now,
    });
    expect(clientId).toBe(103);
    expect(harness.sim.stats().faultsFired.filter((f) => f.includes('clientIdInUse'))).toHaveLength(2);
  });

  it('326 with a fixed id → IbClientIdInUseError naming it', async () => {
    harness = await startSim([{ type: 'clientIdInUse', clientIds: [55] }]);
    const error = await withIb(harness.config({ clientId: 55 }), async () => 1, {
      factory: harness.factory,
      now,
    }).catch((e) => e);
    expect(error).toBeInstanceOf(IbClientIdInUseError);
    expect(error.message).toContain('client id 55');
    expect(error.hint).toContain('"auto"');
  });
});

describe('historical pacing', () => {
  const request = (contract: Awaited<ReturnType<IbSession['resolveFrontMonth']>>) => ({
    contract,
    barSize: '1 min' as const,
    whatToShow: 'TRADES' as const,
    start: new Date('2026-08-30T14:00:00Z'),
    end: NOW,
  });

  it('162 on the Nth request backs off and retries (virtual pacing clock)', async () => {
    harness = await startSim([{ type: 'pacingViolation', onHistoricalRequest: 2 }]);
    const clock = manualClock(new Date(0));
    const { bars, pacing } = await withIb(
      harness.config(),
      async (ib) => {
        const bars = await ib.fetchBars(request(await ib.resolveFrontMonth('ES')));
        return { bars, pacing: ib.pacing };
      },
      { factory: harness.factory, now, pacerClock: clock },
    );
    expect(pacing.pacingViolations).toBe(1);
    expect(pacing.historicalRequests).toBe(3);
    expect(harness.sim.stats().historicalRequests).toBe(3);
    expect(bars.length).toBeGreaterThan(1_000);
    expect(clock.now().getTime()).toBeGreaterThanOrEqual(15_000);
  });

  it('persistent 162 → IbPacingError (exit 3) after ib.maxPacingRetries', async () => {
    harness = await startSim([{ type: 'pacingViolation', onHistoricalRequest: 1, every: 1 }]);
    const error = await withIb(
      harness.config({ maxPacingRetries: 2 }),
      async (ib) => ib.fetchBars(request(await ib.resolveFrontMonth('ES'))),
      { factory: harness.factory, now, pacerClock: manualClock(new Date(0)) },
    ).catch((e) => e);
    expect(error).toBeInstanceOf(IbPacingError);
    expect(exitCodeOf(error)).toBe(3);
    expect(harness.sim.stats().historicalRequests).toBe(3);
  });
});

describe('refusals and market data permissions', () => {
  it('200 for one symbol → IbRequestError; the others resolve', async () => {
    harness = await startSim([{ type: 'noSecurityDefinition', symbols: ['NQ'] }]);
    const result = await withIb(
      harness.config(),
      async (ib) => ({
        es: await ib.resolveFrontMonth('ES'),
        nq: await ib.resolveFrontMonth('NQ').catch((e) => e),
      }),
      { factory: harness.factory, now },
    );
    expect(result.es.localSymbol).toBe('ESU6');
    expect(result.nq).toBeInstanceOf(IbRequestError);
    expect(result.nq).toMatchObject({ ibCode: 200, kind: 'usage' });
    expect(result.nq.reqId).toBeGreaterThan(0);
  });

  it('354 (delayed only) → falls back to delayed data, recorded per row', async () => {
    harness = await startSim([{ type: 'delayedOnly', symbols: ['ES'] }]);
    const outcomes = await withIb(
      harness.config({ maxConcurrentSnapshots: 1 }),
      async (ib) => ib.takeSnapshots(await ib.resolveContracts(['ES', 'NQ'])),
      { factory: harness.factory, now },
    );
    const [es, nq] = outcomes.map((o) => (o.ok ? o.snapshot : null));
    expect(es).toMatchObject({ marketDataType: 3, requestedMarketDataType: 3 });
    expect(es?.flags).toEqual(['delayed', 'delayed_fallback']);
    expect(es?.bid).toBeGreaterThan(0);
    expect(es?.last).toBeGreaterThan(0);
    // NQ has live permission: live data even though the session now asks for type 3.
    expect(nq).toMatchObject({ marketDataType: 1, requestedMarketDataType: 3, flags: [] });
  });

  it('354 with ib.delayedFallback=false → IbRequestError', async () => {
    harness = await startSim([{ type: 'delayedOnly' }]);
    const error = await withIb(
      harness.config({ delayedFallback: false }),
      async (ib) => ib.takeSnapshot(await ib.resolveFrontMonth('ES')),
      { factory: harness.factory, now },
    ).catch((e) => e);
    expect(error).toBeInstanceOf(IbRequestError);
    expect(error.ibCode).toBe(354);
  });
});

describe('snapshots that do not end, slow and silent gateways', () => {
  it('snapshot never ends → what arrived plus timed_out_partial', async () => {
    harness = await startSim([{ type: 'snapshotNeverEnds', symbols: ['ES'] }]);
    const snapshot = await withIb(
      harness.config({ snapshotTimeoutMs: 1_500 }),
      async (ib) => {
        // The simulator builds its (correlated) price paths on first use; NQ warms them up.
        await ib.takeSnapshot(await ib.resolveFrontMonth('NQ'));
        return ib.takeSnapshot(await ib.resolveFrontMonth('ES'));
      },
      { factory: harness.factory, now },
    );
    expect(snapshot.flags).toEqual(['timed_out_partial']);
    expect(snapshot.bid).toBeGreaterThan(0);
    expect(snapshot.marketDataType).toBe(1);
  });

  it('nothing arrives in time → IbTimeoutError, never an empty snapshot', async () => {
    harness = await startSim([{ type: 'slow', delayMs: 3_000, requests: ['marketData'] }]);
    const outcomes = await withIb(
      harness.config({ snapshotTimeoutMs: 300 }),
      async (ib) => ib.takeSnapshots([await ib.resolveFrontMonth('ES')]),
      { factory: harness.factory, now },
    );
    expect(outcomes[0]?.ok).toBe(false);
    expect(!outcomes[0]?.ok && outcomes[0]?.error).toBeInstanceOf(IbTimeoutError);
  });

  it('slow responses within the timeout still succeed; beyond it → IbTimeoutError', async () => {
    harness = await startSim([{ type: 'slow', delayMs: 400, requests: ['contractDetails'] }]);
    const ok = await withIb(harness.config(), (ib) => ib.resolveFrontMonth('ES'), {
      factory: harness.factory,
      now,
    });
    expect(ok.localSymbol).toBe('ESU6');
    const error = await withIb(
      harness.config({ requestTimeoutMs: 150 }),
      (ib) => ib.resolveFrontMonth('ES'),
      {
        factory: harness.factory,
        now,
      },
    ).catch((e) => e);
    expect(error).toBeInstanceOf(IbTimeoutError);
    expect(exitCodeOf(error)).toBe(3);
  });

  it('half-open socket → the heartbeat detects it (one-shot: down, exit 3)', async () => {
    harness = await startSim([{ type: 'halfOpen', afterMessages: 1 }]);
    const session = await IbSession.open(
      harness.config({ heartbeatIntervalMs: 100, heartbeatTimeoutMs: 300 }),
      {
        factory: harness.factory,
        now,
      },
    );
    const events = record(session);
    try {
      await session.resolveFrontMonth('ES').catch(() => undefined);
      await until(() => session.state === 'down', 10_000, 'heartbeat to notice the half-open socket');
      expect(events).toEqual(['heartbeat_timeout', 'lost:socket']);
      await expect(session.resolveFrontMonth('NQ')).rejects.toBeInstanceOf(IbUnavailableError);
    } finally {
      await session.close();
    }
  });

  it('half-open socket, keepAlive → heartbeat, reconnect, work continues', async () => {
    harness = await startSim([{ type: 'halfOpen', afterMessages: 1, sessions: 1 }]);
    const session = await IbSession.open(
      harness.config({ heartbeatIntervalMs: 100, heartbeatTimeoutMs: 300 }),
      {
        factory: harness.factory,
        now,
        keepAlive: true,
      },
    );
    const events = record(session);
    try {
      await session.resolveFrontMonth('ES').catch(() => undefined);
      await until(() => events.includes('reconnected'), 10_000, 'reconnect after the heartbeat timeout');
      expect((await session.resolveFrontMonth('NQ')).localSymbol).toBe('NQU6');
      expect(events.slice(0, 4)).toEqual(['heartbeat_timeout', 'lost:socket', 'reconnecting', 'reconnected']);
    } finally {
      await session.close();
    }
  });

  it('malformed frame → logged as a protocol error; the connection stays usable', async () => {
    harness = await startSim([{ type: 'malformedFrame', afterMessages: 1, variant: 'missingField' }]);
    const session = await IbSession.open(harness.config(), { factory: harness.factory, now });
    const events = record(session);
    try {
      await session.resolveFrontMonth('ES');
      await until(() => events.includes('protocol_error'), 5_000, '505');
      expect((await session.resolveFrontMonth('VIX')).secType).toBe('IND');
      expect(session.state).toBe('ready');
    } finally {
      await session.close();
    }
  });
});
