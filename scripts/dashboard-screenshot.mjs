// The README's dashboard screenshot: `futures dashboard` on a demo lake, opened in headless chromium
// (Debian's package, driven by playwright-core), saved as a PNG.
// Usage: npm run build && node scripts/dashboard-screenshot.mjs DEMO_DIR DATE [OUT.png]
//   DEMO_DIR: a lake `futures demo --dir DEMO_DIR --scenario selloff` built; DATE: its session (the date of
//   the `signals premarket --as-of` line the demo prints). OUT: default docs/dashboard.png.
import { execFileSync, spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const [dir, date, out = path.join(ROOT, 'docs', 'dashboard.png')] = process.argv.slice(2);
if (!dir || !/^\d{4}-\d{2}-\d{2}$/.test(date ?? '')) {
  console.error('usage: node scripts/dashboard-screenshot.mjs DEMO_DIR YYYY-MM-DD [OUT.png]');
  process.exit(2);
}
const server = spawn(process.execPath, [
  path.join(ROOT, 'bin/futures.js'),
  'dashboard',
  '--port',
  '0',
  '--data-dir',
  dir,
]);
try {
  const url = await new Promise((resolve, reject) => {
    let err = '';
    server.stderr.on('data', (d) => {
      err += d;
      const m = /dashboard: (http:\S+)/.exec(err);
      if (m) resolve(m[1]);
    });
    server.on('exit', (code) => reject(new Error(`dashboard exited ${code}: ${err}`)));
  });
  const executablePath = execFileSync('which', ['chromium'], { encoding: 'utf8' }).trim();
  const browser = await chromium.launch({
    executablePath,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
  try {
    const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
    await page.goto(`${url}?date=${date}`);
    await page.locator('#chart-VIX canvas').waitFor({ timeout: 60_000 });
    await page.locator('#timeline-strip .step').first().waitFor({ timeout: 60_000 });
    await page.locator('#coverage .cell').first().waitFor({ timeout: 60_000 });
    await page.locator('#scorecard-bands tr').first().waitFor({ timeout: 60_000 });
    // Tonight, the regime timeline and the coverage strip: the tables below are text, not worth the bytes.
    const legend = await page.locator('#health .legend').boundingBox();
    const height = Math.ceil((legend?.y ?? 1400) + (legend?.height ?? 0) + 12);
    await page.screenshot({ path: out, clip: { x: 0, y: 0, width: 1200, height }, fullPage: true });
    console.log(`wrote ${out}`);
  } finally {
    await browser.close();
  }
} finally {
  server.kill('SIGTERM');
}
