import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runBin } from '../helpers/bin.js';

/**
 * A bad calendar override in the config file (here a Saturday) is a config error naming the key, exit 2,
 * in every command: loadConfig builds and validates the calendar once, before any command runs.
 */
let dir: string;
let config: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'calendar-override-'));
  config = join(dir, 'futures.config.json');
  writeFileSync(
    config,
    JSON.stringify({
      dataDir: join(dir, 'data'),
      calendar: { overrides: [{ date: '2026-12-05', kind: 'closed' }] },
    }),
  );
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function expectConfigError(bin: 'futures' | 'signals', args: readonly string[]): Promise<void> {
  const r = await runBin(bin, [...args, '--config', config], { cwd: dir });
  expect({ exitCode: r.exitCode, stdout: r.stdout }).toEqual({ exitCode: 2, stdout: '' });
  expect(r.stderr).toContain('Invalid config key calendar.overrides');
  expect(r.stderr).toContain('2026-12-05 is a weekend day');
  expect(r.stderr).not.toContain('internal error');
}

describe('a weekend calendar override in the config', () => {
  it('futures calendar exits 2 naming the key', async () => {
    await expectConfigError('futures', ['calendar', '--from', '2026-03-02', '--to', '2026-03-03']);
  });

  it('signals premarket exits 2 naming the key', async () => {
    await expectConfigError('signals', ['premarket']);
  });
});

describe('a weekend calendar override in the config (the collect side)', () => {
  it('futures status exits 2 naming the key', async () => {
    await expectConfigError('futures', ['status']);
  });

  it('futures collect --once exits 2 naming the key', async () => {
    await expectConfigError('futures', ['collect', '--once']);
  });

  it('futures backfill exits 2 naming the key', async () => {
    await expectConfigError('futures', ['backfill']);
  });
});
