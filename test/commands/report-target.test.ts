/**
 * `futures report --html PATH` replaces the file it names by renaming a finished copy over it (issue 21).
 * A path that is not a file must be refused before that rename: as root, renaming over /dev/full or
 * /dev/null replaced the device with the HTML file. A symbolic link is followed (its target is replaced,
 * the link stays); a link loop and a write the OS refuses are exit 2, not exit 0 or exit 1.
 */
import { spawnSync } from 'node:child_process';
import {
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runProgram } from '../../src/cli/program.js';
import { futuresReportCommand } from '../../src/commands/futures/report.js';
import { testCtx } from '../helpers/ctx.js';
import { buildSignalLake } from './signals/lake-fixture.js';

const dir = mkdtempSync(join(tmpdir(), 'report-target-'));
mkdirSync(join(dir, 'data'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const spec = { name: 'futures' as const, description: 'test', commands: [futuresReportCommand] };

async function report(html: string) {
  const ctx = testCtx({ cwd: dir, env: { NO_COLOR: '1' }, now: () => new Date('2026-11-20T14:25:00Z') });
  const code = await runProgram(
    spec,
    ['report', '--html', html, '--data-dir', join(dir, 'data'), '--json'],
    ctx,
  );
  return { code, stdout: ctx.stdout.text(), stderr: ctx.stderr.text() };
}

describe('report --html: what the rename may replace', () => {
  it('a FIFO is refused, exit 2, and stays a FIFO', async () => {
    const fifo = join(dir, 'pipe.html');
    if (spawnSync('mkfifo', [fifo]).status !== 0) return; // no mkfifo on this system
    const r = await report(fifo);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('is a device, pipe or socket, not a file');
    expect(lstatSync(fifo).isFIFO()).toBe(true);
  });

  it('a socket is refused, exit 2, and stays a socket', async () => {
    const socket = join(dir, 'sock.html');
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(socket, resolve));
    try {
      const r = await report(socket);
      expect(r.code).toBe(2);
      expect(JSON.parse(r.stdout)).toMatchObject({ schema: 'error/v1', error: { exitCode: 2 } });
      expect(lstatSync(socket).isSocket()).toBe(true);
    } finally {
      server.close();
    }
  });

  it('a symbolic link loop is exit 2 and the links stay', async () => {
    const a = join(dir, 'loop-a.html');
    const b = join(dir, 'loop-b.html');
    symlinkSync(b, a);
    symlinkSync(a, b);
    const r = await report(a);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('symbolic link that does not resolve');
    expect(readlinkSync(a)).toBe(b);
  });

  it('a symbolic link to a file: the target is replaced and the link stays', async () => {
    const target = join(dir, 'archive.html');
    const link = join(dir, 'latest.html');
    writeFileSync(target, 'old');
    symlinkSync(target, link);
    const r = await report(link);
    expect(r.code).toBe(0);
    expect(lstatSync(link).isSymbolicLink()).toBe(true);
    expect(readFileSync(target, 'utf8')).toMatch(/^<!doctype html>/i);
  });

  it.skipIf(!existsSync('/proc/self'))(
    'a directory the OS will not create files in (/proc/self) is exit 2, not an internal error',
    async () => {
      const r = await report('/proc/self/report.html');
      expect(r.code).toBe(2);
      expect(r.stderr).not.toContain('internal error');
    },
  );
});

describe('report on a lake no document can be made from', () => {
  it('writes the report and exits 4, so a cron job sees it (it exited 0 with every document an error)', async () => {
    const data = join(dir, 'damaged');
    await buildSignalLake(data);
    for (const table of ['futures_snapshots', 'futures_bars', 'signal_runs']) {
      const log = join(data, 'lake', table, '_delta_log');
      if (!existsSync(log)) continue;
      const newest = readdirSync(log)
        .filter((f) => f.endsWith('.json'))
        .sort()
        .at(-1) as string;
      writeFileSync(join(log, newest), 'garbage{\n');
    }
    const html = join(dir, 'damaged.html');
    const ctx = testCtx({ cwd: dir, env: { NO_COLOR: '1' }, now: () => new Date('2026-03-10T14:25:00Z') });
    const code = await runProgram(spec, ['report', '--html', html, '--data-dir', data, '--json'], ctx);
    expect(code).toBe(4);
    expect(JSON.parse(ctx.stdout.text()).errors).toEqual([
      'status',
      'premarket',
      'regime',
      'series',
      'timeline',
      'coverage',
    ]);
    expect(readFileSync(html, 'utf8')).toMatch(/^<!doctype html>/i);
  });
});
