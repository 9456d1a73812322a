/**
 * The newcomer's path and the docs, end to end through the built binaries: `futures demo --json`
 * builds a lake on the simulator, then every command line of cron.example and every runnable README
 * block runs against that lake (gateway lines against a simulator on loopback), so the docs cannot
 * drift from the commands.
 */

import { existsSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Simulator, startSimulator } from '../../src/sim/index.js';
import { ROOT, runBin } from '../helpers/bin.js';
import { schemaErrors } from '../helpers/schemas.js';

interface DemoSummary {
  schema: string;
  dataDir: string;
  collect: { rows: number; bySymbol: Record<string, number> };
  compact: { filesBefore: number; filesAfter: number };
  signals: { premarket: { schema: string }; regime: { schema: string; level: string } };
}

/** Code blocks of a Markdown file whose info string is exactly `sh <tag>`. */
function codeBlocks(markdown: string, tag: string): string[] {
  const lines: string[] = [];
  const re = new RegExp(`^\`\`\`sh ${tag}\\n([\\s\\S]*?)^\`\`\``, 'gm');
  for (const match of markdown.matchAll(re)) {
    for (const line of (match[1] ?? '').split('\n'))
      if (line.trim() && !line.trim().startsWith('#')) lines.push(line.trim());
  }
  return lines;
}

/** The command part of each crontab entry (comments and VAR=value lines skipped). */
function cronCommands(crontab: string): string[] {
  return crontab
    .split('\n')
    .filter((l) => l.trim() && !l.trim().startsWith('#') && !/^[A-Z_]+=/.test(l.trim()))
    .map((l) => l.trim().split(/\s+/).slice(5).join(' '));
}

/** A long-running line (loop, gateway) is checked with --help instead of being run. */
function isLongRunning(command: string): boolean {
  return /--loop\b/.test(command) || /^futures gateway\b/.test(command);
}

describe('newcomer path and docs', () => {
  let work: string;
  let demoDir: string;
  let shims: string;
  let sim: Simulator;
  let demo: DemoSummary;

  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'docs-'));
    demoDir = join(work, 'demo-data');
    shims = join(work, 'bin');
    await mkdir(shims);
    await mkdir(join(work, 'log'));
    for (const bin of ['futures', 'signals']) {
      const shim = join(shims, bin);
      await writeFile(shim, `#!/bin/sh\nexec "${process.execPath}" "${ROOT}bin/${bin}.js" "$@"\n`);
      await chmod(shim, 0o755);
    }
    // The README's runnable block is written against this session date; the lake goes to ./demo-data.
    const r = await runBin('futures', ['demo', '--json', '--date', '2026-11-20'], {
      cwd: work,
      timeoutMs: 600_000,
    });
    expect(r.stderr).not.toContain('internal error');
    expect(r.exitCode).toBe(0);
    demo = JSON.parse(r.stdout) as DemoSummary;
    sim = await startSimulator({ port: 0, seed: 3, snapshotEndDelayMs: 0 });
  }, 660_000);

  afterAll(async () => {
    await sim?.close();
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('futures demo --json shows rows for every instrument, a compacted table and both signals', () => {
    expect(demo.schema).toBe('futures.demo/v1');
    expect(schemaErrors(demo)).toEqual([]);
    expect(demo.dataDir).toBe(demoDir);
    expect(existsSync(join(demoDir, '.futures-demo'))).toBe(true);
    for (const symbol of ['ES', 'NQ', 'RTY', 'VIX'])
      expect(demo.collect.bySymbol[symbol]).toBeGreaterThan(800);
    expect(demo.compact.filesAfter).toBeGreaterThan(0);
    expect(demo.compact.filesAfter).toBeLessThan(demo.compact.filesBefore);
    expect(demo.signals.premarket.schema).toBe('signals.premarket/v3');
    expect(demo.signals.regime.schema).toBe('signals.regime/v3');
  });

  async function shell(command: string, env: Record<string, string>) {
    const result = await execa('bash', ['-c', command], {
      reject: false,
      cwd: work,
      env: { PATH: `${shims}:${process.env.PATH ?? ''}`, NO_COLOR: '1', ...env },
      extendEnv: true,
      timeout: 180_000,
      input: '',
    });
    return { exitCode: result.exitCode ?? -1, stdout: String(result.stdout), stderr: String(result.stderr) };
  }

  it('every runnable README line succeeds on the demo data', async () => {
    const readme = await readFile(join(ROOT, 'README.md'), 'utf8');
    const lines = codeBlocks(readme, 'runnable');
    expect(lines.length).toBeGreaterThan(5);
    for (const line of lines) {
      const r = await shell(line, { FUTURES_DATA_DIR: demoDir });
      expect({ line, exitCode: r.exitCode, stderr: r.stderr.slice(0, 500) }).toMatchObject({ exitCode: 0 });
      expect(r.stdout.length, line).toBeGreaterThan(0);
    }
  }, 600_000);

  it('every gateway line of the README runs against a simulator (long-running ones answer --help)', async () => {
    const readme = await readFile(join(ROOT, 'README.md'), 'utf8');
    const lines = codeBlocks(readme, 'gateway');
    expect(lines.length).toBeGreaterThan(2);
    const gatewayDir = join(work, 'gateway-data');
    for (const line of lines) {
      const command = isLongRunning(line) ? `${line} --help` : line;
      const r = await shell(command, { FUTURES_DATA_DIR: gatewayDir, FUTURES_IB_PORT: String(sim.port) });
      expect({ line, exitCode: r.exitCode, stderr: r.stderr.slice(0, 500) }).toMatchObject({ exitCode: 0 });
    }
  }, 600_000);

  it('every cron.example line parses and runs without a usage error or a crash', async () => {
    const crontab = await readFile(join(ROOT, 'cron.example'), 'utf8');
    const commands = cronCommands(crontab);
    expect(commands.length).toBeGreaterThanOrEqual(8);
    for (const raw of commands) {
      const command = raw
        .replaceAll('/srv/futures/examples', `${ROOT}examples`)
        .replaceAll('/srv/futures/log', join(work, 'log'));
      const r = await shell(isLongRunning(command) ? `${command} --help` : command, {
        FUTURES_DATA_DIR: demoDir,
        FUTURES_IB_PORT: String(sim.port),
      });
      // Exit codes 3, 5, 6 and 10 are answers a cron line may get (gateway, lock, stale data, threshold);
      // 1 (a bug) and 2 (a flag or key the docs got wrong) must never happen.
      expect({ command, exitCode: r.exitCode, stderr: r.stderr.slice(0, 500) }).not.toMatchObject({
        exitCode: 1,
      });
      expect({ command, exitCode: r.exitCode, stderr: r.stderr.slice(0, 500) }).not.toMatchObject({
        exitCode: 2,
      });
      expect(r.stderr, command).not.toMatch(/unknown option|internal error/);
      // cron mails what a line prints: nothing when all is well, and never nothing when it is not.
      if (r.exitCode === 0)
        expect({ command, stdout: r.stdout, stderr: r.stderr }).toEqual({ command, stdout: '', stderr: '' });
      else expect(r.stderr.trim(), command).not.toBe('');
      // A crossed threshold (stale, regime warning) is exactly one line.
      if (r.exitCode === 6 || r.exitCode === 10)
        expect(r.stderr.trimEnd().split('\n'), command).toHaveLength(1);
    }
  }, 600_000);

  it('every cron.example line that fails says so on stderr (a broken setting makes every line fail)', async () => {
    const crontab = await readFile(join(ROOT, 'cron.example'), 'utf8');
    for (const raw of cronCommands(crontab)) {
      const command = raw
        .replaceAll('/srv/futures/examples', `${ROOT}examples`)
        .replaceAll('/srv/futures/log', join(work, 'log'));
      const r = await shell(command, { FUTURES_DATA_DIR: demoDir, FUTURES_IB_PORT: 'not-a-port' });
      expect(r.exitCode, command).not.toBe(0);
      expect(r.stderr, command).toMatch(/error: FUTURES_IB_PORT="not-a-port" is not valid/);
    }
  }, 600_000);
});
