#!/usr/bin/env node
import { runSignals } from '../dist/main.js';

// A reader that stops early (`| head`) is not an error: stop writing and exit quietly.
process.stdout.on('error', (error) => {
  if (error.code === 'EPIPE') process.exit(0);
  throw error;
});

const code = await runSignals(process.argv.slice(2));
process.exitCode = code;
// A handle left open by a dependency must not keep a cron job alive after its work is done.
setTimeout(() => process.exit(code), 2000).unref();
