import { z } from 'zod';
import { defineCommand, globalOptionsShape } from '../../cli/command.js';
import type { CompletionProgram } from '../../cli/completion.js';

const SHELLS = ['bash', 'zsh'] as const;

const schema = z.object({ ...globalOptionsShape, shell: z.enum(SHELLS) });

export interface CompletionResult {
  shell: (typeof SHELLS)[number];
  script: string;
}

/** `futures completion`, over the programs `programs()` lists (the command registry, read when it runs). */
export const completionCommand = (programs: () => Promise<readonly CompletionProgram[]>) =>
  defineCommand({
    path: ['completion'],
    summary: 'print a shell completion script for futures and signals (bash or zsh)',
    description:
      'Prints a completion script for both programs: sub-commands, flags, and the values of flags with a ' +
      'fixed set of choices. Load it in the current shell with `source <(futures completion bash)`, or for ' +
      'good by adding that line to ~/.bashrc (~/.zshrc for zsh).',
    examples: ['source <(futures completion bash)', "echo 'source <(futures completion zsh)' >> ~/.zshrc"],
    args: [{ name: 'shell', description: 'bash or zsh', required: true }],
    schema,
    jsonSchemaId: 'futures.completion/v1',
    exitCodes: [],
    async run(opts): Promise<CompletionResult> {
      const { bashCompletion, zshCompletion } = await import('../../cli/completion.js');
      const all = await programs();
      return { shell: opts.shell, script: opts.shell === 'bash' ? bashCompletion(all) : zshCompletion(all) };
    },
    render: {
      json: (r) => r,
      // The script itself, piped or not: `source <(futures completion bash)` reads a pipe.
      human: (r) => r.script,
    },
  });
