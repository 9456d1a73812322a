/**
 * The dashboard in a real browser: Debian's chromium, headless, driven by playwright-core. The page
 * loads without console errors, every chart draws its line, the call card shows the CLI's bias, the
 * date picker switches sessions, polling and server-sent events show new data without a reload, and the static report opens
 * from file:// with no network. Screenshots land in test-artifacts/dashboard/ (gitignored).
 */
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appendSnapshots } from '../../../src/lake/index.js';
import { buildSignalLake, priceOf } from '../../commands/signals/lake-fixture.js';
import { snapshots } from '../../lake/inputs/fixtures.js';
import { CHROMIUM_FLAGS, cliJson, type RunningDashboard, startDashboard } from './harness.js';

const CALL = new Date('2026-03-10T13:25:00Z'); // 09:25 ET, the crash fixture's bearish morning
const ARTIFACTS = new URL('../../../test-artifacts/dashboard/', import.meta.url);
let dir: string;
let browser: Browser;
let dashboard: RunningDashboard;

function chromiumPath(): string {
  try {
    return execFileSync('which', ['chromium'], { encoding: 'utf8' }).trim();
  } catch {
    throw new Error('chromium is not installed: apt-get install -y chromium (.ci/run does it)');
  }
}

/** A page that fails the test on any console error or uncaught exception. */
async function openPage(url: string): Promise<{ page: Page; problems: string[] }> {
  const page = await browser.newPage({ viewport: { width: 1400, height: 1100 } });
  const problems: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') problems.push(m.text());
  });
  page.on('pageerror', (e) => problems.push(String(e)));
  await page.goto(url);
  return { page, problems };
}

/** Pixels of the price line's colour (#58a6ff) on each chart's canvas: a drawn line has many. */
async function linePixels(page: Page): Promise<Record<string, number>> {
  // Runs in the page (a string: this project compiles without the DOM's types).
  return (await page.evaluate(`(() => {
    const out = {};
    for (const box of document.querySelectorAll('#charts .chart')) {
      const canvas = box.querySelector('canvas');
      if (!canvas) continue;
      const data = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
      let n = 0;
      for (let i = 0; i < data.length; i += 4) {
        if (Math.abs(data[i] - 88) < 24 && Math.abs(data[i + 1] - 166) < 24 && data[i + 2] > 220) n++;
      }
      out[box.id] = n;
    }
    return out;
  })()`)) as Record<string, number>;
}

const points = (text: string | null) => Number(/(\d+) points/.exec(text ?? '')?.[1]);

const shot = (page: Page, name: string) =>
  page.screenshot({ path: new URL(name, ARTIFACTS).pathname, fullPage: true });

beforeAll(async () => {
  await mkdir(ARTIFACTS, { recursive: true });
  dir = await mkdtemp(join(tmpdir(), 'dash-browser-'));
  await buildSignalLake(dir, { crash: true });
  browser = await chromium.launch({ executablePath: chromiumPath(), args: CHROMIUM_FLAGS });
  dashboard = await startDashboard(dir, CALL);
});

afterAll(async () => {
  await browser?.close();
  await dashboard?.stop();
  await rm(dir, { recursive: true, force: true });
});

describe('the live page', () => {
  it('loads without console errors, draws every chart and shows the CLI bias; the date picker switches sessions', async () => {
    const { page, problems } = await openPage(dashboard.url);
    const cli = await cliJson('signals', ['premarket', '--json', '--no-record', '--data-dir', dir], CALL);
    const bias = (cli.doc.decision as { bias: string }).bias;
    expect(bias).toBe('bear');
    await page.locator('#call-bias', { hasText: bias }).waitFor();
    await page.locator('#chart-VIX canvas').waitFor();
    const pixels = await linePixels(page);
    expect(Object.keys(pixels).sort()).toEqual(['chart-ES', 'chart-NQ', 'chart-RTY', 'chart-VIX']);
    for (const [chart, n] of Object.entries(pixels)) expect(n, chart).toBeGreaterThan(100);
    expect(await page.locator('#chart-ES .u-legend').textContent()).toContain('16:00 ref');
    // Each document is drawn as it arrives: wait for the regime card and the health table too.
    const level = (cli.doc.earlyWarning as { level: string }).level;
    expect(level).toBe('warning');
    await page.locator('#regime-level', { hasText: level }).waitFor();
    await page.locator('#health-instruments', { hasText: 'ESH6' }).waitFor();
    await shot(page, 'live.png');

    const monday = await cliJson(
      'signals',
      ['premarket', '--json', '--no-record', '--data-dir', dir, '--as-of', '2026-03-09 09:25'],
      CALL,
    );
    const mondayBias = (monday.doc.decision as { bias: string }).bias;
    expect(mondayBias).not.toBe(bias);
    await page.fill('#date', '2026-03-09');
    await page.locator('#session', { hasText: 'session 2026-03-09' }).waitFor();
    expect(await page.locator('#call-bias').textContent()).toBe(mondayBias);
    // The charts follow the call (they need its reference time); until then they are dimmed.
    await page.locator('#charts[data-session="2026-03-09"]:not(.stale)').waitFor();
    await page.locator('#regime:not(.stale)').waitFor();
    await shot(page, 'monday.png');
    expect(problems).toEqual([]);
    await page.close();
  });

  it('shades the sessions, draws the regime timeline, the coverage strip and the scorecard', async () => {
    const { page, problems } = await openPage(dashboard.url);
    await page.locator('#chart-ES canvas').waitFor();
    await page.locator('#timeline-strip .step').first().waitFor();
    // Behind the ES line: the 17:00–18:00 halt in grey and the night in a blue tint (see views.js).
    const tints = (await page.evaluate(`(() => {
      const canvas = document.querySelector('#chart-ES canvas');
      const data = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
      let closed = 0;
      let night = 0;
      for (let i = 0; i < data.length; i += 4) {
        const [r, g, b, a] = [data[i], data[i + 1], data[i + 2], data[i + 3]];
        if (a > 40 && a < 80 && Math.abs(r - 139) < 12 && Math.abs(g - 148) < 12 && Math.abs(b - 158) < 12) closed++;
        if (a > 8 && a < 30 && b > 200 && r < 120) night++;
      }
      return { closed, night };
    })()`)) as { closed: number; night: number };
    expect(tints.closed).toBeGreaterThan(500);
    expect(tints.night).toBeGreaterThan(tints.closed);
    expect(await page.locator('#session-legend').textContent()).toContain('overnight');

    // The crash morning's warning is a step of its own; hovering it shows the check's reasons.
    const warning = page.locator('#timeline-strip .step.warning').first();
    await warning.hover();
    await page.locator('#timeline-detail', { hasText: 'level warning' }).waitFor();
    expect(await page.locator('#timeline-axis .tick').count()).toBeGreaterThanOrEqual(4);

    // 24 hours per symbol: the halt is closed; the fixture's 5-minute rows fill 12 of 60 one-minute slots.
    await page.locator('#coverage .coverage-row').first().waitFor();
    const esCells = page.locator('#coverage .coverage-row').first().locator('.cell');
    expect(await esCells.count()).toBe(24);
    const states = await esCells.evaluateAll((cells) =>
      cells.map((c) => (c as unknown as { dataset: { state: string } }).dataset.state),
    );
    expect(states).toContain('closed');
    expect(states).toContain('partial');
    const partial = esCells.and(page.locator('[data-state="partial"]')).first();
    expect(await partial.getAttribute('title')).toMatch(/^ES .+ ET: 12\/60 slot\(s\) · \S+/);

    await page.locator('#scorecard-summary', { hasText: '→ 2026-03-10' }).waitFor();
    expect(await page.locator('#scorecard-warning tr').count()).toBe(2);
    await shot(page, 'views.png');
    expect(problems).toEqual([]);
    await page.close();
  });

  it('polling shows the next round without reloading the page', async () => {
    const { page, problems } = await openPage(`${dashboard.url}?refresh=1`);
    await page.locator('#chart-ES h3', { hasText: ' points' }).waitFor();
    const before = await page.locator('#chart-ES h3').textContent();
    await page.evaluate('window.stayed = true');
    dashboard.setNow(new Date(CALL.getTime() + 5 * 60_000));
    await page.locator('#call-meta', { hasText: '09:30' }).waitFor({ timeout: 50_000 });
    // The chart follows the call card (it needs the call's reference time): one more point, same page.
    expect(points(before)).toBeGreaterThan(100);
    await page
      .locator('#chart-ES h3', { hasText: `${points(before) + 1} points` })
      .waitFor({ timeout: 50_000 });
    expect(await page.evaluate('window.stayed')).toBe(true);
    expect(problems).toEqual([]);
    dashboard.setNow(CALL);
    await page.close();
  });
});

describe('live refresh', () => {
  it('a commit while the page is open is drawn without a reload (server-sent events, no polling)', async () => {
    // ?refresh=3600: no poll falls inside this test, so only the event can redraw the page.
    const { page, problems } = await openPage(`${dashboard.url}?refresh=3600`);
    await page.locator('#chart-ES h3', { hasText: ' points' }).waitFor();
    await page.locator('body[data-lake]').waitFor();
    const before = points(await page.locator('#chart-ES h3').textContent());
    await page.evaluate('window.stayed = true');
    // A round between two of the fixture's 5-minute slots, at the fixture's own price.
    const at = new Date(CALL.getTime() - 150_000);
    const row = { symbol: 'ES' as const, conId: 1, localSymbol: 'ESH6', stepMs: 60_000 };
    await appendSnapshots(dir, snapshots({ ...row, from: at, to: at, price: priceOf(6000, true) }));
    await page.locator('#chart-ES h3', { hasText: `${before + 1} points` }).waitFor({ timeout: 30_000 });
    expect(await page.evaluate('window.stayed')).toBe(true);
    expect(problems).toEqual([]);
    await page.close();
  });
});

describe('the static report', () => {
  it('opens from file:// with no network and shows the same call', async () => {
    const file = join(dir, 'report.html');
    const run = await cliJson(
      'futures',
      ['report', '--json', '--data-dir', dir, '--html', file, '--date', '2026-03-10'],
      CALL,
    );
    expect(run.code).toBe(0);
    expect(run.doc.errors).toEqual([]);
    const page = await browser.newPage({ viewport: { width: 1400, height: 1100 } });
    const requests: string[] = [];
    await page.route('**/*', (route) => {
      const url = route.request().url();
      if (url.startsWith('file:')) return route.continue();
      requests.push(url);
      return route.abort();
    });
    const problems: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error') problems.push(m.text());
    });
    page.on('pageerror', (e) => problems.push(String(e)));
    await page.goto(pathToFileURL(file).href);
    await page.locator('#call-bias', { hasText: 'bear' }).waitFor();
    await page.locator('#chart-VIX canvas').waitFor();
    const pixels = await linePixels(page);
    for (const [chart, n] of Object.entries(pixels)) expect(n, chart).toBeGreaterThan(100);
    // The week's regime and the day's coverage ride along; the quarter's scorecard does not.
    await page.locator('#timeline-strip .step.warning').first().waitFor();
    expect(await page.locator('#coverage .cell').count()).toBe(4 * 24);
    expect(await page.locator('#scorecard').isHidden()).toBe(true);
    await shot(page, 'report.png');
    expect(requests).toEqual([]);
    expect(problems).toEqual([]);
    await page.close();
  });
});
