#!/usr/bin/env node
import { guardOutputStreams, runSignals } from '../dist/main.js';

// `| head` exits 0; a full disk under stdout is exit 4 with one line on stderr, never a stack trace.
guardOutputStreams();

const code = await runSignals(process.argv.slice(2));
process.exitCode = code;
// A handle left open by a dependency must not keep a cron job alive after its work is done.
setTimeout(() => process.exit(code), 2000).unref();
