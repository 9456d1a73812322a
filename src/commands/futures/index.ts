import type { AnyCommand } from '../../cli/command.js';
import { futuresCalendarCommand, futuresCalendarIsOpenCommand } from './calendar.js';

/** Every `futures` command; src/cli/program.ts builds the commander tree from this list. */
export const futuresCommands: readonly AnyCommand[] = [
  futuresCalendarCommand,
  futuresCalendarIsOpenCommand,
];
