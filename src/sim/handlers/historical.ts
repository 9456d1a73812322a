import { formatYmd, MINUTE_MS, sessionStartMs } from '../calendar.js';
import type { SimContract } from '../contracts.js';
import { formatIbEt, formatUtcDash, parseEndDateTime } from '../ib-time.js';
import { MODEL_START_MS, type WhatToShow } from '../market/model.js';
import {
  type HistoricalBarFields,
  headTimestamp,
  historicalData,
  historicalDataUpdate,
} from '../messages.js';
import type { Fault } from '../scenario.js';
import type { HandlerConfig, Req, SessionPort } from '../types.js';
import { buildBars, UNIT_SECONDS, windowStart } from './bars.js';
import type { ContractRequests, SecType } from './contracts.js';

/** reqHistoricalData and reqHeadTimestamp: IB's validation, pacing and error texts, then the bars. */

const HMDS = 'Historical Market Data Service error message:';
const PACING_VIOLATION = `${HMDS}Historical data request pacing violation`;
const VALID_BAR_SIZES = new Set([
  '1 secs',
  '5 secs',
  '10 secs',
  '15 secs',
  '30 secs',
  '1 min',
  '2 mins',
  '3 mins',
  '5 mins',
  '10 mins',
  '15 mins',
  '20 mins',
  '30 mins',
  '1 hour',
  '2 hours',
  '3 hours',
  '4 hours',
  '8 hours',
  '1 day',
  '1W',
  '1M',
]);
const VALID_WHAT = new Set([
  'TRADES',
  'MIDPOINT',
  'BID',
  'ASK',
  'BID_ASK',
  'ADJUSTED_LAST',
  'HISTORICAL_VOLATILITY',
  'OPTION_IMPLIED_VOLATILITY',
  'REBATE_RATE',
  'FEE_RATE',
  'YIELD_BID',
  'YIELD_ASK',
  'YIELD_BID_ASK',
  'YIELD_LAST',
  'SCHEDULE',
  'AGGTRADES',
]);
const END_DATE_HELP =
  'End Date/Time: The date, time, or time-zone entered is invalid. The correct format is yyyymmdd hh:mm:ss xx/xxx where yyyymmdd and xx/xxx are optional. E.g.: 20031126 15:59:00 US/Eastern  Note that there is a space between the date and time, and between the time and time-zone. If no date is specified, current date is assumed. If no time-zone is specified, local time-zone is assumed(deprecated). You can also provide yyyymmddd-hh:mm:ss time is in UTC. Note that there is a dash between the date and time in UTC notation.';
const NO_ZONE_WARNING =
  'Warning: You submitted request with date-time attributes without explicit time zone. Please switch to use yyyymmdd-hh:mm:ss in UTC or use instrument time zone, like US/Eastern. Implied time zone functionality will be removed in the next API release';

interface Refusal {
  refused: true;
  code: number;
  message: string;
}

/** A request that passed every check: what to build and send. */
interface HistoricalQuery {
  refused: false;
  contract: SimContract;
  secType: SecType;
  endMs: number;
  warnNoZone: boolean;
  barMinutes: number;
  what: WhatToShow;
  unit: string;
  count: number;
}

const refuse = (code: number, message: string): Refusal => ({ refused: true, code, message });

/** Longest duration (seconds) the simulator serves per bar size in minutes (IB: "Time length exceed max"). */
function maxDurationSeconds(barMinutes: number): number {
  if (barMinutes <= 2) return 10 * 86_400;
  if (barMinutes < 60) return 31 * 86_400;
  if (barMinutes < 1440) return 366 * 86_400;
  return 30 * 31_536_000;
}

function barMinutesOf(barSize: string): number | undefined {
  const m = /^(\d+) (min|mins|hour|hours|day)$/.exec(barSize);
  if (!m) return undefined;
  const n = Number(m[1]);
  if (m[2] === 'day') return n === 1 ? 1440 : undefined;
  return m[2]?.startsWith('hour') ? n * 60 : n;
}

/** IB's checks of the request's own fields, before the contract is looked up. */
function checkFields(
  req: Req<'historicalData'>,
  nowMs: number,
):
  | Refusal
  | { refused: false; endMs: number; warnNoZone: boolean; unit: string; count: number; what: string } {
  const secType = req.contract.secType.trim().toUpperCase();
  const end = parseEndDateTime(req.endDateTime, nowMs);
  if (secType === 'CONTFUT' && req.endDateTime.trim() !== '') {
    return refuse(10339, 'Setting end date/time for continuous future security type is not allowed.');
  }
  if (!end) return refuse(10314, END_DATE_HELP);
  if (!VALID_BAR_SIZES.has(req.barSize)) {
    return refuse(
      321,
      "Error validating request.-'bS' : cause - Historical data bar size setting is invalid.",
    );
  }
  const duration = /^(\d+) ([SDWMY])$/.exec(req.duration.trim());
  if (!duration || Number(duration[1]) <= 0) {
    return refuse(321, `Error validating request.-'bS' : cause - Invalid duration format: ${req.duration}`);
  }
  const what = req.whatToShow.trim().toUpperCase();
  if (!VALID_WHAT.has(what)) {
    return refuse(321, `Error validating request.-'bS' : cause - Invalid what to show: ${req.whatToShow}`);
  }
  if (req.keepUpToDate && req.endDateTime.trim() !== '') {
    return refuse(321, "Error validating request.-'bS' : cause - End date not supported with live updates");
  }
  const unit = duration[2] ?? 'D';
  return {
    refused: false,
    endMs: end.ms,
    warnNoZone: end.warnNoZone,
    unit,
    count: Number(duration[1]),
    what,
  };
}

export class HistoricalRequests {
  private readonly pacingLog: { key: string; contractKey: string; at: number }[] = [];

  constructor(
    private readonly config: HandlerConfig,
    private readonly contracts: ContractRequests,
  ) {}

  historicalData(session: SessionPort, req: Req<'historicalData'>): void {
    const ordinal = this.config.nextHistoricalOrdinal();
    if (injected(session, 'historicalSilence', ordinal, req.contract.symbol)) {
      session.faultFired(`historicalSilence reqId ${req.reqId}`);
      session.historical.set(req.reqId, { reqId: req.reqId, state: 'pending' });
      return;
    }
    const hmds = injectedHmdsError(session, ordinal, req.contract.symbol);
    if (hmds) {
      session.faultFired(`historicalError ${hmds.code} reqId ${req.reqId}`);
      session.error(req.reqId, hmds.code, hmds.message.replace('{reqId}', String(req.reqId)));
      return;
    }
    if (injected(session, 'pacingViolation', ordinal, req.contract.symbol)) {
      this.config.log(`historical request #${ordinal}: injected pacing violation`);
      session.error(req.reqId, 162, PACING_VIOLATION);
      return;
    }
    const nowMs = this.config.now().getTime();
    const query = this.check(session, req, nowMs);
    if (query === undefined) return;
    if (query.refused) {
      session.error(req.reqId, query.code, query.message);
      return;
    }
    if (this.config.enforcePacing && query.barMinutes <= 1 && this.checkPacing(req, query.contract)) {
      session.error(req.reqId, 162, PACING_VIOLATION);
      return;
    }
    if (query.warnNoZone) session.error(req.reqId, 2174, NO_ZONE_WARNING);
    this.reply(session, req, query, Math.min(query.endMs, nowMs));
  }

  /** Every check IB makes, in IB's order; undefined when the contract could not be resolved (error sent). */
  private check(
    session: SessionPort,
    req: Req<'historicalData'>,
    nowMs: number,
  ): HistoricalQuery | Refusal | undefined {
    const fields = checkFields(req, nowMs);
    if (fields.refused) return fields;
    const resolved = this.contracts.resolveOne(session, req.reqId, req.contract);
    if (!resolved) return undefined;
    const { contract, secType } = resolved;
    const barMinutes = barMinutesOf(req.barSize);
    const { what } = fields;
    const label = `${contract.symbol}/${secType}@${contract.exchange}`;
    if (barMinutes === undefined) {
      return refuse(
        162,
        `${HMDS}No historical market data for ${label} ${what} ${req.barSize} (the simulator serves minute, hour and daily bars)`,
      );
    }
    const isIndex = contract.secType === 'IND';
    if (!['TRADES', 'MIDPOINT', 'BID', 'ASK'].includes(what) || (isIndex && what !== 'TRADES')) {
      return refuse(162, `${HMDS}No historical market data for ${label} ${what} ${req.barSize}`);
    }
    if (fields.count * (UNIT_SECONDS[fields.unit] ?? 86_400) > maxDurationSeconds(barMinutes)) {
      return refuse(162, `${HMDS}Time length exceed max.`);
    }
    return { ...fields, contract, secType, barMinutes, what: what as WhatToShow };
  }

  private reply(
    session: SessionPort,
    req: Req<'historicalData'>,
    query: HistoricalQuery,
    endMs: number,
  ): void {
    const { contract, barMinutes, what } = query;
    const startMs = windowStart(endMs, query.unit, query.count, contract.secType === 'IND');
    const bars = buildBars(this.config.market, {
      contract,
      secType: query.secType,
      startMs,
      endMs,
      barMinutes,
      what,
      useRth: req.useRth,
    });
    if (bars.length === 0) {
      session.error(
        req.reqId,
        162,
        `${HMDS}HMDS query returned no data: ${contract.localSymbol}@${contract.exchange} ${what}`,
      );
      return;
    }
    const daily = barMinutes >= 1440;
    const rows: HistoricalBarFields[] = bars.map((b) => ({
      date:
        daily && b.tradeDate
          ? formatYmd(b.tradeDate)
          : req.formatDate === 2
            ? String(Math.floor(b.startMs / 1000))
            : formatIbEt(b.startMs),
      open: b.open,
      high: b.high,
      low: b.low,
      close: b.close,
      volume: b.volume,
      wap: b.wap,
      count: b.count,
    }));
    session.send(
      historicalData(session.serverVersion, req.reqId, formatIbEt(startMs), formatIbEt(endMs), rows),
    );
    if (req.keepUpToDate) this.stream(session, req, query, rows.at(-1));
  }

  /** keepUpToDate: HISTORICAL_DATA_UPDATE (90) for the current bar whenever it changes (on every pump). */
  private stream(
    session: SessionPort,
    req: Req<'historicalData'>,
    query: HistoricalQuery,
    last: HistoricalBarFields | undefined,
  ): void {
    let sent = JSON.stringify(last);
    const update = () => {
      const nowMs = this.config.now().getTime();
      const barMs = query.barMinutes * MINUTE_MS;
      const startMs = Math.floor(nowMs / barMs) * barMs - barMs;
      const bars = buildBars(this.config.market, {
        contract: query.contract,
        secType: query.secType,
        startMs,
        endMs: nowMs,
        barMinutes: query.barMinutes,
        what: query.what,
        useRth: req.useRth,
      });
      const b = bars.at(-1);
      if (!b) return;
      const row: HistoricalBarFields = {
        date: req.formatDate === 2 ? String(Math.floor(b.startMs / 1000)) : formatIbEt(b.startMs),
        open: b.open,
        high: b.high,
        low: b.low,
        close: b.close,
        volume: b.volume,
        wap: b.wap,
        count: b.count,
      };
      const text = JSON.stringify(row);
      if (text === sent) return;
      sent = text;
      session.send(historicalDataUpdate(req.reqId, row));
    };
    session.historical.set(req.reqId, { reqId: req.reqId, state: 'streaming', update });
  }

  /** Streaming keepUpToDate requests: send what changed. */
  pump(session: SessionPort): void {
    for (const line of session.historical.values()) line.update?.();
  }

  /**
   * cancelHistoricalData: an unanswered request is dropped with 162 "query cancelled"; a stream stops;
   * an id the gateway does not know (answered already, or never sent) gets 366 (ib_async #88).
   */
  cancel(session: SessionPort, reqId: number): void {
    const line = session.historical.get(reqId);
    session.historical.delete(reqId);
    if (!line) {
      session.error(reqId, 366, `No historical data query found for ticker id:${reqId}`);
      return;
    }
    if (line.state === 'pending') {
      session.error(reqId, 162, `${HMDS}API historical data query cancelled: ${reqId}`);
    }
  }

  /** IB's historical pacing: identical within 15 s, 6 per contract in 2 s, 60 per 10 min. */
  private checkPacing(req: Req<'historicalData'>, contract: SimContract): boolean {
    const at = this.config.wall();
    const key = JSON.stringify([
      contract.conId,
      req.endDateTime,
      req.barSize,
      req.duration,
      req.whatToShow,
      req.useRth,
    ]);
    const contractKey = `${contract.conId}:${req.whatToShow}`;
    while (this.pacingLog.length > 0 && (this.pacingLog[0]?.at ?? at) < at - 600_000) this.pacingLog.shift();
    const identical = this.pacingLog.some((e) => e.key === key && e.at >= at - 15_000);
    const sameContract =
      this.pacingLog.filter((e) => e.contractKey === contractKey && e.at >= at - 2_000).length >= 5;
    const total = this.pacingLog.length >= 60;
    this.pacingLog.push({ key, contractKey, at });
    return identical || sameContract || total;
  }

  headTimestamp(session: SessionPort, req: Req<'headTimestamp'>): void {
    const resolved = this.contracts.resolveOne(session, req.reqId, req.contract);
    if (!resolved) return;
    const { contract, secType } = resolved;
    const what = req.whatToShow.trim().toUpperCase();
    if (!VALID_WHAT.has(what)) {
      session.error(
        req.reqId,
        321,
        `Error validating request.-'bS' : cause - Invalid what to show: ${req.whatToShow}`,
      );
      return;
    }
    const ms =
      secType === 'FUT' && contract.listed
        ? Math.max(sessionStartMs(contract.listed), MODEL_START_MS)
        : MODEL_START_MS;
    session.send(
      headTimestamp(req.reqId, req.formatDate === 2 ? String(Math.floor(ms / 1000)) : formatUtcDash(ms)),
    );
  }
}

type OrdinalFault = Extract<Fault, { type: 'pacingViolation' | 'historicalSilence' | 'historicalError' }>;

/** Whether an ordinal-triggered fault hits this historical request (the Nth, then every k-th; absent N = all). */
function hits(f: OrdinalFault, ordinal: number, symbol: string): boolean {
  if (
    f.type !== 'pacingViolation' &&
    f.symbols &&
    !f.symbols.some((s) => s === symbol.trim().toUpperCase())
  ) {
    return false;
  }
  const first = f.onHistoricalRequest;
  if (first === undefined) return true;
  if (ordinal === first) return true;
  return f.every !== undefined && ordinal > first && (ordinal - first) % f.every === 0;
}

function injected(
  session: SessionPort,
  type: 'pacingViolation' | 'historicalSilence',
  ordinal: number,
  symbol: string,
): boolean {
  return session.faults.some(
    (f) =>
      (f.type === 'pacingViolation' || f.type === 'historicalSilence') &&
      f.type === type &&
      hits(f, ordinal, symbol),
  );
}

/** IB's texts for the HMDS errors a historicalError fault injects ({reqId} is filled in). */
export const HMDS_ERROR_TEXT: Readonly<Record<string, { code: number; message: string }>> = {
  cancelled: { code: 162, message: `${HMDS}API historical data query cancelled: {reqId}` },
  competingSession: {
    code: 162,
    message: `${HMDS}Trading TWS session is connected from a different IP address`,
  },
  noPermissions: { code: 162, message: `${HMDS}No market data permissions for CME FUT` },
  expired: { code: 166, message: 'HMDS Expired Contract Violation:contract is expired.' },
  liveUpdatesDisconnected: { code: 10182, message: 'Failed to request live updates (disconnected).' },
};

function injectedHmdsError(
  session: SessionPort,
  ordinal: number,
  symbol: string,
): { code: number; message: string } | undefined {
  for (const f of session.faults) {
    if (f.type !== 'historicalError' || !hits(f, ordinal, symbol)) continue;
    return HMDS_ERROR_TEXT[f.error];
  }
  return undefined;
}
