import { chmod, mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { invocationOf } from '../../src/cli/invocation.js';

describe('the invocation hints print', () => {
  let work: string;
  let pkg: string;
  let script: string;
  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'invocation-'));
    pkg = join(work, 'clone');
    await mkdir(join(pkg, 'bin'), { recursive: true });
    await writeFile(join(pkg, 'package.json'), JSON.stringify({ name: 'futures-signals' }));
    script = join(pkg, 'bin', 'futures.js');
    for (const name of ['futures', 'signals']) {
      await writeFile(join(pkg, 'bin', `${name}.js`), '#!/usr/bin/env node\n');
      await chmod(join(pkg, 'bin', `${name}.js`), 0o755);
    }
    await mkdir(join(work, 'global-bin'));
    await symlink(join(pkg, 'bin', 'futures.js'), join(work, 'global-bin', 'futures'));
    await mkdir(join(work, 'other-bin'));
    await writeFile(join(work, 'other-bin', 'futures'), '#!/bin/sh\n');
    await chmod(join(work, 'other-bin', 'futures'), 0o755);
    await mkdir(join(work, 'elsewhere'));
  });
  afterAll(async () => {
    await rm(work, { recursive: true, force: true });
  });

  it('the bare name when that name on PATH is this installation (npm install -g . / npm link)', () => {
    const env = { PATH: `${join(work, 'global-bin')}:/usr/bin` };
    expect(invocationOf('futures', { script, env, cwd: join(work, 'elsewhere') })).toBe('futures');
  });

  it('npx inside the clone when the name is not on PATH, or is another program', () => {
    expect(invocationOf('futures', { script, env: { PATH: '/usr/bin' }, cwd: pkg })).toBe('npx futures');
    const other = { PATH: join(work, 'other-bin') };
    expect(invocationOf('signals', { script, env: other, cwd: pkg })).toBe('npx signals');
  });

  it('node <path> anywhere else', () => {
    const cwd = join(work, 'elsewhere');
    expect(invocationOf('signals', { script, env: { PATH: '/usr/bin' }, cwd })).toBe(
      `node ${join(pkg, 'bin', 'signals.js')}`,
    );
  });
});
