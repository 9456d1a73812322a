import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { bashCompletion, zshCompletion } from '../../src/cli/completion.js';
import { futuresCommands } from '../../src/commands/futures/index.js';
import { signalsCommands } from '../../src/commands/signals/index.js';

const programs = [
  { name: 'futures' as const, commands: futuresCommands },
  { name: 'signals' as const, commands: signalsCommands },
];
const script = bashCompletion(programs);

/** What bash completes for a command line whose last word is being typed (`line` ends where TAB is). */
function complete(line: string): string[] {
  const words = line.split(' ');
  const driver = `${script}
COMP_WORDS=(${words.map((w) => `'${w}'`).join(' ')})
COMP_CWORD=${words.length - 1}
_futures_signals_complete
printf '%s\\n' "\${COMPREPLY[@]}"`;
  return execFileSync('bash', ['-c', driver], { encoding: 'utf8' }).split('\n').filter(Boolean).sort();
}

describe('shell completion', () => {
  it('completes sub-commands at each level', () => {
    expect(complete('futures ta')).toEqual(['table']);
    expect(complete('futures table ')).toEqual([
      'files',
      'history',
      'info',
      'manifest',
      'repair',
      'scan',
      'verify',
    ]);
    expect(complete('signals ')).toEqual(['--help', '--version', 'evaluate', 'premarket', 'regime']);
    expect(complete('futures calendar i')).toEqual(['is-open']);
  });

  it("completes a command's flags, global ones included, after other flags and values", () => {
    expect(complete('futures status --max')).toEqual(['--max-age']);
    expect(complete('futures demo --scenario selloff --te')).toEqual(['--temp']);
    expect(complete('futures backfill --data-dir /srv/d --client')).toEqual(['--client-id']);
    expect(complete('signals regime --fail')).toEqual(['--fail-on']);
  });

  it("completes a flag's choices, and leaves free values to file completion", () => {
    expect(complete('futures demo --scenario ')).toEqual(['calm', 'gap-up', 'selloff']);
    expect(complete('futures backfill --bar 1')).toEqual(['1day', '1min']);
    expect(complete('futures status --data-dir ')).toEqual([]);
    expect(complete('futures completion ')).toContain('--help');
  });

  it('zsh loads the same tables through bashcompinit', () => {
    const zsh = zshCompletion(programs);
    expect(zsh).toContain('bashcompinit');
    expect(zsh).toContain('complete -o default -F _futures_signals_complete futures signals');
  });
});
