import type { Logger } from '../core/log.js';
import type { IbConnection } from './connection/connection.js';
import { continuousContract, contractSpec, type FutureSymbol, type ResolvedContract } from './contracts.js';
import { formatIbUtc, parseIbBarTime } from './dates.js';
import { IbPacingError, IbRequestError } from './errors.js';
import type { BarSize, IbContractSpec, IbRawBar, WhatToShow } from './wire.js';

/**
 * Historical bars, split into requests within IB's maximum durations (1 min: 1 day per request;
 * 1 day: 1 year), paced by the session's Pacer. A 162 pacing violation backs off and retries; after
 * ib.maxPacingRetries it throws IbPacingError (exit 3). "HMDS query returned no data" is a legitimate
 * empty chunk, not an error. Continuous futures (CONTFUT) are for daily history only and must be
 * requested with an empty end date (10339), so that is one request back from now.
 */

export interface IbBar {
  /** Bar start, UTC. Daily bars: 00:00 UTC of the trade date IB labels the bar with. */
  ts: Date;
  open: number;
  high: number;
  low: number;
  close: number;
  volume: number | null;
  wap: number | null;
  count: number | null;
}

interface BarsRequestBase {
  whatToShow: WhatToShow;
  /** Inclusive. */
  start: Date;
  /** Exclusive. */
  end: Date;
  /** Regular trading hours only (default false: futures trade overnight). */
  useRTH?: boolean;
}

export type BarsRequest =
  | (BarsRequestBase & { contract: ResolvedContract; barSize: BarSize })
  | (BarsRequestBase & { continuous: FutureSymbol; barSize: '1 day' });

export interface BarChunk {
  endDateTime: string;
  durationStr: string;
  /** The window this chunk is meant to cover (bars outside it are dropped). */
  from: Date;
  to: Date;
}

const DAY_MS = 86_400_000;
/** Longest window per request, by bar size (IB "valid duration / bar size" table). */
export const MAX_CHUNK_MS: Readonly<Record<BarSize, number>> = {
  '1 min': DAY_MS,
  '1 day': 365 * DAY_MS,
};

/** Plans the requests for a range, oldest first. Pure. */
export function planBarRequests(request: BarsRequest, now: Date): BarChunk[] {
  const { start, end } = request;
  if (!(start.getTime() < end.getTime())) {
    throw new RangeError(`fetchBars: start ${start.toISOString()} must be before end ${end.toISOString()}`);
  }
  if ('continuous' in request) {
    const days = Math.max(1, Math.ceil((now.getTime() - start.getTime()) / DAY_MS));
    const durationStr = days > 365 ? `${Math.ceil(days / 365)} Y` : `${days} D`;
    return [{ endDateTime: '', durationStr, from: start, to: end }];
  }
  const step = MAX_CHUNK_MS[request.barSize];
  const chunks: BarChunk[] = [];
  for (let to = end.getTime(); to > start.getTime(); to -= step) {
    const from = Math.max(start.getTime(), to - step);
    chunks.push({
      endDateTime: formatIbUtc(new Date(to)),
      durationStr:
        request.barSize === '1 min'
          ? `${Math.max(60, Math.ceil((to - from) / 1000))} S`
          : `${Math.max(1, Math.ceil((to - from) / DAY_MS))} D`,
      from: new Date(from),
      to: new Date(to),
    });
  }
  return chunks.reverse();
}

export function toIbBar(raw: IbRawBar): IbBar {
  return {
    ts: parseIbBarTime(raw.time),
    open: raw.open,
    high: raw.high,
    low: raw.low,
    close: raw.close,
    volume: raw.volume,
    wap: raw.wap,
    count: raw.count,
  };
}

export interface FetchBarsOptions {
  now: () => Date;
  timeoutMs: number;
  farmWaitMs: number;
  maxPacingRetries: number;
  log: Logger;
}

export async function fetchBars(
  connection: IbConnection,
  request: BarsRequest,
  options: FetchBarsOptions,
): Promise<IbBar[]> {
  const chunks = planBarRequests(request, options.now());
  const contract: IbContractSpec =
    'continuous' in request ? continuousContract(request.continuous) : contractSpec(request.contract);
  const contractKey =
    'continuous' in request ? `CONTFUT:${request.continuous}` : String(request.contract.conId);
  const name = 'continuous' in request ? `${request.continuous} continuous` : request.contract.localSymbol;
  const byTs = new Map<number, IbBar>();
  for (const chunk of chunks) {
    const bars = await fetchChunk(connection, contract, contractKey, name, request, chunk, options);
    for (const bar of bars) {
      const t = bar.ts.getTime();
      if (t >= chunk.from.getTime() && t < chunk.to.getTime()) byTs.set(t, bar);
    }
  }
  return [...byTs.values()].sort((a, b) => a.ts.getTime() - b.ts.getTime());
}

async function fetchChunk(
  connection: IbConnection,
  contract: IbContractSpec,
  contractKey: string,
  name: string,
  request: BarsRequest,
  chunk: BarChunk,
  options: FetchBarsOptions,
): Promise<IbBar[]> {
  const label = `${request.barSize} ${request.whatToShow} bars of ${name} ending ${chunk.endDateTime || 'now'} (${chunk.durationStr})`;
  let retriedOnce = false;
  for (let attempt = 0; ; attempt += 1) {
    if (!(await connection.waitForFarm('historical', options.farmWaitMs))) {
      options.log.warn(`historical data farm still reported down; requesting ${label} anyway`);
    }
    const release = await connection.pacer.historicalRequest({
      contractKey,
      whatToShow: request.whatToShow,
      barSize: request.barSize,
      endDateTime: chunk.endDateTime,
      durationStr: chunk.durationStr,
    });
    try {
      const bars = await requestChunk(connection, contract, request, chunk, label, options.timeoutMs);
      connection.pacer.historicalSucceeded();
      return bars;
    } catch (error) {
      if (!(error instanceof IbRequestError)) throw error;
      if (error.ibKind.class === 'pacing') {
        if (attempt >= options.maxPacingRetries) {
          throw new IbPacingError(
            `IB kept refusing ${label} for pacing (162) after ${attempt + 1} attempts.`,
            {
              cause: error,
              hint: 'Another client may be using the historical data budget; the next run continues.',
            },
          );
        }
        const backoff = connection.pacer.historicalPacingViolation();
        options.log.warn(
          `IB pacing violation for ${label}; backing off ${Math.round(backoff / 1000)} s and retrying`,
        );
        continue;
      }
      if (error.ibKind.action === 'retry_once' && !retriedOnce) {
        retriedOnce = true;
        continue;
      }
      throw error;
    } finally {
      release();
    }
  }
}

function requestChunk(
  connection: IbConnection,
  contract: IbContractSpec,
  request: BarsRequest,
  chunk: BarChunk,
  label: string,
  timeoutMs: number,
): Promise<IbBar[]> {
  const bars: IbBar[] = [];
  return connection.request<IbBar[]>({
    kind: 'historical',
    label,
    timeoutMs,
    send: (wire, reqId) =>
      wire.reqHistoricalData(reqId, contract, {
        endDateTime: chunk.endDateTime,
        durationStr: chunk.durationStr,
        barSize: request.barSize,
        whatToShow: request.whatToShow,
        useRTH: request.useRTH ?? false,
        formatDate: 2,
      }),
    cancel: (wire, reqId) => wire.cancelHistoricalData(reqId),
    onEvent: (event, control) => {
      if (event.type === 'historicalBar') {
        try {
          bars.push(toIbBar(event.bar));
        } catch (error) {
          control.reject(error instanceof Error ? error : new Error(String(error)));
        }
      } else if (event.type === 'historicalEnd') {
        control.resolve(bars);
      }
    },
    onError: (code, message, control) => {
      if (code === 162 && /returned no data/i.test(message)) {
        control.resolve([]);
        return true;
      }
      return false;
    },
  });
}
