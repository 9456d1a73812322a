import { describe, expect, it } from 'vitest';
import { runBin } from '../helpers/bin.js';

describe('built binaries', () => {
  it('futures --help exits 0 with the exit-code table on stdout', async () => {
    const r = await runBin('futures', ['--help']);
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toContain('Usage: futures');
    expect(r.stdout).toContain('Exit codes:');
  });

  it('signals --version prints the package version', async () => {
    const r = await runBin('signals', ['--version']);
    expect(r.exitCode).toBe(0);
    expect(r.stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
  });

  it('an unknown command exits 2 with the problem on stderr', async () => {
    const r = await runBin('futures', ['no-such-command']);
    expect(r.exitCode).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain("unknown command 'no-such-command'");
  });
});
