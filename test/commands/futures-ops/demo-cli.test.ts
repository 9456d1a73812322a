/** `futures demo` refuses what it must not touch, before it builds anything (the built binary). */
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runBin } from '../../helpers/bin.js';

describe('futures demo guards', () => {
  let work: string;
  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'demo-cli-'));
    await mkdir(join(work, 'data', 'lake', 'futures_snapshots', '_delta_log'), { recursive: true });
    await writeFile(
      join(work, 'data', 'lake', 'futures_snapshots', '_delta_log', '00000000000000000000.json'),
      '{}\n',
    );
  });
  afterAll(async () => {
    await rm(work, { recursive: true, force: true });
  });

  for (const flag of ['--data-dir', '--dir']) {
    it(`${flag} naming a real lake is refused with exit 2 and nothing written (redteam finding 7)`, async () => {
      const r = await runBin('futures', ['demo', flag, 'data', '--json'], { cwd: work });
      expect(r.exitCode, r.stderr).toBe(2);
      expect(r.stderr).toMatch(/was not built by `futures demo` \(no \.futures-demo file\)/);
      expect(JSON.parse(r.stdout)).toMatchObject({ schema: 'error/v1', error: { exitCode: 2 } });
      expect(await readdir(join(work, 'data'))).toEqual(['lake']);
    });
  }

  it('--date whose night is not over yet is a usage error, not a half-built lake', async () => {
    const r = await runBin('futures', ['demo', '--date', '2099-01-05', '--dir', 'future'], { cwd: work });
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(/--date 2099-01-05: the night into it ends at .* after now/);
    expect(await readdir(work)).toEqual(['data']);
  });
});
