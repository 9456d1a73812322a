import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { prepareDemoDir } from '../../../src/app/demo/dir.js';
import { UsageError } from '../../../src/core/errors.js';
import { DEMO_MARKER, isDemoLake, useLakeUri } from '../../../src/lake/index.js';

const made: string[] = [];
async function scratch(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'demo-dir-'));
  made.push(dir);
  return dir;
}
afterAll(async () => {
  for (const dir of made) await rm(dir, { recursive: true, force: true });
});

describe('the demo directory', () => {
  it('defaults to ./demo-data under the working directory, created and marked', async () => {
    const cwd = await scratch();
    const r = await prepareDemoDir({ dir: undefined, temporary: false }, cwd);
    expect(r).toEqual({ dataDir: join(cwd, 'demo-data'), temporary: false, rebuilt: false });
    expect(await isDemoLake(r.dataDir)).toBe(true);
  });

  it('refuses a data directory whose lake is on an object store (simulated rows stay local)', async () => {
    const cwd = await scratch();
    const dataDir = join(cwd, 'data');
    useLakeUri(dataDir, 's3://real-lake/prod');
    try {
      await expect(prepareDemoDir({ dir: dataDir, temporary: false }, cwd)).rejects.toThrow(
        /The demo builds a local lake; s3:\/\/real-lake\/prod/,
      );
      expect(existsSync(dataDir)).toBe(false);
    } finally {
      useLakeUri(dataDir, undefined);
    }
  });

  it('refuses a non-empty directory the demo did not build (a real lake), and writes nothing into it', async () => {
    const cwd = await scratch();
    const real = join(cwd, 'data');
    await mkdir(join(real, 'lake', 'futures_snapshots', '_delta_log'), { recursive: true });
    await writeFile(
      join(real, 'lake', 'futures_snapshots', '_delta_log', '00000000000000000000.json'),
      '{}\n',
    );
    const refused = prepareDemoDir({ dir: 'data', temporary: false }, cwd);
    await expect(refused).rejects.toThrow(UsageError);
    await expect(refused).rejects.toThrow(/not empty and was not built by `futures demo`/);
    expect((await readdir(real)).sort()).toEqual(['lake']);
  });

  it('refuses a path that is a file', async () => {
    const cwd = await scratch();
    await writeFile(join(cwd, 'f'), 'x');
    await expect(prepareDemoDir({ dir: 'f', temporary: false }, cwd)).rejects.toThrow(/is not a directory/);
  });

  it("rebuilds an earlier demo's directory: its lake and queue go, other files stay", async () => {
    const cwd = await scratch();
    const first = await prepareDemoDir({ dir: 'd', temporary: false }, cwd);
    await mkdir(join(first.dataDir, 'lake', 'futures_bars'), { recursive: true });
    await mkdir(join(first.dataDir, 'state'), { recursive: true });
    await writeFile(join(first.dataDir, 'notes.txt'), 'mine');
    const again = await prepareDemoDir({ dir: 'd', temporary: false }, cwd);
    expect(again.rebuilt).toBe(true);
    expect((await readdir(again.dataDir)).sort()).toEqual([DEMO_MARKER, 'notes.txt']);
  });

  it('an empty existing directory is used and marked', async () => {
    const cwd = await scratch();
    await mkdir(join(cwd, 'empty'));
    const r = await prepareDemoDir({ dir: 'empty', temporary: false }, cwd);
    expect(r.rebuilt).toBe(false);
    expect(existsSync(join(cwd, 'empty', DEMO_MARKER))).toBe(true);
  });

  it('--temp makes a marked temporary directory', async () => {
    const r = await prepareDemoDir({ dir: undefined, temporary: true }, '/nonexistent');
    made.push(r.dataDir);
    expect(r.temporary).toBe(true);
    expect(r.dataDir.startsWith(tmpdir())).toBe(true);
    expect(await isDemoLake(r.dataDir)).toBe(true);
  });
});
