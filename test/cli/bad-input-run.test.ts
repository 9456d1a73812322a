/**
 * Hostile values that pass the option schemas and fail only when the command runs (issue 21). The
 * bad-input corpus only parses collect, backfill, gateway and dashboard when their options are valid;
 * these run them. Each must be exit 2 with one error/v1 document, or (a recording that cannot be
 * written) a warning — never exit 1, an unhandled 'error' event, or a stack trace.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runProgram } from '../../src/cli/program.js';
import { futuresCommands } from '../../src/commands/futures/index.js';
import { testCtx } from '../helpers/ctx.js';

const dir = mkdtempSync(join(tmpdir(), 'bad-input-run-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const spec = { name: 'futures' as const, description: 'test', commands: futuresCommands };

function ctxFor(signal?: AbortSignal) {
  return testCtx({
    cwd: dir,
    env: { NO_COLOR: '1', FUTURES_IB_PORT: '1', FUTURES_DATA_DIR: join(dir, 'data') },
    now: () => new Date('2026-11-20T14:25:00Z'),
    ...(signal ? { signal } : {}),
  });
}

describe('values that fail when the command runs', () => {
  it.each([
    // --to defaults to the current trade date; a later --from threw a RangeError from the calendar.
    [['backfill', '--from', '2030-01-01'], /--from 2030-01-01 is after --to 2026-11-20/],
    [['backfill', '--from', '2026-11-23', '--bar', '1day'], /is after --to/],
    // A blank or spaced IB host never resolves: exit 3 ("retry next tick") on every run, before.
    [['collect', '--once', '--host', ' '], /ib\.host = " ": a host name or address, without spaces/],
    [['backfill', '--days', '1', '--host', 'gw host'], /ib\.host = "gw host"/],
    // A misspelt --data-dir got a new directory with an empty queue, exit 0.
    [
      ['queue', 'rebuild', '--data-dir', join(dir, 'no-such-data')],
      /no-such-data does not exist: there is no lake/,
    ],
    // An address that is not this machine's, and a name that is not an address.
    [['gateway', '--port', '0', '--host', '192.0.2.1'], /--host: cannot listen on 192\.0\.2\.1/],
    [['gateway', '--port', '0', '--host', '256.1.1.1'], /--host: cannot listen on 256\.1\.1\.1/],
    [['dashboard', '--port', '0', '--host', '256.1.1.1'], /Cannot listen on 256\.1\.1\.1/],
    [['dashboard', '--port', '0', '--host', '192.0.2.1'], /Cannot listen on 192\.0\.2\.1/],
  ])('%j: exit 2 with error/v1', async (argv, message) => {
    const ctx = ctxFor();
    const code = await runProgram(spec, [...argv, '--json'], ctx);
    expect(existsSync(join(dir, 'no-such-data'))).toBe(false);
    expect({ code, internal: ctx.stderr.text().includes('internal error') }).toEqual({
      code: 2,
      internal: false,
    });
    expect(JSON.parse(ctx.stdout.text())).toMatchObject({ schema: 'error/v1', error: { exitCode: 2 } });
    expect(ctx.stderr.text()).toMatch(message);
  });

  it.each([' ', '\n', '\t'])(
    'status --data-dir ending in %j: the missing directory is named quoted',
    async (end) => {
      const ctx = ctxFor();
      const missing = `${join(dir, 'data')}${end}`;
      const code = await runProgram(spec, ['status', '--data-dir', missing], ctx);
      expect(code).toBe(2);
      expect(ctx.stderr.text()).toContain(`data directory ${JSON.stringify(missing)} does not exist`);
    },
  );

  it.skipIf(!existsSync('/dev/full'))(
    'gateway --record /dev/full: the recording stops with a warning, the simulator keeps serving',
    async () => {
      const stop = new AbortController();
      const ctx = ctxFor(stop.signal);
      const running = runProgram(spec, ['gateway', '--port', '0', '--record', '/dev/full'], ctx);
      let port: number | undefined;
      for (let i = 0; i < 100 && port === undefined; i++) {
        await new Promise((r) => setTimeout(r, 50));
        port = Number(/listening on 127\.0\.0\.1:(\d+)/.exec(ctx.stderr.text())?.[1]) || undefined;
      }
      expect(port).toBeDefined();
      // A client connecting is the first recorded event: its write fails with ENOSPC.
      const socket = connect(port as number, '127.0.0.1');
      await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
      for (let i = 0; i < 100 && !ctx.stderr.text().includes('stopped'); i++) {
        await new Promise((r) => setTimeout(r, 20));
      }
      socket.destroy();
      stop.abort();
      expect(await running).toBe(0);
      expect(ctx.stderr.text()).toMatch(/recording to \/dev\/full stopped: ENOSPC/);
    },
  );
});
