import type { AnyCommand } from '../../cli/command.js';
import { signalsEvaluateCommand } from './evaluate.js';
import { signalsPremarketCommand } from './premarket.js';
import { signalsRegimeCommand } from './regime.js';

/** Every `signals` command; src/cli/program.ts builds the commander tree from this list. */
export const signalsCommands: readonly AnyCommand[] = [
  signalsPremarketCommand,
  signalsRegimeCommand,
  signalsEvaluateCommand,
];
