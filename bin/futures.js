#!/usr/bin/env node
import { configureAllocator } from '../dist/cli/allocator.js';

const args = process.argv.slice(2);
// Before anything loads DuckDB: a long-running collector returns freed memory at once (src/cli/allocator.ts).
configureAllocator(args, process.env);
const { runFutures } = await import('../dist/main.js');

// A reader that stops early (`| head`) is not an error: stop writing and exit quietly.
process.stdout.on('error', (error) => {
  if (error.code === 'EPIPE') process.exit(0);
  throw error;
});

const code = await runFutures(args);
process.exitCode = code;
// A handle left open by a dependency must not keep a cron job alive after its work is done.
setTimeout(() => process.exit(code), 2000).unref();
