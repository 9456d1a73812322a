/**
 * The dashboard's HTTP server (node:http): the page's static files and one JSON endpoint per document.
 * Read-only by construction: GET and HEAD only, and every endpoint is a read the caller supplies.
 */
import { readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { UsageError } from '../../core/errors.js';
import { dashboardAssets } from './assets.js';

export interface EndpointResponse {
  status: number;
  body: object;
}

/** An endpoint: the query string in, a JSON document (or an error document) out. */
export type Endpoint = (query: URLSearchParams) => Promise<EndpointResponse>;

/** A source of server-sent events: subscribe a sender, get back the unsubscribe. */
export type EventSource = (send: (event: string, data: object) => void) => () => void;

export interface DashboardServerOptions {
  host: string;
  port: number;
  /** name → endpoint, served at /api/<name>. */
  endpoints: Readonly<Record<string, Endpoint>>;
  /** Served as text/event-stream at /api/events, one stream per page, open until the page goes. */
  events?: EventSource;
}

export interface DashboardServer {
  url: string;
  requests(): number;
  close(): Promise<void>;
}

const LOOPBACK_HOSTS = new Set(['127.0.0.1', '::1', 'localhost']);

export function isLoopbackHost(host: string): boolean {
  return LOOPBACK_HOSTS.has(host) || /^127\.\d+\.\d+\.\d+$/.test(host);
}

const HEADERS = {
  'cache-control': 'no-store',
  'x-content-type-options': 'nosniff',
  'content-security-policy': "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:",
};

function send(res: ServerResponse, status: number, type: string, body: string): void {
  res.writeHead(status, { ...HEADERS, 'content-type': type, 'content-length': Buffer.byteLength(body) });
  res.end(res.req.method === 'HEAD' ? undefined : body);
}

const sendJson = (res: ServerResponse, status: number, body: object) =>
  send(res, status, 'application/json; charset=utf-8', `${JSON.stringify(body)}\n`);

/** Host header of a loopback-bound server: a page on another name (DNS rebinding) is refused. */
function hostAllowed(req: IncomingMessage, boundHost: string): boolean {
  if (!isLoopbackHost(boundHost)) return true;
  const header = req.headers.host ?? '';
  const name = header.startsWith('[') ? header.slice(1, header.indexOf(']')) : header.split(':')[0];
  return name !== undefined && isLoopbackHost(name);
}

/** An open text/event-stream response fed by `events` until the client goes (or the server closes). */
function stream(res: ServerResponse, events: EventSource): void {
  res.writeHead(200, {
    ...HEADERS,
    'content-type': 'text/event-stream; charset=utf-8',
    connection: 'keep-alive',
  });
  if (res.req.method === 'HEAD') {
    res.end();
    return;
  }
  res.flushHeaders();
  const unsubscribe = events((event, data) => {
    res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
  });
  res.on('close', unsubscribe);
}

async function handle(req: IncomingMessage, res: ServerResponse, options: DashboardServerOptions) {
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.setHeader('allow', 'GET, HEAD');
    return sendJson(res, 405, { error: { message: 'The dashboard is read-only: GET and HEAD only.' } });
  }
  if (!hostAllowed(req, options.host)) {
    return sendJson(res, 403, { error: { message: `Host ${req.headers.host} is not this dashboard.` } });
  }
  const url = new URL(req.url ?? '/', 'http://dashboard.invalid');
  if (url.pathname === '/api/events' && options.events !== undefined) return stream(res, options.events);
  if (url.pathname.startsWith('/api/')) {
    const endpoint = options.endpoints[url.pathname.slice('/api/'.length)];
    if (endpoint === undefined) {
      return sendJson(res, 404, { error: { message: `No endpoint ${url.pathname}.` } });
    }
    const answer = await endpoint(url.searchParams);
    return sendJson(res, answer.status, answer.body);
  }
  const asset = dashboardAssets().find((a) => a.path === url.pathname);
  if (asset === undefined) return sendJson(res, 404, { error: { message: `No page ${url.pathname}.` } });
  return send(res, 200, asset.type, await readFile(asset.file, 'utf8'));
}

/** Listen errors that are the user's --host/--port, not a bug: in use, not ours, not a name, not allowed. */
const CANNOT_LISTEN = new Set([
  'EADDRINUSE',
  'EACCES',
  'EADDRNOTAVAIL',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EAI_FAIL',
  'EINVAL',
]);

export async function startDashboardServer(options: DashboardServerOptions): Promise<DashboardServer> {
  let requests = 0;
  const server: Server = createServer((req, res) => {
    requests += 1;
    handle(req, res, options).catch((error: unknown) => {
      if (!res.headersSent) {
        sendJson(res, 500, { error: { message: error instanceof Error ? error.message : String(error) } });
      } else res.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException) =>
      reject(
        CANNOT_LISTEN.has(error.code ?? '')
          ? new UsageError(`Cannot listen on ${options.host}:${options.port} (${error.code}).`, {
              cause: error,
              hint: 'Pass another --port (0 picks a free one) or --host.',
            })
          : error,
      );
    server.once('error', onError);
    server.listen(options.port, options.host, () => {
      server.off('error', onError);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return {
    url: `http://${host}:${address.port}/`,
    requests: () => requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
