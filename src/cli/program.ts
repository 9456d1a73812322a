import { readFileSync } from 'node:fs';
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import type { z } from 'zod';
import type { AppCtx, RunContext } from '../app/context.js';
import { applyLakeLocation } from '../app/lake-location.js';
import { loadConfig } from '../config/load.js';
import { describeError, isUserError, UsageError } from '../core/errors.js';
import { createLogger } from '../core/log.js';
import type { AnyCommand, GlobalOptions } from './command.js';
import { EXIT_CODE_TABLE, ExitCode, exitCodeOf, exitCodesHelp } from './exit.js';
import { jsonDocument, jsonReplacer, outputMode, useColour } from './output.js';
import { classifySystemError } from './system-errors.js';

export interface ProgramSpec {
  name: 'futures' | 'signals';
  description: string;
  commands: readonly AnyCommand[];
}

/** What a leaf does with its command and the bag of its flags and arguments (camelCase, by name). */
export type CommandAction = (def: AnyCommand, bag: Record<string, unknown>) => Promise<void>;

/** Builds the commander tree; each leaf hands its command and flag bag to `action`. */
export function createProgram(spec: ProgramSpec, ctx: AppCtx, action: CommandAction): Command {
  const program = new Command(spec.name)
    // A command can also be the parent of sub-commands (`calendar` and `calendar is-open`):
    // options after a sub-command's name belong to it, not to the parent.
    .enablePositionalOptions()
    .description(spec.description)
    .version(PACKAGE_VERSION)
    .showHelpAfterError('(run with --help for usage)')
    .addHelpText('after', exitCodesHelp())
    .configureOutput({
      writeOut: (s) => ctx.stdout.write(s),
      writeErr: (s) => ctx.stderr.write(s),
    })
    .exitOverride();

  for (const def of spec.commands) {
    let parent = program;
    for (const word of def.path.slice(0, -1)) {
      const existing = parent.commands.find((c) => c.name() === word);
      parent =
        existing ??
        parent
          .command(word)
          .description(`${word} commands`)
          .addHelpText('after', exitCodesHelp())
          .configureOutput({ writeOut: (s) => ctx.stdout.write(s), writeErr: (s) => ctx.stderr.write(s) })
          .exitOverride()
          // Without a sub-command (`futures table --json`), say which exist rather than "unknown option".
          .allowUnknownOption()
          .allowExcessArguments()
          .action(function needsSubCommand(this: Command) {
            const names = this.commands.map((c) => c.name()).join(', ');
            const word = this.args.find((a) => !a.startsWith('-'));
            throw new UsageError(
              word === undefined
                ? `futures ${this.name()} needs a sub-command: ${names}.`
                : `futures ${this.name()} has no sub-command '${word}'; it has: ${names}.`,
              { hint: `Run futures ${this.name()} --help for what each does.` },
            );
          });
    }
    const leaf = parent
      .command(def.path[def.path.length - 1] as string)
      .summary(def.summary)
      .description(def.description ?? def.summary)
      .configureOutput({ writeOut: (s) => ctx.stdout.write(s), writeErr: (s) => ctx.stderr.write(s) })
      .exitOverride();
    for (const arg of def.args ?? []) {
      const name = `${arg.name}${arg.variadic ? '...' : ''}`;
      leaf.argument(arg.required ? `<${name}>` : `[${name}]`, arg.description);
    }
    for (const flag of def.flags ?? []) {
      // Commander prints a default only when it holds the value; the zod schema holds ours, so say it here.
      const described = flag.defaultDescription
        ? `${flag.description} (default: ${flag.defaultDescription})`
        : flag.description;
      const option = new Option(flag.flags, described);
      if (flag.choices) option.choices(flag.choices);
      leaf.addOption(onlyOnce(option));
    }
    leaf
      .option('--json', 'print exactly one JSON document on stdout')
      .addOption(
        onlyOnce(
          new Option(
            '--config <file>',
            'config file (JSON); default ./futures.config.json, or $FUTURES_CONFIG',
          ),
        ),
      )
      .addOption(
        onlyOnce(new Option('--data-dir <dir>', 'data directory (default ./data, or $FUTURES_DATA_DIR)')),
      )
      .addOption(
        onlyOnce(
          new Option(
            '--lake <uri>',
            'lake on an object store, s3://bucket/prefix (default <dataDir>/lake, or $FUTURES_LAKE_URI)',
          ),
        ),
      )
      .option(
        '-q, --quiet',
        'print nothing unless something is wrong (then one line on stderr); --json still prints',
      )
      .option('-v, --verbose', 'debug messages on stderr')
      .option(
        '--color',
        'colour the tables on a terminal even under NO_COLOR or TERM=dumb (never piped output)',
      )
      .option('--no-color', 'no colour (as NO_COLOR=1)')
      .addHelpText('after', `\nExamples:\n${def.examples.map((e) => `  $ ${e}`).join('\n')}\n`)
      .addHelpText('after', exitCodesHelp(def.exitCodes))
      .action(async (...actionArgs: unknown[]) => {
        const command = actionArgs[actionArgs.length - 1] as Command;
        const bag: Record<string, unknown> = { ...command.opts() };
        (def.args ?? []).forEach((arg, i) => {
          bag[arg.name] = actionArgs[i];
        });
        await action(def, bag);
      });
  }
  return program;
}

/**
 * A flag that takes a value may be given once. Commander keeps the last of `--where A --where B` silently,
 * so a script that adds a filter, a limit or a data directory to a command line that has one would
 * answer for a different question; it is a usage error instead (exit 2, naming the flag and both values).
 */
function onlyOnce(option: Option): Option {
  if (!option.required && !option.optional) return option;
  const inner = option.parseArg;
  return option.argParser((value: string, previous: unknown) => {
    if (previous !== undefined) {
      throw new InvalidArgumentError(
        `${option.long ?? option.flags} was given more than once (first ${JSON.stringify(String(previous).slice(0, 80))}); give it once.`,
      );
    }
    return inner ? inner(value, previous) : value;
  });
}

function flagName(key: string): string {
  return `--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
}

/** Formats zod issues as "--flag: message" lines (knip's location/expected style). */
export function usageErrorFromZod(def: AnyCommand, error: z.ZodError): UsageError {
  const argNames = new Set((def.args ?? []).map((a) => a.name));
  const lines = error.issues.map((issue) => {
    const key = String(issue.path[0] ?? '');
    const where = key === '' ? 'options' : argNames.has(key) ? `<${key}>` : flagName(key);
    return `  ${where}: ${issue.message}`;
  });
  return new UsageError(`Invalid arguments for '${def.path.join(' ')}':\n${lines.join('\n')}`, {
    hint: `Run '${def.path.join(' ')} --help' for usage.`,
  });
}

/** The options of a command as its schema parses the bag; a usage error naming each bad flag. */
function parseOptions(def: AnyCommand, bag: Record<string, unknown>): ParsedOptions {
  const parsed = def.schema.safeParse(bag);
  if (!parsed.success) throw usageErrorFromZod(def, parsed.error);
  return parsed.data as ParsedOptions;
}

type ParsedOptions = GlobalOptions & Record<string, unknown>;

/** The RunContext of a command: config from flags > env > file > defaults, its calendar, a logger. */
function runContextOf(def: AnyCommand, opts: ParsedOptions, ctx: AppCtx): RunContext {
  const flags: Record<string, unknown> = { dataDir: opts.dataDir, 'lake.uri': opts.lake };
  for (const [option, key] of Object.entries(def.configFlags ?? {})) flags[key] = opts[option];
  const { config, file, calendar } = loadConfig({
    cwd: ctx.cwd,
    env: ctx.env,
    configPath: opts.config,
    flags,
  });
  applyLakeLocation(config);
  return {
    ...ctx,
    config,
    configFile: file,
    calendar,
    log: createLogger(ctx.stderr, opts.quiet ? 'quiet' : opts.verbose ? 'debug' : 'info'),
    isInteractive: ctx.stderr.isTTY === true && !opts.json && !opts.quiet && !ctx.env.CI,
  };
}

/** Prints a result: JSON Lines when it streams, one JSON document under --json, else a table or TSV. */
function writeResult(def: AnyCommand, result: unknown, opts: ParsedOptions, ctx: AppCtx): void {
  const lines = def.render.jsonLines?.(result, opts);
  if (lines !== undefined) {
    for (const line of lines) ctx.stdout.write(`${JSON.stringify(line, jsonReplacer)}\n`);
    return;
  }
  const mode = outputMode(opts.json, ctx.stdout);
  if (mode === 'json') {
    ctx.stdout.write(jsonDocument(def.jsonSchemaId, def.render.json(result, opts)));
    return;
  }
  const out = def.render.human(result, opts, {
    mode,
    colour: mode === 'table' && (opts.color ?? useColour(ctx.stdout, ctx.env)),
    width: mode === 'table' ? ctx.stdout.columns : undefined,
  });
  if (typeof out === 'string') ctx.stdout.write(out);
  else for (const chunk of out) ctx.stdout.write(chunk);
}

async function runCommand(
  program: string,
  def: AnyCommand,
  bag: Record<string, unknown>,
  ctx: AppCtx,
): Promise<number> {
  try {
    const opts = parseOptions(def, bag);
    const result = await def.run(opts, runContextOf(def, opts, ctx));
    const code: ExitCode = def.exitCode ? def.exitCode(result, opts) : ExitCode.ok;
    // --quiet: a cron line stays silent on success; a document asked for with --json is still printed.
    if (!opts.quiet || opts.json) writeResult(def, result, opts, ctx);
    const alert = code === ExitCode.ok ? null : alertLine(def, result, opts, code);
    if (alert !== null) ctx.stderr.write(`${program} ${alert}\n`);
    return code;
  } catch (error) {
    const code = reportError(error, bag.json === true, ctx);
    return code === ExitCode.internal ? (def.internalExitCode ?? code) : code;
  }
}

/** One line naming the command and what crossed the line; cron mails it. */
function alertLine(def: AnyCommand, result: unknown, opts: ParsedOptions, code: ExitCode): string | null {
  const own = def.alert ? def.alert(result, opts) : undefined;
  if (own === null) return null;
  const what = own ?? EXIT_CODE_TABLE.find((e) => e.code === code)?.meaning ?? `exit ${code}`;
  return `${def.path.join(' ')}: ${what.replace(/\s*\n\s*/g, ' ')}`;
}

export function reportError(thrown: unknown, json: boolean, ctx: Pick<AppCtx, 'stdout' | 'stderr'>): number {
  const error = isUserError(thrown) ? thrown : (classifySystemError(thrown) ?? thrown);
  if (isUserError(error)) {
    ctx.stderr.write(`error: ${describeError(error)}\n`);
    if (json) {
      ctx.stdout.write(
        jsonDocument('error/v1', {
          error: {
            code: error.code,
            message: error.message,
            hint: error.hint ?? null,
            exitCode: exitCodeOf(error),
          },
        }),
      );
    }
    return exitCodeOf(error);
  }
  const stack = error instanceof Error ? (error.stack ?? error.message) : String(error);
  ctx.stderr.write(`internal error (a bug, please report it):\n${stack}\n`);
  if (json) {
    ctx.stdout.write(
      jsonDocument('error/v1', {
        error: {
          code: 'internal',
          message: error instanceof Error ? error.message : String(error),
          exitCode: ExitCode.internal,
        },
      }),
    );
  }
  return ExitCode.internal;
}

/** The error/v1 document of a commander-level usage error (unknown option, missing argument, bad choice). */
function writeParserError(error: CommanderError, ctx: Pick<AppCtx, 'stdout'>): void {
  const message =
    error.code === 'commander.help' ? 'a sub-command is required' : error.message.replace(/^error: /, '');
  ctx.stdout.write(
    jsonDocument('error/v1', {
      error: { code: 'usage', message, hint: 'Run with --help for usage.', exitCode: ExitCode.usage },
    }),
  );
}

/** `--x` and `--no-x` on one command line (commander lets the last win silently). */
function contradictoryFlags(argv: readonly string[]): string | undefined {
  const end = argv.indexOf('--');
  const flags = new Set((end === -1 ? argv : argv.slice(0, end)).map((a) => a.split('=')[0]));
  for (const flag of flags) {
    if (flag?.startsWith('--no-') && flags.has(`--${flag.slice(5)}`)) {
      return `--${flag.slice(5)} and ${flag} contradict each other.`;
    }
  }
  return undefined;
}

/** Parses argv and runs the selected command; resolves to the exit code (never exits). */
export async function runProgram(spec: ProgramSpec, argv: readonly string[], ctx: AppCtx): Promise<number> {
  let code: number = ExitCode.ok;
  const program = createProgram(spec, ctx, async (def, bag) => {
    code = await runCommand(spec.name, def, bag, ctx);
  });
  try {
    const contradiction = contradictoryFlags(argv);
    if (contradiction) throw new UsageError(contradiction, { hint: 'Give one of the two.' });
    await program.parseAsync([...argv], { from: 'user' });
  } catch (error) {
    if (error instanceof CommanderError) {
      if (
        error.code === 'commander.helpDisplayed' ||
        error.code === 'commander.version' ||
        (error.code === 'commander.help' && error.exitCode === 0)
      ) {
        return ExitCode.ok;
      }
      // Commander printed its message (and help for a missing sub-command) on stderr already.
      if (argv.includes('--json')) writeParserError(error, ctx);
      return ExitCode.usage;
    }
    return reportError(error, argv.includes('--json'), ctx);
  }
  return code;
}

export interface ParsedCommandLine {
  path: readonly string[];
  options: Record<string, unknown>;
}

/**
 * argv → the command and its options as commander and the command's schema read them; nothing runs
 * (gh's runF seam, for argv tables). Throws the usage error a run would report.
 */
export async function parseCommandLine(
  spec: ProgramSpec,
  argv: readonly string[],
  ctx: AppCtx,
): Promise<ParsedCommandLine> {
  let parsed: ParsedCommandLine | undefined;
  const program = createProgram(spec, ctx, async (def, bag) => {
    parsed = { path: def.path, options: parseOptions(def, bag) };
  });
  await program.parseAsync([...argv], { from: 'user' });
  if (parsed === undefined) throw new UsageError(`No command in '${argv.join(' ')}'.`);
  return parsed;
}

const PACKAGE_VERSION = (
  JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }
).version;
