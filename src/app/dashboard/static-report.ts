/**
 * `futures report --html`: the dashboard page as one self-contained file. The stylesheets and scripts
 * are inlined in place of their links and the documents ride along as JSON, so the file opens from
 * file:// (a mail attachment, an archive) with no server and no network.
 */
import { readAsset } from './assets.js';

export interface ReportData {
  /** The session shown; null for "now". */
  date: string | null;
  status: object;
  premarket: object;
  regime: object;
  series: object;
  timeline: object;
  coverage: object;
}

/** Text safe inside a <script> or <style> element: no closing tag can end it early. */
const inert = (text: string) => text.replace(/<\/(script|style)/gi, '<\\/$1');

export async function renderStaticReport(data: ReportData): Promise<string> {
  let html = await readAsset('/');
  const styles = /<link rel="stylesheet" href="([^"]+)">/g;
  const scripts = /<script src="([^"]+)"><\/script>/g;
  const css = new Map<string, string>();
  for (const [, href] of html.matchAll(styles)) css.set(href!, await readAsset(`/${href}`));
  const js = new Map<string, string>();
  for (const [, src] of html.matchAll(scripts)) js.set(src!, await readAsset(`/${src}`));
  html = html.replace(styles, (_m, href: string) => `<style>${inert(css.get(href)!)}</style>`);
  const json = JSON.stringify(data).replace(/</g, '\\u003c');
  let first = true;
  html = html.replace(scripts, (_m, src: string) => {
    const dataTag = first ? `<script id="dashboard-data" type="application/json">${json}</script>\n` : '';
    first = false;
    return `${dataTag}<script>${inert(js.get(src)!)}</script>`;
  });
  return html;
}
