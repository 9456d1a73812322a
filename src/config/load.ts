import { statSync } from 'node:fs';
import { resolve } from 'node:path';
import type { z } from 'zod';
import { ConfigError } from '../core/errors.js';
import { readSmallTextFile } from '../core/small-file.js';
import { createCalendar, type MarketCalendar } from '../market/calendar.js';
import type { CalendarOverride } from '../market/overrides.js';
import { type Config, configSchema } from './schema.js';

type Env = Readonly<Record<string, string | undefined>>;

/** Environment variables that set config keys (documented in README). */
export const ENV_KEYS: ReadonlyArray<{ env: string; key: string; parse: 'string' | 'number' | 'clientId' }> =
  [
    { env: 'FUTURES_DATA_DIR', key: 'dataDir', parse: 'string' },
    { env: 'FUTURES_LAKE_URI', key: 'lake.uri', parse: 'string' },
    { env: 'FUTURES_S3_ENDPOINT', key: 'lake.s3.endpoint', parse: 'string' },
    { env: 'FUTURES_IB_HOST', key: 'ib.host', parse: 'string' },
    { env: 'FUTURES_IB_PORT', key: 'ib.port', parse: 'number' },
    { env: 'FUTURES_IB_CLIENT_ID', key: 'ib.clientId', parse: 'clientId' },
  ];

export const DEFAULT_CONFIG_FILE = 'futures.config.json';

export interface LoadConfigInput {
  cwd: string;
  env: Env;
  /** --config; else FUTURES_CONFIG; else ./futures.config.json when it exists. */
  configPath?: string | undefined;
  /** Flag values as dotted config keys, e.g. { dataDir: './x', 'ib.port': 4002 }. */
  flags?: Readonly<Record<string, unknown>>;
}

export interface LoadedConfig {
  config: Config;
  /** The file that was read, if any. */
  file: string | undefined;
  /** The market calendar: the built-in days plus config calendar.overrides, validated. */
  calendar: MarketCalendar;
}

/** Resolves flags > env > file > defaults into one validated Config. */
export function loadConfig(input: LoadConfigInput): LoadedConfig {
  if (input.configPath !== undefined && input.configPath.trim() === '') {
    throw new ConfigError('--config is empty.', { hint: 'Name a JSON config file, or leave the flag out.' });
  }
  // An empty FUTURES_CONFIG is unset, like every FUTURES_* variable.
  const explicit = input.configPath ?? (input.env.FUTURES_CONFIG || undefined);
  const file = explicit ? resolve(input.cwd, explicit) : resolve(input.cwd, DEFAULT_CONFIG_FILE);
  const raw: Record<string, unknown> = {};
  let used: string | undefined;
  const text = readConfigText(file, explicit !== undefined);
  if (text !== undefined) {
    used = file;
    let parsed: unknown;
    try {
      // A UTF-8 byte-order mark (Windows editors) is not part of the JSON.
      parsed = JSON.parse(text.replace(/^\uFEFF/, ''));
    } catch (error) {
      throw new ConfigError(`Config file ${file} is not valid JSON: ${(error as Error).message}`, {
        hint: 'Fix the file or point --config at another one.',
      });
    }
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
      throw new ConfigError(`Config file ${file} must hold a JSON object.`);
    }
    refuseProtoKeys(parsed, file);
    Object.assign(raw, parsed);
  }
  for (const { env, key, parse } of ENV_KEYS) {
    const value = input.env[env];
    if (value === undefined || value === '') continue;
    setPath(raw, key, parseEnvValue(env, key, value, parse));
  }
  for (const [key, value] of Object.entries(input.flags ?? {})) {
    if (value !== undefined) setPath(raw, key, value);
  }
  const result = configSchema.safeParse(raw);
  if (!result.success) {
    throw new ConfigError(formatConfigIssues(result.error.issues, raw, used), {
      hint: used ? `Fix ${used} (or the environment variable) and try again.` : undefined,
    });
  }
  const config = result.data;
  config.dataDir = resolve(input.cwd, config.dataDir);
  checkDataDir(config.dataDir);
  return { config, file: used, calendar: calendarFromOverrides(config.calendar.overrides) };
}

/**
 * A data dir that is a file, lies under a file, or has too long a path is a config error for every
 * command, before one reads it as "no data" (signals: stale) or writes under it. A missing one is fine:
 * writers create it.
 */
function checkDataDir(dataDir: string): void {
  let info: ReturnType<typeof statSync>;
  try {
    info = statSync(dataDir);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return;
    throw new ConfigError(`The data directory ${dataDir} cannot be used: ${(error as Error).message}`, {
      cause: error,
      hint: 'Pass --data-dir (or set FUTURES_DATA_DIR, or dataDir in the config) to a directory.',
    });
  }
  if (!info.isDirectory()) {
    throw new ConfigError(`The data directory ${dataDir} is not a directory.`, {
      hint: 'Pass --data-dir (or set FUTURES_DATA_DIR, or dataDir in the config) to a directory.',
    });
  }
}

/** A bad override (a weekend day, a close time on a closed day) is a config error naming the key. */
function calendarFromOverrides(overrides: readonly CalendarOverride[]): MarketCalendar {
  try {
    return createCalendar(overrides);
  } catch (error) {
    throw new ConfigError(
      `Invalid config key calendar.overrides: ${error instanceof Error ? error.message : String(error)}`,
      {
        cause: error,
        hint:
          "Each entry: { date: 'YYYY-MM-DD' (a weekday), kind: 'closed' | 'holiday' | 'early_close' | 'open', " +
          "cmeClose?: 'HH:MM' (holiday, early_close), nyseClose?: 'HH:MM' (early_close), note }.",
      },
    );
  }
}

/**
 * JSON.parse keeps `__proto__` as an own key; Object.assign would then set it as a prototype and its keys
 * would be honoured without being checked. No config key has that name.
 */
function refuseProtoKeys(value: unknown, file: string): void {
  // A walk with its own stack: a config nested 100,000 levels deep is a config error, not a stack overflow.
  const pending: Array<{ node: unknown; path: readonly string[] }> = [{ node: value, path: [] }];
  for (let item = pending.pop(); item !== undefined; item = pending.pop()) {
    if (item.node === null || typeof item.node !== 'object') continue;
    for (const [key, child] of Object.entries(item.node)) {
      const at = [...item.path, key];
      if (key === '__proto__' || key === 'constructor' || key === 'prototype') {
        throw new ConfigError(`Invalid configuration in ${file}:\n  ${at.join('.')}: unknown key`, {
          hint: `Remove the key from ${file}.`,
        });
      }
      pending.push({ node: child, path: at.length > 20 ? [...at.slice(0, 20), '…'] : at });
    }
  }
}

function readConfigText(file: string, required: boolean): string | undefined {
  try {
    return readSmallTextFile(file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT' && !required) return undefined;
    throw new ConfigError(`Cannot read config file ${file}: ${(error as Error).message}`, {
      hint: 'Check the --config path or the FUTURES_CONFIG variable.',
    });
  }
}

function parseEnvValue(env: string, key: string, value: string, parse: string): unknown {
  if (parse === 'string') return value;
  if (parse === 'clientId' && value === 'auto') return value;
  // Plain decimal digits only: Number() would also take '', '0x10' and '1e3'.
  const n = /^\s*[+-]?\d+\s*$/.test(value) ? Number(value) : undefined;
  if (n === undefined) {
    throw new ConfigError(
      `${env}=${JSON.stringify(value)} is not valid for ${key}: expected an integer${parse === 'clientId' ? ' or "auto"' : ''}.`,
    );
  }
  return n;
}

function setPath(target: Record<string, unknown>, dotted: string, value: unknown): void {
  const parts = dotted.split('.');
  let node = target;
  for (const part of parts.slice(0, -1)) {
    const next = node[part];
    if (next === null || typeof next !== 'object' || Array.isArray(next)) node[part] = {};
    node = node[part] as Record<string, unknown>;
  }
  node[parts[parts.length - 1] as string] = value;
}

function getPath(source: unknown, path: ReadonlyArray<PropertyKey>): unknown {
  let node = source;
  for (const part of path) {
    if (node === null || typeof node !== 'object') return undefined;
    node = (node as Record<PropertyKey, unknown>)[part];
  }
  return node;
}

/** One line per problem: the key, the value given, and what is allowed. */
export function formatConfigIssues(
  issues: ReadonlyArray<z.core.$ZodIssue>,
  raw: unknown,
  file?: string,
): string {
  const lines = issues.map((issue) => {
    if (issue.code === 'unrecognized_keys') {
      const prefix = issue.path.length ? `${issue.path.join('.')}.` : '';
      return `  ${issue.keys.map((k) => prefix + k).join(', ')}: unknown key`;
    }
    const key = issue.path.join('.') || '(root)';
    const value = getPath(raw, issue.path);
    const shown = value === undefined ? 'missing' : shownValue(value);
    return `  ${key} = ${shown}: ${issue.message}`;
  });
  return `Invalid configuration${file ? ` in ${file}` : ''}:\n${lines.join('\n')}`;
}

/** A config value as the message shows it: JSON, cut short (a 50 MB string or a 100,000-level object). */
function shownValue(value: unknown): string {
  let text: string;
  try {
    text = JSON.stringify(value);
  } catch {
    text = Array.isArray(value) ? '[…]' : '{…}';
  }
  return text.length > 200 ? `${text.slice(0, 200)}…` : text;
}
