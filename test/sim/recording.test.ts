import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { IBApiNext, SecType } from '@stoqey/ib';
import { afterAll, describe, expect, it } from 'vitest';
import { readRecording, startReplay, startSimulator } from '../../src/sim/index.js';
import { fixedClock, RTH_INSTANT } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'sim-record-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('recording and replay', () => {
  it('records every frame in and out with timestamps, and replays it to a real client', async () => {
    const path = join(dir, 'frames.jsonl');
    const sim = await startSimulator({ now: fixedClock(RTH_INSTANT), record: path, streamIntervalMs: 0 });
    const ib = new IBApiNext({ host: sim.host, port: sim.port });
    ib.connect(8);
    const time = await ib.getCurrentTime();
    const details = await ib.getContractDetails({ symbol: 'ES', secType: SecType.FUT, exchange: 'CME' });
    ib.disconnect();
    await sim.waitFor(() => sim.connections() === 0);
    await sim.close();

    const entries = readRecording(path);
    expect(entries[0]).toMatchObject({ conn: 1, event: 'connect' });
    expect(entries[1]).toMatchObject({ conn: 1, event: 'handshake', text: 'v100..193' });
    expect(entries).toContainEqual(expect.objectContaining({ dir: 'in', fields: ['71', '2', '8', ''] }));
    expect(entries).toContainEqual(expect.objectContaining({ dir: 'out', fields: ['9', '1', '1'] }));
    expect(entries).toContainEqual(expect.objectContaining({ dir: 'in', fields: ['49', '1'] }));
    expect(entries.filter((e) => 'dir' in e && e.dir === 'out' && e.fields[0] === '10')).toHaveLength(5);
    expect(entries.at(-1)).toMatchObject({ event: 'close' });
    for (const e of entries) {
      expect(Date.parse(e.t)).not.toBeNaN();
      expect(e.sim).toBe(RTH_INSTANT.toISOString());
    }

    const replay = await startReplay({ recording: path, port: 0 });
    const again = new IBApiNext({ host: replay.host, port: replay.port });
    again.connect(8);
    try {
      expect(await again.getCurrentTime()).toBe(time);
      const replayed = await again.getContractDetails({
        symbol: 'ES',
        secType: SecType.FUT,
        exchange: 'CME',
      });
      expect(replayed.map((d) => d.contract.conId)).toEqual(details.map((d) => d.contract.conId));
    } finally {
      again.disconnect();
      await replay.close();
    }
  });
});
