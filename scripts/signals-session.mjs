/**
 * An in-process evaluation session over a lake (the built dist/), for calibration scripts and benches:
 * the same session `signals premarket`/`signals regime` open, without spawning the CLI per call.
 */

import { loaderOptionsOf } from '../dist/app/evaluate/evaluate.js';
import { loadTableSnapshots } from '../dist/app/evaluate/inputs.js';
import { loadConfig } from '../dist/config/load.js';
import { clockFromNow } from '../dist/core/clock.js';
import { createLogger } from '../dist/core/log.js';
import { openMemoryConnection } from '../dist/delta/index.js';

/** Opens a session on `dataDir` with the config file `configPath` (optional). Close it with `close()`. */
export async function openSession(dataDir, configPath, symbols = ['ES', 'NQ', 'RTY']) {
  const loaded = loadConfig({ cwd: process.cwd(), env: {}, configPath, flags: { dataDir } });
  const stderr = { isTTY: false, write: (chunk) => process.stderr.write(chunk) };
  const ctx = {
    clock: clockFromNow(() => new Date()),
    env: {},
    cwd: process.cwd(),
    signal: new AbortController().signal,
    stdout: process.stdout,
    stderr,
    config: loaded.config,
    configFile: loaded.file,
    calendar: loaded.calendar,
    log: createLogger(stderr, process.env.SIGNALS_DEBUG ? 'debug' : 'warn'),
    isInteractive: false,
  };
  const owned = await openMemoryConnection();
  const tables = await loadTableSnapshots(dataDir);
  const session = {
    connection: owned.connection,
    dataDir,
    tables,
    options: loaderOptionsOf(ctx, symbols),
    overrides: {},
    ctx,
  };
  return { session, close: () => owned.close() };
}
