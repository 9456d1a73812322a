import { spawn } from 'node:child_process';
import { z } from 'zod';
import { defineCommand, globalOptionsShape } from '../../cli/command.js';
import { ExitCode } from '../../cli/exit.js';

const schema = z.object({
  ...globalOptionsShape,
  port: z.coerce.number().int().min(0, 'must be 0 (any free port) to 65535').max(65535).default(8787),
  host: z.string().min(1).default('127.0.0.1'),
  open: z.boolean().default(false),
});

export interface DashboardResult {
  url: string;
  requests: number;
}

/** Opens the page in the desktop's browser; a machine without one just keeps serving. */
function openBrowser(url: string): void {
  const command =
    process.platform === 'darwin' ? 'open' : process.platform === 'win32' ? 'explorer' : 'xdg-open';
  const child = spawn(command, [url], { stdio: 'ignore', detached: true });
  child.on('error', () => {});
  child.unref();
}

export const futuresDashboardCommand = defineCommand({
  path: ['dashboard'],
  summary: 'serve a read-only web dashboard of tonight, the signals and the collection (loopback only)',
  description:
    'Serves one page on http://HOST:PORT/ with the Tonight view (each index since the 16:00 ET reference, ' +
    'shaded by session, VIX, the pre-market call and the regime level), the regime timeline of the last week, ' +
    'collection health with a coverage strip per symbol, and the scorecard, redrawn as each commit lands ' +
    '(server-sent events at /api/events; table versions checked every second) and every 30 s, and a date ' +
    'picker for past sessions. Its JSON endpoints /api/status, /api/premarket, /api/regime, /api/scorecard ' +
    '(?date=YYYY-MM-DD) return the same documents as `futures status --json`, `signals premarket|regime --json ' +
    '--no-record` and `signals evaluate --json`; /api/timeline, /api/coverage and /api/series (?date=, or ' +
    'from=&to=) the replayed regime steps, rows per hour and stored price paths. Read-only: no lock, no ' +
    'record, no DuckDB file held open, so it runs beside a collector and a compactor. It binds to loopback ' +
    'unless --host says otherwise (with a warning: there is no authentication). Runs until SIGINT/SIGTERM.',
  examples: ['futures dashboard', 'futures dashboard --port 9000 --open', 'futures dashboard --port 0'],
  flags: [
    { flags: '--port <n>', description: 'TCP port (0 picks a free one)', defaultDescription: '8787' },
    {
      flags: '--host <address>',
      description: 'address to bind; anything but loopback exposes the lake without authentication',
      defaultDescription: '127.0.0.1',
    },
    { flags: '--open', description: 'open the page in the default browser' },
  ],
  schema,
  jsonSchemaId: 'futures.dashboard/v1',
  exitCodes: [],

  async run(opts, ctx): Promise<DashboardResult> {
    const { isLoopbackHost, startDashboardServer } = await import('../../app/dashboard/server.js');
    const { dashboardEndpoints } = await import('./dashboard-views.js');
    if (!isLoopbackHost(opts.host)) {
      ctx.stderr.write(
        `warning: the dashboard listens on ${opts.host}, beyond this machine, and has no authentication: ` +
          'anyone who reaches the port reads the lake.\n',
      );
    }
    const { watchLake } = await import('../../app/dashboard/lake-watch.js');
    const { cacheLakeSnapshots } = await import('../../lake/index.js');
    // Every ask reads the same few tables again: replay only the commits since the previous ask.
    cacheLakeSnapshots(true);
    const watcher = watchLake(ctx.config.dataDir);
    const server = await startDashboardServer({
      host: opts.host,
      port: opts.port,
      endpoints: dashboardEndpoints(ctx),
      events: (send) => watcher.subscribe((versions) => send('lake', versions)),
    });
    ctx.stderr.write(`dashboard: ${server.url} (read-only; Ctrl-C stops it)\n`);
    if (opts.open) openBrowser(server.url);
    await new Promise<void>((resolve) => {
      if (ctx.signal.aborted) resolve();
      else ctx.signal.addEventListener('abort', () => resolve(), { once: true });
    });
    await server.close();
    cacheLakeSnapshots(false);
    return { url: server.url, requests: server.requests() };
  },

  render: {
    json: (r) => ({ url: r.url, requests: r.requests }),
    human: (r) => `dashboard at ${r.url} stopped after ${r.requests} request(s)\n`,
  },
  exitCode: () => ExitCode.ok,
});
