/**
 * How the user can run our binaries from where they are, for hints that print commands: `futures` when
 * that name on PATH is this installation, `npx futures` inside the project (npm runs a project's own
 * bins), else `node <path>/bin/futures.js`.
 */
import { accessSync, constants, existsSync, readFileSync, realpathSync } from 'node:fs';
import { delimiter, dirname, join } from 'node:path';

export type BinName = 'futures' | 'signals';

export interface InvocationInput {
  /** process.argv[1]: the bin script that runs (bin/futures.js, or a symlink to it). */
  script: string | undefined;
  env: Readonly<Record<string, string | undefined>>;
  cwd: string;
}

function realpath(path: string): string | null {
  try {
    return realpathSync(path);
  } catch {
    return null;
  }
}

function executable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** The first `name` on PATH, resolved through symlinks; null when none. */
function onPath(name: string, env: InvocationInput['env']): string | null {
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    if (dir === '') continue;
    const candidate = join(dir, name);
    if (existsSync(candidate) && executable(candidate)) return realpath(candidate);
  }
  return null;
}

/** The package root above the running script (the directory holding our package.json). */
function packageRoot(script: string): string | null {
  const binDir = dirname(script);
  const root = dirname(binDir);
  try {
    const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { name?: string };
    return pkg.name === 'futures-signals' ? root : null;
  } catch {
    return null;
  }
}

export function invocationOf(name: BinName, input: InvocationInput): string {
  const script = input.script === undefined ? null : realpath(input.script);
  if (script === null) return name;
  const root = packageRoot(script);
  const ours = root === null ? script : join(root, 'bin', `${name}.js`);
  if (onPath(name, input.env) === realpath(ours)) return name;
  if (
    root !== null &&
    (realpath(input.cwd) === realpath(root) || existsSync(join(input.cwd, 'node_modules', '.bin', name)))
  )
    return `npx ${name}`;
  return `node ${ours}`;
}

/** Both binaries' invocations. */
export function invocations(input: InvocationInput): Record<BinName, string> {
  return { futures: invocationOf('futures', input), signals: invocationOf('signals', input) };
}
