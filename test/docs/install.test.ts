/**
 * README "Install": `npm install -g .` from the clone puts both binaries on PATH (into a scratch prefix
 * here), and there the hints print the bare names.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { invocations } from '../../src/cli/invocation.js';
import { ROOT } from '../helpers/bin.js';

describe('npm install -g . from the clone', () => {
  let prefix: string;
  beforeAll(async () => {
    prefix = await mkdtemp(join(tmpdir(), 'global-'));
    // A folder install is a link to the clone: nothing is fetched (--offline), no script runs.
    const r = await execa(
      'npm',
      ['install', '-g', '.', '--prefix', prefix, '--offline', '--ignore-scripts', '--no-audit', '--no-fund'],
      { cwd: ROOT, reject: false },
    );
    expect(r.exitCode, String(r.stderr)).toBe(0);
  }, 120_000);
  afterAll(async () => {
    if (prefix) await rm(prefix, { recursive: true, force: true });
  });

  it('puts futures and signals on PATH, and the hints then print the bare names', async () => {
    const bin = join(prefix, 'bin');
    const env = { ...process.env, PATH: `${bin}:${process.env.PATH ?? ''}` };
    for (const name of ['futures', 'signals']) {
      const r = await execa(name, ['--version'], { env, cwd: tmpdir(), reject: false });
      expect(r.exitCode, name).toBe(0);
      expect(String(r.stdout)).toMatch(/^\d+\.\d+\.\d+$/);
    }
    expect(invocations({ script: join(bin, 'futures'), env, cwd: tmpdir() })).toEqual({
      futures: 'futures',
      signals: 'signals',
    });
  }, 60_000);
});
