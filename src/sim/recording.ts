import { createWriteStream, readFileSync, type WriteStream } from 'node:fs';
import { createServer, type Socket } from 'node:net';
import { encodeFrame, FrameDecoder } from './codec.js';

/**
 * Session recordings: one JSON object per line, every frame in and out with the wall-clock and simulator
 * timestamps, plus connect/handshake/close events. `startReplay` serves a recorded connection back to a
 * client: it sends the recorded outgoing frames in order, waiting for the client's next frame wherever the
 * recording shows an incoming one (good enough to reproduce a decoder problem against a real client).
 */

export type RecordEntry =
  | { t: string; sim: string; conn: number; dir: 'in' | 'out'; fields: string[] }
  | { t: string; sim: string; conn: number; event: 'connect'; remote: string }
  | { t: string; sim: string; conn: number; event: 'handshake'; text: string }
  | { t: string; sim: string; conn: number; event: 'close'; reason: string }
  | { t: string; sim: string; conn: number; event: 'raw-out'; hex: string };

export class Recorder {
  private readonly stream: WriteStream;
  private closed = false;

  constructor(
    readonly path: string,
    private readonly wall: () => number,
    private readonly sim: () => Date,
    /** A write that fails (a full disk, /dev/full) stops the recording and is reported here, once. */
    onError: (error: Error) => void = () => {},
  ) {
    this.stream = createWriteStream(path, { flags: 'a' });
    this.stream.on('error', (error) => {
      if (this.closed) return;
      this.closed = true;
      onError(error);
    });
  }

  private stamp(): { t: string; sim: string } {
    return { t: new Date(this.wall()).toISOString(), sim: this.sim().toISOString() };
  }

  frame(conn: number, dir: 'in' | 'out', fields: readonly (string | number)[]): void {
    this.write({ ...this.stamp(), conn, dir, fields: fields.map(String) });
  }

  event(conn: number, event: 'connect' | 'close', detail: string): void {
    if (event === 'connect') this.write({ ...this.stamp(), conn, event, remote: detail });
    else this.write({ ...this.stamp(), conn, event, reason: detail });
  }

  handshake(conn: number, text: string): void {
    this.write({ ...this.stamp(), conn, event: 'handshake', text });
  }

  rawOut(conn: number, bytes: Buffer): void {
    this.write({ ...this.stamp(), conn, event: 'raw-out', hex: bytes.toString('hex') });
  }

  private write(entry: RecordEntry): void {
    if (!this.closed) this.stream.write(`${JSON.stringify(entry)}\n`);
  }

  close(): Promise<void> {
    if (this.closed) return Promise.resolve();
    this.closed = true;
    if (this.stream.destroyed) return Promise.resolve();
    return new Promise((resolve) => this.stream.end(() => resolve()));
  }
}

export function readRecording(path: string): RecordEntry[] {
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as RecordEntry);
}

export interface ReplayOptions {
  recording: string | readonly RecordEntry[];
  /** Which recorded connection to play (default: the first one). */
  connection?: number;
  host?: string;
  port?: number;
}

export interface ReplayServer {
  host: string;
  port: number;
  close(): Promise<void>;
}

type Step = { kind: 'expect' } | { kind: 'send'; bytes: Buffer };

function stepsOf(entries: readonly RecordEntry[], conn: number): Step[] {
  const steps: Step[] = [];
  for (const e of entries) {
    if (e.conn !== conn) continue;
    if ('dir' in e) {
      if (e.dir === 'in') steps.push({ kind: 'expect' });
      else steps.push({ kind: 'send', bytes: encodeFrame(e.fields) });
    } else if (e.event === 'handshake') {
      steps.push({ kind: 'expect' });
    } else if (e.event === 'raw-out') {
      steps.push({ kind: 'send', bytes: Buffer.from(e.hex, 'hex') });
    }
  }
  return steps;
}

/** Serves one recorded connection to every client that connects. */
export function startReplay(options: ReplayOptions): Promise<ReplayServer> {
  const entries =
    typeof options.recording === 'string' ? readRecording(options.recording) : options.recording;
  const conn = options.connection ?? entries.find((e) => 'conn' in e)?.conn ?? 1;
  const steps = stepsOf(entries, conn);
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => socket.destroy());
    const decoder = new FrameDecoder({ expectHandshake: true });
    let received = 0;
    let expected = 0;
    let index = 0;
    const advance = () => {
      while (index < steps.length) {
        const step = steps[index];
        if (!step) break;
        if (step.kind === 'expect') {
          if (received <= expected) return;
          expected++;
        } else if (!socket.destroyed) {
          socket.write(step.bytes);
        }
        index++;
      }
    };
    socket.on('data', (chunk: Buffer) => {
      try {
        received += decoder.push(chunk).length;
      } catch {
        socket.destroy();
        return;
      }
      advance();
    });
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      resolve({
        host: options.host ?? '127.0.0.1',
        port,
        close: () =>
          new Promise<void>((done) => {
            for (const s of sockets) s.destroy();
            server.close(() => done());
          }),
      });
    });
  });
}
