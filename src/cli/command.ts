import { z } from 'zod';
import type { RunContext } from '../app/context.js';
import type { ExitCode } from './exit.js';

/** Options every command takes. Command schemas extend this shape. */
export const globalOptionsShape = {
  json: z.boolean().default(false),
  config: z.string().optional(),
  dataDir: z.string().optional(),
  lake: z.string().optional(),
  quiet: z.boolean().default(false),
  verbose: z.boolean().default(false),
  /** --color / --no-color; absent: colour on a terminal unless NO_COLOR (cli/output.ts useColour). */
  color: z.boolean().optional(),
};
export const globalOptionsSchema = z.object(globalOptionsShape);
export type GlobalOptions = z.infer<typeof globalOptionsSchema>;

export interface CommandFlag {
  /** Commander flag syntax, e.g. '--limit <n>' or '--dry-run'. */
  flags: string;
  description: string;
  /** Shown in help; the zod schema applies the real default. */
  defaultDescription?: string;
  choices?: readonly string[];
}

export interface CommandArg {
  name: string;
  description: string;
  required?: boolean;
  variadic?: boolean;
}

export interface HumanStyle {
  mode: 'table' | 'tsv';
  colour: boolean;
  /** The terminal's width in columns, when known (tables fit it: formatTable's `width`). */
  width?: number | undefined;
}

export interface Renderer<R, O, J extends object = object> {
  /**
   * The body of the one JSON document (the `schema` field is added from jsonSchemaId). J, inferred, is
   * what test/commands/schemas checks against the document's zod schema.
   */
  json(result: R, opts: O): J;
  /** Table on a terminal, tab-separated rows when piped. May stream large outputs as chunks. */
  human(result: R, opts: O, style: HumanStyle): string | Iterable<string>;
  /**
   * A streaming result (a replay): one JSON document per line, printed instead of json/human in every
   * mode. Return undefined when this result is a single document.
   */
  jsonLines?(result: R, opts: O): Iterable<object> | undefined;
}

export interface CommandDefinition<S extends z.ZodType<GlobalOptions>, R, J extends object = object> {
  /** Words after the program name, e.g. ['table', 'scan']. */
  path: readonly string[];
  summary: string;
  description?: string;
  examples: readonly string[];
  args?: readonly CommandArg[];
  flags?: readonly CommandFlag[];
  /** Validates the merged bag of flags (camelCase), positional args (by name) and global options. */
  schema: S;
  /** Flags that set config keys: option name → dotted config key (flags > env > file > defaults). */
  configFlags?: Readonly<Record<string, string>>;
  /** Schema id of the --json document, e.g. 'futures.table.info/v1'. */
  jsonSchemaId: string;
  run(opts: z.infer<S>, ctx: RunContext): Promise<R>;
  render: Renderer<R, z.infer<S>, J>;
  /** Exit code for a successful run whose result still means something to the caller (default 0). */
  exitCode?(result: R, opts: z.infer<S>): ExitCode;
  /**
   * The one stderr line of a run whose exitCode is not 0 (stale, threshold, IB silent), written whatever
   * --quiet says: cron mails stderr, not exit codes. Absent: the exit code's meaning. Null: the exit code
   * is an answer, not an alarm (`calendar is-open`'s 1 "closed").
   */
  alert?(result: R, opts: z.infer<S>): string | null;
  /**
   * Exit code of an unexpected (internal) error when this command uses 1 as an answer (`calendar is-open`:
   * 1 is "closed"), so a crash is never read as that answer.
   */
  internalExitCode?: number;
  /**
   * The exit codes this command can return besides 0, 1 and 2 (which every command can), listed in its
   * help. Absent: every code of EXIT_CODE_TABLE.
   */
  exitCodes?: readonly ExitCode[];
}

// biome-ignore lint/suspicious/noExplicitAny: the registry holds definitions of every option and result type
export type AnyCommand = CommandDefinition<any, any, any>;

/** Identity function that exists for type inference of options and result. */
export function defineCommand<S extends z.ZodType<GlobalOptions>, R, J extends object>(
  definition: CommandDefinition<S, R, J>,
): CommandDefinition<S, R, J> {
  return definition;
}
