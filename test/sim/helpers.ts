import { connect, type Socket } from 'node:net';
import { EventName, IBApi, IBApiNext } from '@stoqey/ib';
import { encodeFrame, encodeHandshake, FrameDecoder } from '../../src/sim/codec.js';
import type { Simulator } from '../../src/sim/index.js';

/** A Wednesday, 10:00 ET (RTH), in late 2026. */
export const RTH_INSTANT = new Date('2026-10-14T14:00:00Z');
/** Saturday noon ET: CME closed. */
export const WEEKEND_INSTANT = new Date('2026-10-17T16:00:00Z');
/** Wednesday 17:30 ET: the daily halt. */
export const HALT_INSTANT = new Date('2026-10-14T21:30:00Z');

export function fixedClock(at: Date): () => Date {
  return () => new Date(at.getTime());
}

/** Resolves when `check` returns a value other than undefined (polled), or rejects after `timeoutMs`. */
export async function until<T>(
  check: () => T | undefined,
  timeoutMs = 10_000,
  what = 'condition',
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

export interface ClientEvents {
  infos: { code: number; message: string }[];
  errors: { code: number; reqId: number; message: string }[];
  disconnected: boolean;
  nextValidId: number | undefined;
  accounts: string | undefined;
}

/** The event-level IBApi connected to the simulator, with its id −1 infos, errors and disconnects collected. */
export async function connectApi(
  sim: Simulator,
  clientId: number,
): Promise<{ api: IBApi; events: ClientEvents }> {
  const api = new IBApi({ host: sim.host, port: sim.port });
  const events: ClientEvents = {
    infos: [],
    errors: [],
    disconnected: false,
    nextValidId: undefined,
    accounts: undefined,
  };
  api.on(EventName.info, (message: string, code: number) => events.infos.push({ code, message }));
  api.on(EventName.error, (error: Error, code: number, reqId: number) =>
    events.errors.push({ code, reqId, message: error.message }),
  );
  api.on(EventName.disconnected, () => {
    events.disconnected = true;
  });
  api.on(EventName.nextValidId, (id: number) => {
    events.nextValidId = id;
  });
  api.on(EventName.managedAccounts, (accounts: string) => {
    events.accounts = accounts;
  });
  api.connect(clientId);
  return { api, events };
}

export async function connectReady(
  sim: Simulator,
  clientId: number,
): Promise<{ api: IBApi; events: ClientEvents }> {
  const client = await connectApi(sim, clientId);
  await until(() => client.events.nextValidId, 10_000, 'nextValidId');
  return client;
}

/** IBApiNext connected and past nextValidId (proved by a round trip). */
export async function connectNext(sim: Simulator, clientId: number): Promise<IBApiNext> {
  const ib = new IBApiNext({ host: sim.host, port: sim.port });
  ib.connect(clientId);
  await ib.getCurrentTime();
  return ib;
}

/** A raw TCP client speaking the wire protocol with the simulator's own codec. */
export class RawClient {
  readonly frames: string[][] = [];
  closed = false;
  private readonly decoder = new FrameDecoder();
  private constructor(readonly socket: Socket) {
    socket.on('data', (chunk: Buffer) => {
      for (const item of this.decoder.push(chunk)) if (item.kind === 'frame') this.frames.push(item.fields);
    });
    socket.on('close', () => {
      this.closed = true;
    });
    socket.on('error', () => {});
  }

  static async open(sim: Simulator): Promise<RawClient> {
    const socket = connect(sim.port, sim.host);
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    return new RawClient(socket);
  }

  handshake(min = 100, max = 193, options = ''): void {
    this.socket.write(encodeHandshake(min, max, options));
  }

  send(fields: (string | number)[]): void {
    this.socket.write(encodeFrame(fields));
  }

  write(bytes: Buffer): void {
    this.socket.write(bytes);
  }

  async frame(predicate: (f: string[]) => boolean, what = 'frame'): Promise<string[]> {
    return until(() => this.frames.find(predicate), 10_000, what);
  }

  async waitClosed(): Promise<void> {
    await until(() => (this.closed ? true : undefined), 10_000, 'socket close');
  }

  /** Handshake + startApi, resolved at nextValidId. */
  async start(clientId: number): Promise<void> {
    this.handshake();
    await this.frame((f) => f.length === 2, 'server version');
    this.send([71, 2, clientId, '']);
    await this.frame((f) => f[0] === '9', 'nextValidId');
  }

  close(): void {
    this.socket.destroy();
  }
}
