import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import { quoteText } from './sql.js';

/**
 * Every step of an import runs in DuckDB on temp tables; with a memory limit and a spill directory they
 * page out instead of growing with the input (bench/RESULTS.md, import.bench.js). One thread: the hash
 * tables of DISTINCT and the anti-join need a share of the limit per thread.
 */
export async function boundMemory(
  connection: DuckDBConnection,
  options: { spillDir?: string; memoryLimit: string },
): Promise<string | undefined> {
  let spill: string | undefined = await mkdtemp(path.join(options.spillDir ?? tmpdir(), 'futures-import-'));
  try {
    await connection.run(`SET temp_directory = ${quoteText(spill)}`);
  } catch {
    // DuckDB keeps the first spill directory a connection used; a caller's connection spills there.
    if (spill !== undefined) await rm(spill, { recursive: true, force: true });
    spill = undefined;
  }
  await connection.run(`SET memory_limit = ${quoteText(options.memoryLimit)}`);
  await connection.run('SET threads = 1');
  await connection.run('SET preserve_insertion_order = true');
  // A partitioned COPY keeps a writer per open partition; few writers, flushed often, bound the write.
  await connection.run('SET partitioned_write_max_open_files = 4');
  await connection.run('SET partitioned_write_flush_threshold = 16384');
  return spill;
}
