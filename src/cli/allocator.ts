/**
 * DuckDB's allocator settings for a long-running collector, applied by bin/futures.js before anything
 * loads DuckDB (jemalloc reads DUCKDB_JE_MALLOC_CONF once, when the library loads). With them, freed pages
 * go back to the OS at once instead of over a second or so, so a `collect --loop` that runs for weeks does
 * not swing by 20–35 MB of memory it no longer uses (bench/RESULTS.md, "Memory over one --loop run").
 * Short runs go without: the purging costs them ~10 % of their time. This module imports nothing heavy.
 */
export const LONG_RUN_ALLOCATOR_CONF = 'dirty_decay_ms:0,muzzy_decay_ms:0';

/** True for the command lines that keep one process collecting: `collect --loop` and `collect --until T`. */
export function isLongRun(args: readonly string[]): boolean {
  if (!args.includes('collect')) return false;
  return args.some((arg) => arg === '--loop' || arg === '--until' || arg.startsWith('--until='));
}

/**
 * True for `futures import`: it streams a file of any size through DuckDB under a memory limit, and the
 * pages it frees must leave the process's peak memory (bench/RESULTS.md, "import.bench.js").
 */
export function isImport(args: readonly string[]): boolean {
  return args.includes('import');
}

/** Sets the allocator settings in env for a long run or an import, unless the user set their own. */
export function configureAllocator(args: readonly string[], env: NodeJS.ProcessEnv): void {
  if (isLongRun(args) || isImport(args)) env.DUCKDB_JE_MALLOC_CONF ??= LONG_RUN_ALLOCATOR_CONF;
}
