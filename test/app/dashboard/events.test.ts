/** Live refresh: /api/events tells each open page the lake's table versions, and again when a commit lands. */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { watchLake } from '../../../src/app/dashboard/lake-watch.js';
import { appendSnapshots } from '../../../src/lake/index.js';
import { buildSignalLake } from '../../commands/signals/lake-fixture.js';
import { snapshots } from '../../lake/inputs/fixtures.js';
import { type RunningDashboard, startDashboard } from './harness.js';

const NOW = new Date('2026-03-10T16:00:00Z');
let dir: string;
let dashboard: RunningDashboard;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'dash-events-'));
  await buildSignalLake(dir);
  dashboard = await startDashboard(dir, NOW);
});

afterAll(async () => {
  await dashboard?.stop();
  await rm(dir, { recursive: true, force: true });
});

/** The events of a text/event-stream response, one at a time. */
function eventReader(body: ReadableStream<Uint8Array>) {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  return async (): Promise<{ event: string; data: Record<string, unknown> }> => {
    for (;;) {
      const end = buffer.indexOf('\n\n');
      if (end >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const event = /^event: (.*)$/m.exec(block)?.[1] ?? 'message';
        const data = JSON.parse(/^data: (.*)$/m.exec(block)?.[1] ?? 'null') as Record<string, unknown>;
        return { event, data };
      }
      const { value, done } = await reader.read();
      if (done) throw new Error('the event stream ended');
      buffer += decoder.decode(value, { stream: true });
    }
  };
}

const oneRow = (iso: string) =>
  snapshots({
    symbol: 'ES',
    conId: 1,
    localSymbol: 'ESH6',
    from: iso,
    to: iso,
    stepMs: 60_000,
    price: () => 6001,
  });

describe('/api/events', () => {
  it('sends the versions at once, then again after each commit', async () => {
    const abort = new AbortController();
    const res = await fetch(new URL('api/events', dashboard.url), { signal: abort.signal });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const next = eventReader(res.body!);
    const first = await next();
    expect(first.event).toBe('lake');
    const version = first.data.futures_snapshots as number;
    expect(first.data).toEqual({ futures_snapshots: version, futures_bars: null, signal_runs: null });

    await appendSnapshots(dir, oneRow('2026-03-10T15:59:00Z'));
    expect((await next()).data).toMatchObject({ futures_snapshots: version + 1 });
    await appendSnapshots(dir, oneRow('2026-03-10T15:59:30Z'));
    expect((await next()).data).toMatchObject({ futures_snapshots: version + 2 });
    abort.abort();
  });

  it('a second listener hears the current versions at once', async () => {
    const watcher = watchLake(dir, 20);
    const seen: unknown[] = [];
    const stop = watcher.subscribe((v) => seen.push(v));
    expect(watcher.listeners()).toBe(1);
    for (let i = 0; seen.length === 0 && i < 200; i++) await new Promise((r) => setTimeout(r, 10));
    expect(seen).toHaveLength(1);
    // A second listener hears the current versions at once, without waiting for a check.
    const late: unknown[] = [];
    const stopLate = watcher.subscribe((v) => late.push(v));
    expect(late).toEqual(seen);
    stop();
    stopLate();
    expect(watcher.listeners()).toBe(0);
  });
});
