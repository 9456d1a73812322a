import { existsSync } from 'node:fs';
import { open } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { defineCommand, globalOptionsShape } from '../../cli/command.js';
import { decimalFlag, integerFlag } from '../../cli/numbers.js';
import { formatPairs } from '../../cli/output.js';
import { INSTANT_HELP, instantFlag } from '../../cli/time-flags.js';
import { UsageError } from '../../core/errors.js';

export interface GatewayResult {
  host: string;
  port: number;
  serverVersion: number;
  seed: number;
  scenario: string;
  speed: number;
  /** Simulator clock at start and stop (ISO). */
  simStart: string;
  simStop: string;
  /** Wall-clock run time. */
  uptimeSeconds: number;
  connectionsAccepted: number;
  historicalRequests: number;
  faultsFired: string[];
  record: string | null;
}

const schema = z.object({
  ...globalOptionsShape,
  port: integerFlag().pipe(z.number().min(0).max(65535)).optional(),
  host: z.string().min(1).default('127.0.0.1'),
  scenario: z.string().min(1).optional(),
  seed: integerFlag().optional(),
  speed: decimalFlag().pipe(z.number().positive().max(100_000)).default(1),
  start: instantFlag().optional(),
  record: z.string().min(1).optional(),
  schedule: z.enum(['realistic', 'none']).default('realistic'),
});

/** The --record file, opened for append once before listening: a bad path is a usage error, not a crash later. */
async function writableRecording(cwd: string, file: string): Promise<string> {
  const target = path.resolve(cwd, file);
  try {
    const handle = await open(target, 'a');
    await handle.close();
  } catch (error) {
    throw new UsageError(`--record: cannot write ${target}: ${(error as Error).message}`, {
      cause: error,
      hint: 'Create the directory first, or choose a path this user can write.',
    });
  }
  return target;
}

export const futuresGatewayCommand = defineCommand({
  path: ['gateway'],
  summary: 'run the built-in IB Gateway simulator on loopback (demos, development, tests)',
  description:
    'Runs an IB Gateway simulator that speaks the TWS API wire protocol (server version 193) until SIGINT/SIGTERM. ' +
    'Prices are a deterministic function of --seed and the scenario; --speed runs the simulated clock faster than ' +
    'real time so a night passes in minutes. Built-in scenarios: calm, selloff, gap-up, crash, flaky.',
  examples: [
    'futures gateway --port 0',
    'futures gateway --port 4002 --scenario selloff --seed 7 --speed 60',
    'futures gateway --scenario ./my-scenario.json --record /tmp/ib-frames.jsonl',
  ],
  flags: [
    {
      flags: '--port <n>',
      description: 'TCP port (0 = a free port)',
      defaultDescription: 'ib.port from config (4002)',
    },
    {
      flags: '--host <address>',
      description: 'bind address (loopback unless you mean otherwise)',
      defaultDescription: '127.0.0.1',
    },
    {
      flags: '--scenario <file|name>',
      description: 'scenario JSON file or built-in name (calm, selloff, gap-up, crash, flaky)',
    },
    {
      flags: '--seed <n>',
      description: 'seed of the deterministic market',
      defaultDescription: 'scenario seed, else 1',
    },
    {
      flags: '--speed <x>',
      description: 'simulated clock runs x times faster than real time',
      defaultDescription: '1',
    },
    {
      flags: '--start <time>',
      description: `simulated clock at start (${INSTANT_HELP})`,
      defaultDescription: 'now',
    },
    { flags: '--record <file>', description: 'write every frame in and out as JSON Lines' },
    {
      flags: '--schedule <realistic|none>',
      description:
        "IB's own outages at their ET times: nightly reset 23:45–00:45 (farm flaps, 1100→1101/1102), Friday 23:00 → Sunday 02:00 outage, daily restart at 23:40 with client ids held (326), slow weekends; none turns them off",
      defaultDescription: 'realistic',
    },
  ],
  schema,
  jsonSchemaId: 'futures.gateway/v1',
  exitCodes: [],
  async run(opts, ctx): Promise<GatewayResult> {
    const sim = await import('../../sim/index.js');
    let scenario: import('../../sim/index.js').Scenario | undefined;
    let scenarioName = 'none';
    if (opts.scenario !== undefined) {
      try {
        if (existsSync(opts.scenario) || opts.scenario.trimStart().startsWith('{')) {
          scenario = sim.loadScenario(opts.scenario);
        } else {
          scenario = sim.builtinScenario(opts.scenario);
        }
      } catch (error) {
        if (error instanceof sim.ScenarioError) {
          throw new UsageError(`--scenario: ${error.message}`, {
            hint: `Built-in scenarios: ${sim.BUILTIN_SCENARIOS.join(', ')}; the format is described in src/sim/README.md.`,
          });
        }
        throw error;
      }
      scenarioName = scenario.name;
    }
    const start = opts.start ?? ctx.clock.now();
    const clock =
      opts.speed === 1 && !opts.start ? () => ctx.clock.now() : sim.acceleratedClock(start, opts.speed);
    const port = opts.port ?? ctx.config.ib.port;
    if (opts.host !== '127.0.0.1' && opts.host !== 'localhost' && opts.host !== '::1') {
      ctx.log.warn(`binding to ${opts.host}: the simulator is reachable from other machines`);
    }
    const record = opts.record === undefined ? undefined : await writableRecording(ctx.cwd, opts.record);
    let server: import('../../sim/index.js').Simulator;
    const wallStart = performance.now();
    try {
      server = await sim.startSimulator({
        host: opts.host,
        port,
        ...(opts.seed !== undefined ? { seed: opts.seed } : {}),
        now: clock,
        ...(scenario ? { scenario } : {}),
        ...(record ? { record } : {}),
        schedule: opts.schedule,
        log: (line) => ctx.log.debug(line),
        warn: (line) => ctx.log.warn(line),
      });
    } catch (error) {
      if (error instanceof sim.CannotListenError) {
        throw new UsageError(`--host: ${error.message}`, {
          hint: 'Bind an address of this machine: 127.0.0.1 (the default), ::1, or one of its interfaces.',
          cause: error,
        });
      }
      if (error instanceof sim.PortInUseError) {
        throw new UsageError(`--port: port ${port} on ${opts.host} is already in use`, {
          hint: 'Pass --port 0 to take a free port, or stop the process that listens there.',
          cause: error,
        });
      }
      throw error;
    }
    const simStart = server.now().toISOString();
    ctx.log.info(
      `IB Gateway simulator listening on ${server.host}:${server.port} (server version ${sim.SERVER_VERSION}, ` +
        `scenario ${scenarioName}, seed ${server.seed}, speed ${opts.speed}x, schedule ${opts.schedule}); Ctrl-C stops it`,
    );
    await new Promise<void>((resolve) => {
      if (ctx.signal.aborted) resolve();
      else ctx.signal.addEventListener('abort', () => resolve(), { once: true });
    });
    const stats = server.stats();
    const simStop = server.now().toISOString();
    await server.close();
    return {
      host: server.host,
      port: server.port,
      serverVersion: sim.SERVER_VERSION,
      seed: server.seed,
      scenario: scenarioName,
      speed: opts.speed,
      simStart,
      simStop,
      uptimeSeconds: Math.round((performance.now() - wallStart) / 100) / 10,
      connectionsAccepted: stats.connectionsAccepted,
      historicalRequests: stats.historicalRequests,
      faultsFired: stats.faultsFired,
      record: opts.record ?? null,
    };
  },
  render: {
    json: (r) => ({ gateway: r }),
    human: (r, _opts, style) =>
      style.mode === 'tsv'
        ? `${[r.host, r.port, r.scenario, r.seed, r.speed, r.connectionsAccepted, r.historicalRequests, r.faultsFired.length, r.uptimeSeconds].join('\t')}\n`
        : formatPairs(
            [
              ['address', `${r.host}:${r.port}`],
              ['scenario', r.scenario],
              ['seed', r.seed],
              ['speed', `${r.speed}x`],
              ['simulated', `${r.simStart} → ${r.simStop}`],
              ['uptime', `${r.uptimeSeconds} s`],
              ['connections', r.connectionsAccepted],
              ['historical requests', r.historicalRequests],
              ['faults fired', r.faultsFired.length],
              ['recording', r.record ?? '-'],
            ],
            'table',
          ),
  },
});
