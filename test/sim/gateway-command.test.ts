import { IBApiNext } from '@stoqey/ib';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { runProgram } from '../../src/cli/program.js';
import { futuresGatewayCommand } from '../../src/commands/futures/gateway.js';
import { startSimulator } from '../../src/sim/index.js';
import { ROOT } from '../helpers/bin.js';
import { testCtx } from '../helpers/ctx.js';
import { until } from './helpers.js';

const spec = { name: 'futures' as const, description: 'test', commands: [futuresGatewayCommand] };

describe('futures gateway', () => {
  it('runs in the foreground until aborted, prints the address on stderr and one JSON result', async () => {
    const controller = new AbortController();
    const ctx = testCtx({ signal: controller.signal });
    const run = runProgram(
      spec,
      [
        'gateway',
        '--port',
        '0',
        '--scenario',
        'selloff',
        '--seed',
        '5',
        '--speed',
        '60',
        '--start',
        '2026-10-14T19:00:00-04:00',
        '--json',
      ],
      ctx,
    );
    const line = await until(() => /listening on 127\.0\.0\.1:(\d+)/.exec(ctx.stderr.text()) ?? undefined);
    const port = Number(line[1]);
    const ib = new IBApiNext({ host: '127.0.0.1', port });
    ib.connect(1);
    const t = await ib.getCurrentTime();
    // The clock started at 19:00 ET and runs 60x faster.
    expect(t).toBeGreaterThanOrEqual(Date.parse('2026-10-14T23:00:00Z') / 1000);
    ib.disconnect();
    controller.abort();
    expect(await run).toBe(0);
    const doc = JSON.parse(ctx.stdout.text());
    expect(doc).toMatchObject({
      schema: 'futures.gateway/v1',
      gateway: {
        host: '127.0.0.1',
        port,
        scenario: 'selloff',
        seed: 5,
        speed: 60,
        serverVersion: 193,
        connectionsAccepted: 1,
      },
    });
    expect(ctx.stderr.text()).toContain('scenario selloff, seed 5, speed 60x');
  });

  it('prints one tab-separated line when piped', async () => {
    const controller = new AbortController();
    controller.abort();
    const ctx = testCtx({ signal: controller.signal });
    expect(await runProgram(spec, ['gateway', '--port', '0'], ctx)).toBe(0);
    expect(ctx.stdout.text()).toMatch(/^127\.0\.0\.1\t\d+\tnone\t1\t1\t0\t0\t0\t[\d.]+\n$/);
  });

  it('a port in use is a usage error (exit 2) naming the port and suggesting --port 0', async () => {
    const holder = await startSimulator();
    try {
      const controller = new AbortController();
      const ctx = testCtx({ signal: controller.signal });
      expect(await runProgram(spec, ['gateway', '--port', String(holder.port)], ctx)).toBe(2);
      expect(ctx.stderr.text()).toContain(`port ${holder.port} on 127.0.0.1 is already in use`);
      expect(ctx.stderr.text()).toContain('--port 0');
    } finally {
      await holder.close();
    }
  });

  it('an unknown scenario or a bad flag is a usage error', async () => {
    const ctx = testCtx();
    expect(await runProgram(spec, ['gateway', '--port', '0', '--scenario', 'nope'], ctx)).toBe(2);
    expect(ctx.stderr.text()).toContain("unknown scenario 'nope'");
    const ctx2 = testCtx();
    expect(await runProgram(spec, ['gateway', '--speed', '-1'], ctx2)).toBe(2);
    expect(ctx2.stderr.text()).toContain('--speed');
  });

  it('the built binary serves until SIGTERM and exits 0 (spawned)', async () => {
    const child = execa(process.execPath, [`${ROOT}bin/futures.js`, 'gateway', '--port', '0', '--json'], {
      reject: false,
      env: { NO_COLOR: '1' },
    });
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    const match = await until(
      () => /listening on 127\.0\.0\.1:(\d+)/.exec(stderr) ?? undefined,
      30_000,
      'listening',
    );
    const ib = new IBApiNext({ host: '127.0.0.1', port: Number(match[1]) });
    ib.connect(1);
    expect(await ib.getCurrentTime()).toBeGreaterThan(0);
    ib.disconnect();
    child.kill('SIGTERM');
    const result = await child;
    expect(result.exitCode).toBe(0);
    expect(JSON.parse(String(result.stdout)).gateway).toMatchObject({
      port: Number(match[1]),
      connectionsAccepted: 1,
    });
  });
});
