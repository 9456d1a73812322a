/**
 * The dashboard's front end: the page, its script and style in the package's web/ folder, and uPlot's
 * browser build from its npm package (bundled with the install: the page works offline, no CDN).
 */
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

export interface Asset {
  /** The URL path the server answers. */
  path: string;
  file: string;
  type: string;
}

const WEB = (name: string) => fileURLToPath(new URL(`../../../web/${name}`, import.meta.url));
const require = createRequire(import.meta.url);

const JS = 'text/javascript; charset=utf-8';
const CSS = 'text/css; charset=utf-8';

export function dashboardAssets(): Asset[] {
  return [
    { path: '/', file: WEB('index.html'), type: 'text/html; charset=utf-8' },
    { path: '/views.js', file: WEB('views.js'), type: JS },
    { path: '/dashboard.js', file: WEB('dashboard.js'), type: JS },
    { path: '/dashboard.css', file: WEB('dashboard.css'), type: CSS },
    { path: '/vendor/uPlot.min.js', file: require.resolve('uplot/dist/uPlot.iife.min.js'), type: JS },
    { path: '/vendor/uPlot.min.css', file: require.resolve('uplot/dist/uPlot.min.css'), type: CSS },
  ];
}

export async function readAsset(path: string): Promise<string> {
  const asset = dashboardAssets().find((a) => a.path === path);
  if (asset === undefined) throw new Error(`no dashboard asset ${path}`);
  return readFile(asset.file, 'utf8');
}
