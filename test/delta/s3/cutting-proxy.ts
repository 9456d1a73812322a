/**
 * A TCP proxy in front of the S3 server that cuts connections carrying a Delta commit PUT
 * (`PUT …/_delta_log/<20 digits>.json`): either mid-request (the server never gets the whole body, so
 * nothing is stored) or after the request went through, before the client sees the answer (the commit
 * landed, the writer cannot know). Faults are taken from a queue, one per commit PUT seen.
 */
import net from 'node:net';

export type Cut = 'mid-request' | 'mid-response' | 'none';

export interface CuttingProxy {
  endpoint: string;
  /** Faults for the next commit PUTs, in order (then 'none'). */
  faults: Cut[];
  injected: Record<Cut, number>;
  close(): Promise<void>;
}

const COMMIT_PUT = /^PUT \S*\/_delta_log\/\d{20}\.json[ ?]/m;

export async function startCuttingProxy(upstream: string): Promise<CuttingProxy> {
  const target = new URL(upstream);
  const sockets = new Set<net.Socket>();
  const proxy: CuttingProxy = {
    endpoint: '',
    faults: [],
    injected: { 'mid-request': 0, 'mid-response': 0, none: 0 },
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  const server = net.createServer((client) => {
    const server = net.connect(Number(target.port), target.hostname);
    sockets.add(client);
    sockets.add(server);
    const cut = () => {
      client.destroy();
      server.destroy();
    };
    client.on('close', () => {
      sockets.delete(client);
      server.destroy();
    });
    server.on('close', () => {
      sockets.delete(server);
      client.destroy();
    });
    client.on('error', cut);
    server.on('error', cut);
    let cutOnResponse = false;
    let dropping = false;
    client.on('data', (chunk: Buffer) => {
      if (dropping) return;
      const text = chunk.toString('latin1');
      if (COMMIT_PUT.test(text)) {
        const fault = proxy.faults.shift() ?? 'none';
        proxy.injected[fault]++;
        if (fault === 'mid-request') {
          // Headers and part of the body at most: the server waits for the rest, then gives up.
          dropping = true;
          server.write(chunk.subarray(0, Math.max(1, chunk.length - 40)), () => setTimeout(cut, 20));
          return;
        }
        if (fault === 'mid-response') cutOnResponse = true;
      }
      server.write(chunk);
    });
    server.on('data', (chunk: Buffer) => {
      if (cutOnResponse) {
        cut();
        return;
      }
      client.write(chunk);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const address = server.address() as net.AddressInfo;
  proxy.endpoint = `http://127.0.0.1:${address.port}`;
  return proxy;
}
