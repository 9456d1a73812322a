#!/usr/bin/env node
import { configureAllocator } from '../dist/cli/allocator.js';

const args = process.argv.slice(2);
// Before anything loads DuckDB: a long-running collector returns freed memory at once (src/cli/allocator.ts).
configureAllocator(args, process.env);
const { runFutures, guardOutputStreams } = await import('../dist/main.js');

// `| head` exits 0; a full disk under stdout is exit 4 with one line on stderr, never a stack trace.
guardOutputStreams();

const code = await runFutures(args);
process.exitCode = code;
// A handle left open by a dependency must not keep a cron job alive after its work is done.
setTimeout(() => process.exit(code), 2000).unref();
