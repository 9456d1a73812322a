/**
 * The dashboard's endpoints return the CLI's own --json documents for the same lake and instant, never
 * write, and refuse what a read-only loopback server should refuse.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Ajv2020 from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildSignalLake } from '../../commands/signals/lake-fixture.js';
import { schemaErrors } from '../../helpers/schemas.js';
import { cliJson, type RunningDashboard, startDashboard } from './harness.js';

const NOW = new Date('2026-03-10T16:00:00Z'); // 11:00 ET, after the fixture's last session call
let dir: string;
let dashboard: RunningDashboard;

const get = async (path: string, init?: RequestInit) => {
  const res = await fetch(new URL(path, dashboard.url), init);
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
};

async function validator(file: string) {
  const ajv = new Ajv2020.default({ strict: false, allErrors: true });
  addFormats.default(ajv);
  return ajv.compile(
    JSON.parse(await readFile(new URL(`../../../schemas/${file}`, import.meta.url), 'utf8')),
  );
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'dash-api-'));
  await buildSignalLake(dir);
  dashboard = await startDashboard(dir, NOW);
});

afterAll(async () => {
  await dashboard?.stop();
  await rm(dir, { recursive: true, force: true });
});

describe('documents equal the CLI', () => {
  it.each([
    ['premarket', 'signals.premarket.v3.json'],
    ['regime', 'signals.regime.v3.json'],
  ] as const)(
    '/api/%s?date= is `signals <name> --json --no-record --as-of DATE 09:25` (schema %s)',
    async (name, schema) => {
      const api = await get(`api/${name}?date=2026-03-10`);
      const cli = await cliJson(
        'signals',
        [name, '--json', '--no-record', '--data-dir', dir, '--as-of', '2026-03-10 09:25'],
        NOW,
      );
      expect(cli.code).toBe(0);
      expect(api.status).toBe(200);
      expect(api.body).toEqual(cli.doc);
      expect(api.body.asOf).toBe('2026-03-10T13:25:00.000Z');
      const validate = await validator(schema);
      expect(validate(api.body), JSON.stringify(validate.errors)).toBe(true);
    },
  );

  it('/api/premarket without a date is the live call, like `signals premarket --json --no-record`', async () => {
    const api = await get('api/premarket');
    const cli = await cliJson('signals', ['premarket', '--json', '--no-record', '--data-dir', dir], NOW);
    expect(api.body).toEqual(cli.doc);
    expect(api.body.asOf).toBe(NOW.toISOString());
  });

  it('/api/status is `futures status --json`', async () => {
    const api = await get('api/status');
    const cli = await cliJson('futures', ['status', '--json', '--data-dir', dir], NOW);
    expect(api.status).toBe(200);
    expect(api.body).toEqual(cli.doc);
    expect(api.body.schema).toBe('futures.status/v3');
  });

  it('/api/series starts at the reference price and ends at the current price of the pre-market call', async () => {
    const pre = (await get('api/premarket?date=2026-03-10')).body as {
      asOf: string;
      reference: { time: string };
      inputs: { perIndex: Record<string, { reference: { price: number }; current: { price: number } }> };
    };
    const q = new URLSearchParams({ from: pre.reference.time, to: pre.asOf });
    const api = await get(`api/series?${q}`);
    expect(api.status).toBe(200);
    const series = api.body.series as Record<string, { ts: number[]; price: number[] }>;
    for (const symbol of ['ES', 'NQ', 'RTY']) {
      const s = series[symbol]!;
      const input = pre.inputs.perIndex[symbol]!;
      // Every 5 minutes from 16:00 ET to 09:25 ET inclusive, less the 12 slots of the 17:00–18:00 halt.
      expect(s.ts.length).toBe((17 * 60 + 25) / 5 + 1 - 12);
      expect(s.ts[0]).toBe(Date.parse(pre.reference.time));
      expect(s.ts.at(-1)).toBe(Date.parse(pre.asOf));
      expect(s.price[0]).toBe(input.reference.price);
      expect(s.price.at(-1)).toBe(input.current.price);
    }
    expect(series.VIX!.price.every((p) => p === 17)).toBe(true);
  });

  it('/api/series?date= covers the same window as the call (its reference to its instant), with the sessions', async () => {
    const pre = (await get('api/premarket?date=2026-03-10')).body as {
      asOf: string;
      reference: { time: string };
    };
    const byDate = await get('api/series?date=2026-03-10');
    const q = new URLSearchParams({ from: pre.reference.time, to: pre.asOf });
    const byInstants = await get(`api/series?${q}`);
    expect(byDate.status).toBe(200);
    expect(byDate.body).toEqual(byInstants.body);
    // 16:00–17:00 post, the 17:00–18:00 halt, overnight until 09:25 (the call's instant).
    const at = (iso: string) => Date.parse(iso);
    expect(byDate.body.sessions).toEqual([
      { kind: 'post', from: at('2026-03-09T20:00:00Z'), to: at('2026-03-09T21:00:00Z') },
      { kind: 'halt', from: at('2026-03-09T21:00:00Z'), to: at('2026-03-09T22:00:00Z') },
      { kind: 'overnight', from: at('2026-03-09T22:00:00Z'), to: at('2026-03-10T13:25:00Z') },
    ]);
  });
});

describe('errors and refusals', () => {
  it('a future date is the CLI usage error document, status 400', async () => {
    const api = await get('api/premarket?date=2026-03-11');
    expect(api.status).toBe(400);
    expect(api.body).toMatchObject({ schema: 'error/v1', error: { code: 'usage', exitCode: 2 } });
  });

  it('a series over more than a week is refused', async () => {
    const api = await get('api/series?from=2026-03-01T00:00:00Z&to=2026-03-10T00:00:00Z');
    expect(api.status).toBe(400);
  });

  it('unknown paths are 404, writes are 405, a foreign Host header is 403', async () => {
    expect((await get('api/nothing')).status).toBe(404);
    expect((await get('../etc/passwd')).status).toBe(404);
    expect((await get('api/status', { method: 'POST' })).status).toBe(405);
    // fetch may not set Host; a DNS-rebound page would arrive with its own name in it.
    const status = await new Promise<number | undefined>((resolve, reject) => {
      const req = request(
        new URL('api/status', dashboard.url),
        { headers: { host: 'evil.example:8787' } },
        (res) => {
          res.resume();
          resolve(res.statusCode);
        },
      );
      req.on('error', reject);
      req.end();
    });
    expect(status).toBe(403);
  });

  it('serves the page and the bundled uPlot (no CDN)', async () => {
    const page = await fetch(dashboard.url);
    expect(page.headers.get('content-type')).toMatch(/text\/html/);
    const html = await page.text();
    expect(html).not.toMatch(/https?:\/\//);
    const uplot = await fetch(new URL('vendor/uPlot.min.js', dashboard.url));
    expect(uplot.status).toBe(200);
    expect(await uplot.text()).toMatch(/uPlot/);
  });

  it('warns on stderr when bound beyond loopback (no authentication), not on loopback', async () => {
    const wide = await startDashboard(dir, NOW, ['--host', '0.0.0.0']);
    const stopped = await wide.stop();
    expect(stopped.code).toBe(0);
    expect(stopped.stderr).toMatch(/warning: the dashboard listens on 0\.0\.0\.0.*no authentication/);
    expect(stopped.stdout).toMatch(/stopped after 0 request/);
    const json = await startDashboard(dir, NOW, ['--json']);
    await fetch(json.url);
    const doc = JSON.parse((await json.stop()).stdout);
    expect(doc).toEqual({ schema: 'futures.dashboard/v1', url: json.url, requests: 1 });
    expect(schemaErrors(doc)).toEqual([]);
    const local = await startDashboard(dir, NOW);
    expect((await local.stop()).stderr).not.toMatch(/warning/);
  });

  it('never writes: no signal_runs table after every endpoint was asked', async () => {
    expect(existsSync(join(dir, 'lake', 'signal_runs'))).toBe(false);
    expect(existsSync(join(dir, 'lake', 'futures_snapshots'))).toBe(true);
  });
});
