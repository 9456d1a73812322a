import {
  addDays,
  etToUtc,
  formatYmd,
  isTradeDate,
  MINUTE_MS,
  previousTradeDate,
  sessionEndMs,
  sessionStartMs,
  simEtParts,
  tradeDateOf,
  type Ymd,
} from './calendar.js';
import {
  activeContract,
  contractByConId,
  contractDetails,
  type FutureSymbol,
  formatExpiry,
  listedContracts,
  type SimContract,
  type SimSymbol,
  VIX_INDEX,
} from './contracts.js';
import {
  type Bar,
  isFutureSymbol,
  isSimSymbol,
  MarketModel,
  MODEL_START_MS,
  type WhatToShow,
} from './market.js';
import {
  contractData,
  contractDataEnd,
  currentTime,
  DELAYED_TICK,
  type HistoricalBarFields,
  headTimestamp,
  historicalData,
  type RequestContract,
  type SimRequest,
  TickType,
  tickGeneric,
  tickPrice,
  tickSize,
  tickString,
} from './protocol.js';
import type { MarketLine, Session } from './session.js';

/** Request handlers: contract resolution, ticks, historical bars, head timestamps (field orders in protocol.ts). */

export interface HandlerConfig {
  market: MarketModel;
  now(): Date;
  wall(): number;
  snapshotEndDelayMs: number;
  delayedMinutes: number;
  maxMarketDataLines: number;
  contractTimeZone: 'US/Eastern' | 'US/Central';
  enforcePacing: boolean;
  /** 1-based ordinal of the next historical request across the simulator. */
  nextHistoricalOrdinal(): number;
  log(line: string): void;
}

type Req<K extends SimRequest['kind']> = Extract<SimRequest, { kind: K }>;

export type ResolveResult =
  | { ok: true; contracts: SimContract[]; secType: 'FUT' | 'IND' | 'CONTFUT' }
  | { ok: false; code: number; message: string };

const NO_SECURITY = 'No security definition has been found for the request';
const HMDS = 'Historical Market Data Service error message:';
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
  '1 week',
  '1 month',
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
const UNIT_SECONDS: Readonly<Record<string, number>> = {
  S: 1,
  D: 86_400,
  W: 604_800,
  M: 2_592_000,
  Y: 31_536_000,
};
/** Longest duration (seconds) the simulator serves per bar size in minutes (IB: "Time length exceed max"). */
function maxDurationSeconds(barMinutes: number): number {
  if (barMinutes <= 2) return 10 * 86_400;
  if (barMinutes < 60) return 31 * 86_400;
  if (barMinutes < 1440) return 366 * 86_400;
  return 30 * 31_536_000;
}
const END_DATE_HELP =
  'End Date/Time: The date, time, or time-zone entered is invalid. The correct format is yyyymmdd hh:mm:ss xx/xxx where yyyymmdd and xx/xxx are optional. E.g.: 20031126 15:59:00 US/Eastern  Note that there is a space between the date and time, and between the time and time-zone. If no date is specified, current date is assumed. If no time-zone is specified, local time-zone is assumed(deprecated). You can also provide yyyymmddd-hh:mm:ss time is in UTC. Note that there is a dash between the date and time in UTC notation.';
const TZ_OFFSETS: Readonly<Record<string, 'ET' | 'CT' | 'UTC'>> = {
  'US/Eastern': 'ET',
  'America/New_York': 'ET',
  EST: 'ET',
  EDT: 'ET',
  EST5EDT: 'ET',
  'US/Central': 'CT',
  'America/Chicago': 'CT',
  CST: 'CT',
  CDT: 'CT',
  UTC: 'UTC',
  GMT: 'UTC',
  'Etc/UTC': 'UTC',
};

function symbolOf(contract: SimContract): SimSymbol {
  return contract.symbol;
}

function pad2(n: number): string {
  return String(n).padStart(2, '0');
}

/** "YYYYMMDD HH:MM:SS US/Eastern" */
export function formatEt(ms: number): string {
  const p = simEtParts(ms);
  const sec = Math.floor((((ms % MINUTE_MS) + MINUTE_MS) % MINUTE_MS) / 1000);
  return `${formatYmd(p)} ${pad2(Math.floor(p.minuteOfDay / 60))}:${pad2(p.minuteOfDay % 60)}:${pad2(sec)} US/Eastern`;
}

/** "YYYYMMDD-HH:MM:SS" in UTC. */
export function formatUtcDash(ms: number): string {
  const d = new Date(ms);
  return `${d.getUTCFullYear()}${pad2(d.getUTCMonth() + 1)}${pad2(d.getUTCDate())}-${pad2(d.getUTCHours())}:${pad2(d.getUTCMinutes())}:${pad2(d.getUTCSeconds())}`;
}

/** Parses a historical endDateTime; `warnNoZone` is set when no zone was given (IB warning 2174). */
export function parseEndDateTime(
  text: string,
  nowMs: number,
): { ms: number; warnNoZone: boolean } | undefined {
  const trimmed = text.trim();
  if (trimmed === '') return { ms: nowMs, warnNoZone: false };
  const dash = /^(\d{4})(\d{2})(\d{2})-(\d{2}):(\d{2}):(\d{2})$/.exec(trimmed);
  if (dash) {
    const [, y, mo, d, h, mi, s] = dash.map(Number) as number[];
    return { ms: Date.UTC(y ?? 0, (mo ?? 1) - 1, d ?? 1, h ?? 0, mi ?? 0, s ?? 0), warnNoZone: false };
  }
  const spaced = /^(\d{4})(\d{2})(\d{2})(?:\s+(\d{2}):(\d{2}):(\d{2}))?(?:\s+(\S+))?$/.exec(trimmed);
  if (!spaced) return undefined;
  const y = Number(spaced[1]);
  const mo = Number(spaced[2]);
  const d = Number(spaced[3]);
  const h = Number(spaced[4] ?? 0);
  const mi = Number(spaced[5] ?? 0);
  const s = Number(spaced[6] ?? 0);
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 59) return undefined;
  const zoneName = spaced[7];
  const zone = zoneName === undefined ? 'ET' : TZ_OFFSETS[zoneName];
  if (!zone) return undefined;
  const minuteOfDay = h * 60 + mi;
  let ms: number;
  if (zone === 'UTC') ms = Date.UTC(y, mo - 1, d, h, mi, s);
  else ms = etToUtc(y, mo, d, minuteOfDay + (zone === 'CT' ? 60 : 0)) + s * 1000;
  return { ms, warnNoZone: zoneName === undefined };
}

function barMinutesOf(barSize: string): number | undefined {
  const m = /^(\d+) (min|mins|hour|hours|day)$/.exec(barSize);
  if (!m) return undefined;
  const n = Number(m[1]);
  if (m[2] === 'day') return n === 1 ? 1440 : undefined;
  return m[2]?.startsWith('hour') ? n * 60 : n;
}

export class SimHandlers {
  private readonly pacingLog: { key: string; contractKey: string; at: number }[] = [];

  constructor(private readonly config: HandlerConfig) {}

  get market(): MarketModel {
    return this.config.market;
  }

  private nowMs(): number {
    return this.config.now().getTime();
  }

  // ---- contract resolution ----

  resolve(req: RequestContract, mode: 'details' | 'single', session: Session): ResolveResult {
    const ms = this.nowMs();
    const symbol = req.symbol.trim().toUpperCase();
    const secType = req.secType.trim().toUpperCase();
    const blocked = (s: string) =>
      session.faults.some((f) => f.type === 'noSecurityDefinition' && f.symbols.some((x) => x === s));
    if (req.conId > 0) {
      const found = contractByConId(req.conId, ms);
      if (!found || blocked(found.symbol)) return { ok: false, code: 200, message: NO_SECURITY };
      if (secType === 'CONTFUT' && found.secType === 'FUT')
        return { ok: true, contracts: [found], secType: 'CONTFUT' };
      if (secType !== '' && secType !== found.secType) return { ok: false, code: 200, message: NO_SECURITY };
      return { ok: true, contracts: [found], secType: found.secType };
    }
    if (symbol === '' && req.localSymbol === '') {
      return {
        ok: false,
        code: 321,
        message: "Error validating request.-'bc' : cause - Missing or invalid symbol",
      };
    }
    const effectiveSymbol =
      symbol || (/^(ES|NQ|RTY)[HMUZ]\d$/.exec(req.localSymbol.toUpperCase())?.[1] ?? '');
    if (!isSimSymbol(effectiveSymbol) || blocked(effectiveSymbol))
      return { ok: false, code: 200, message: NO_SECURITY };
    const exchange = req.exchange.trim().toUpperCase();
    const currency = req.currency.trim().toUpperCase();
    if (currency !== '' && currency !== 'USD') return { ok: false, code: 200, message: NO_SECURITY };
    if (effectiveSymbol === 'VIX') {
      if (secType !== '' && secType !== 'IND') return { ok: false, code: 200, message: NO_SECURITY };
      if (exchange !== '' && exchange !== 'CBOE' && exchange !== 'SMART') {
        return { ok: false, code: 200, message: NO_SECURITY };
      }
      return { ok: true, contracts: [VIX_INDEX], secType: 'IND' };
    }
    const future = effectiveSymbol as FutureSymbol;
    if (exchange !== '' && exchange !== 'CME') return { ok: false, code: 200, message: NO_SECURITY };
    if (secType === 'IND') return { ok: false, code: 200, message: NO_SECURITY };
    if (secType === 'CONTFUT' || secType === 'FUT+CONTFUT') {
      const front = activeContract(future, ms, 0);
      if (secType === 'CONTFUT') return { ok: true, contracts: [front], secType: 'CONTFUT' };
    }
    if (secType !== '' && secType !== 'FUT' && secType !== 'FUT+CONTFUT') {
      return { ok: false, code: 200, message: NO_SECURITY };
    }
    const month = req.lastTradeDateOrContractMonth.trim().split(/\s+/)[0] ?? '';
    const candidates = listedContracts(future, ms, req.includeExpired).filter((c) => {
      if (month.length === 6 && c.contractMonth !== month) return false;
      if (month.length === 8 && formatExpiry(c) !== month) return false;
      if (month !== '' && month.length !== 6 && month.length !== 8) return false;
      if (req.localSymbol !== '' && c.localSymbol !== req.localSymbol.toUpperCase()) return false;
      if (req.tradingClass !== '' && req.tradingClass.toUpperCase() !== c.symbol) return false;
      if (req.multiplier !== '' && Number(req.multiplier) !== c.multiplier) return false;
      return true;
    });
    if (candidates.length === 0) return { ok: false, code: 200, message: NO_SECURITY };
    if (mode === 'single' && candidates.length > 1) {
      return {
        ok: false,
        code: 200,
        message: `The contract description specified for ${future} is ambiguous.`,
      };
    }
    return { ok: true, contracts: candidates, secType: 'FUT' };
  }

  // ---- requests ----

  currentTime(session: Session): void {
    session.send(currentTime(Math.floor(this.nowMs() / 1000)));
  }

  contractDetails(session: Session, req: Req<'contractDetails'>): void {
    const secType = req.contract.secType.trim().toUpperCase();
    const result = this.resolve(req.contract, 'details', session);
    if (!result.ok) {
      session.error(req.reqId, result.code, result.message);
      return;
    }
    const ms = this.nowMs();
    const withCont =
      secType === 'FUT+CONTFUT' && result.contracts[0]
        ? [{ c: activeContract(result.contracts[0].symbol as FutureSymbol, ms, 0), t: 'CONTFUT' as const }]
        : [];
    const rows = [...result.contracts.map((c) => ({ c, t: result.secType })), ...withCont];
    for (const { c, t } of rows) {
      const d = contractDetails(c, t, ms, this.config.contractTimeZone);
      const isFuture = c.secType === 'FUT';
      session.send(
        contractData({
          reqId: req.reqId,
          symbol: c.symbol,
          secType: t,
          lastTradeDateOrContractMonth: formatExpiry(c),
          lastTradeDate: formatExpiry(c),
          exchange: c.exchange,
          currency: 'USD',
          localSymbol: c.localSymbol,
          marketName: c.symbol,
          tradingClass: c.symbol,
          conId: c.conId,
          minTick: c.tick,
          multiplier: isFuture ? String(c.multiplier) : '',
          orderTypes: isFuture
            ? 'ACTIVETIM,AD,ADJUST,ALERT,ALLOC,AVGCOST,BASKET,GAT,GTC,GTD,LIT,LMT,MIT,MKT,STP,STPLMT,TRAIL'
            : '',
          validExchanges: c.exchange,
          underConId: c.spec.underConId,
          longName: c.spec.longName,
          contractMonth: c.contractMonth,
          industry: isFuture ? '' : 'Indices',
          category: isFuture ? '' : 'Volatility Index',
          subcategory: '',
          timeZoneId: d.timeZoneId,
          tradingHours: d.tradingHours,
          liquidHours: d.liquidHours,
          aggGroup: isFuture ? 2 : 2147483647,
          underSymbol: isFuture ? c.symbol : '',
          underSecType: isFuture ? 'IND' : '',
          marketRuleIds: `${c.spec.marketRuleId}`,
          realExpirationDate: formatExpiry(c),
        }),
      );
    }
    session.send(contractDataEnd(req.reqId));
  }

  marketData(session: Session, req: Req<'mktData'>): void {
    const secType = req.contract.secType.trim().toUpperCase();
    if (secType === 'CONTFUT') {
      session.error(
        req.reqId,
        321,
        "Error validating request.-'bV' : cause - Continuous futures cannot be used with real time data",
      );
      return;
    }
    const result = this.resolve(req.contract, 'single', session);
    if (!result.ok) {
      session.error(req.reqId, result.code, result.message);
      return;
    }
    const contract = result.contracts[0];
    if (!contract) return;
    if (session.lines.has(req.reqId)) {
      session.error(req.reqId, 322, `Duplicate ticker id`);
      return;
    }
    if (req.snapshot && req.genericTicks.trim() !== '') {
      session.error(
        req.reqId,
        321,
        "Error validating request.-'bP' : cause - Snapshot market data subscription is not applicable to generic ticks",
      );
      return;
    }
    if (session.lines.size >= this.config.maxMarketDataLines) {
      session.error(req.reqId, 101, `Max number of tickers has been reached`);
      return;
    }
    const symbol = symbolOf(contract);
    const delayedOnly = session.faults.some(
      (f) => f.type === 'delayedOnly' && (!f.symbols || f.symbols.some((x) => x === symbol)),
    );
    const requested = session.marketDataType;
    const open = this.isOpenNow(contract, 0);
    let served: number;
    if (!delayedOnly) {
      served = requested === 2 || requested === 4 ? (open ? 1 : 2) : 1;
    } else if (requested === 1 || requested === 2) {
      session.error(
        req.reqId,
        354,
        'Requested market data is not subscribed. Check API status by selecting the Account menu then under Management choose Market Data Subscription Manager and/or availability of delayed data.',
      );
      return;
    } else {
      session.error(
        req.reqId,
        10167,
        'Requested market data is not subscribed. Displaying delayed market data.',
      );
      served = requested === 4 && !this.isOpenNow(contract, this.config.delayedMinutes) ? 4 : 3;
    }
    const neverEnd = session.faults.some(
      (f) => f.type === 'snapshotNeverEnds' && (!f.symbols || f.symbols.some((x) => x === symbol)),
    );
    const line: MarketLine = { reqId: req.reqId, contract, served, snapshot: req.snapshot, sent: new Map() };
    session.openLine(line, this.config.snapshotEndDelayMs, neverEnd);
  }

  private isOpenNow(contract: SimContract, delayMinutes: number): boolean {
    const ms = this.nowMs() - delayMinutes * MINUTE_MS;
    return this.market.quote(contract, ms).open;
  }

  /** Sends the line's ticks: everything on the first call, then only what changed. */
  sendTicks(session: Session, line: MarketLine, initial: boolean): void {
    const delayed = line.served === 3 || line.served === 4;
    const frozen = line.served === 2 || line.served === 4;
    const ms = this.nowMs() - (delayed ? this.config.delayedMinutes * MINUTE_MS : 0);
    const q = this.market.quote(line.contract, ms);
    const id = (t: number) => (delayed ? (DELAYED_TICK[t] ?? t) : t);
    const quoting = q.open || frozen;
    const price = (type: number, value: number | undefined, size = 0) => {
      if (value === undefined) return;
      const tt = id(type);
      if (!initial && line.sent.get(tt) === value && (size === 0 || line.sent.get(-tt - 1) === size)) return;
      line.sent.set(tt, value);
      if (size !== 0) line.sent.set(-tt - 1, size);
      session.send(tickPrice(line.reqId, tt, value, size, 0));
    };
    const size = (type: number, value: number | undefined) => {
      if (value === undefined) return;
      const tt = id(type);
      if (!initial && line.sent.get(tt) === value) return;
      line.sent.set(tt, value);
      session.send(tickSize(line.reqId, tt, value));
    };
    if (line.contract.secType === 'FUT') {
      price(TickType.BID, quoting ? q.bid : -1, quoting ? q.bidSize : 0);
      size(TickType.BID_SIZE, quoting ? q.bidSize : 0);
      price(TickType.ASK, quoting ? q.ask : -1, quoting ? q.askSize : 0);
      size(TickType.ASK_SIZE, quoting ? q.askSize : 0);
    }
    price(TickType.LAST, q.last, line.contract.secType === 'FUT' ? q.lastSize : 0);
    if (line.contract.secType === 'FUT') size(TickType.LAST_SIZE, q.lastSize);
    const stamp = String(Math.floor(q.lastTradeMs / 1000));
    const stampType = id(TickType.LAST_TIMESTAMP);
    if (initial || line.sent.get(stampType) !== stamp) {
      line.sent.set(stampType, stamp);
      session.send(tickString(line.reqId, stampType, stamp));
    }
    if (line.contract.secType === 'FUT') size(TickType.VOLUME, q.volume);
    price(TickType.HIGH, q.high);
    price(TickType.LOW, q.low);
    price(TickType.CLOSE, q.close);
    price(TickType.OPEN, q.sessionOpen);
    if (initial && q.open) session.send(tickGeneric(line.reqId, TickType.HALTED, 0));
  }

  /** Streaming lines: send what changed since the last update. */
  pump(session: Session): void {
    for (const line of session.lines.values()) if (!line.snapshot) this.sendTicks(session, line, false);
  }

  historicalData(session: Session, req: Req<'historicalData'>): void {
    const fail = (code: number, message: string) => session.error(req.reqId, code, message);
    const ordinal = this.config.nextHistoricalOrdinal();
    const pacingFault = session.faults.find(
      (f) =>
        f.type === 'pacingViolation' &&
        (ordinal === f.onHistoricalRequest ||
          (f.every !== undefined &&
            ordinal > f.onHistoricalRequest &&
            (ordinal - f.onHistoricalRequest) % f.every === 0)),
    );
    if (pacingFault) {
      this.config.log(`historical request #${ordinal}: injected pacing violation`);
      fail(162, `${HMDS}Historical data request pacing violation`);
      return;
    }
    const secType = req.contract.secType.trim().toUpperCase();
    const nowMs = this.nowMs();
    const end = parseEndDateTime(req.endDateTime, nowMs);
    if (secType === 'CONTFUT' && req.endDateTime.trim() !== '') {
      fail(10339, 'Setting end date/time for continuous future security type is not allowed.');
      return;
    }
    if (!end) {
      fail(10314, END_DATE_HELP);
      return;
    }
    if (!VALID_BAR_SIZES.has(req.barSize)) {
      fail(321, "Error validating request.-'bS' : cause - Historical data bar size setting is invalid.");
      return;
    }
    const duration = /^(\d+) ([SDWMY])$/.exec(req.duration.trim());
    if (!duration || Number(duration[1]) <= 0) {
      fail(321, `Error validating request.-'bS' : cause - Invalid duration format: ${req.duration}`);
      return;
    }
    const what = req.whatToShow.trim().toUpperCase();
    if (!VALID_WHAT.has(what)) {
      fail(321, `Error validating request.-'bS' : cause - Invalid what to show: ${req.whatToShow}`);
      return;
    }
    if (req.keepUpToDate && req.endDateTime.trim() !== '') {
      fail(321, "Error validating request.-'bS' : cause - End date not supported with live updates");
      return;
    }
    const result = this.resolve(req.contract, 'single', session);
    if (!result.ok) {
      fail(result.code, result.message);
      return;
    }
    const contract = result.contracts[0];
    if (!contract) return;
    const barMinutes = barMinutesOf(req.barSize);
    const label = `${contract.symbol}/${result.secType}@${contract.exchange}`;
    if (barMinutes === undefined) {
      fail(
        162,
        `${HMDS}No historical market data for ${label} ${what} ${req.barSize} (the simulator serves minute, hour and daily bars)`,
      );
      return;
    }
    const isIndex = contract.secType === 'IND';
    if (!['TRADES', 'MIDPOINT', 'BID', 'ASK'].includes(what) || (isIndex && what !== 'TRADES')) {
      fail(162, `${HMDS}No historical market data for ${label} ${what} ${req.barSize}`);
      return;
    }
    const unit = duration[2] ?? 'D';
    const count = Number(duration[1]);
    if (count * (UNIT_SECONDS[unit] ?? 86_400) > maxDurationSeconds(barMinutes)) {
      fail(162, `${HMDS}Time length exceed max.`);
      return;
    }
    if (this.config.enforcePacing && barMinutes <= 1) {
      const violation = this.checkPacing(req, contract);
      if (violation) {
        fail(162, `${HMDS}Historical data request pacing violation`);
        return;
      }
    }
    if (end.warnNoZone) {
      session.error(
        req.reqId,
        2174,
        'Warning: You submitted request with date-time attributes without explicit time zone. Please switch to use yyyymmdd-hh:mm:ss in UTC or use instrument time zone, like US/Eastern. Implied time zone functionality will be removed in the next API release',
      );
    }
    const endMs = Math.min(end.ms, nowMs);
    const startMs = this.windowStart(endMs, unit, count, isIndex);
    const bars = this.buildBars(
      contract,
      result.secType,
      startMs,
      endMs,
      barMinutes,
      what as WhatToShow,
      req.useRth,
    );
    if (bars.length === 0) {
      fail(162, `${HMDS}HMDS query returned no data: ${contract.localSymbol}@${contract.exchange} ${what}`);
      return;
    }
    const daily = barMinutes >= 1440;
    const rows: HistoricalBarFields[] = bars.map((b) => ({
      date:
        daily && b.tradeDate
          ? formatYmd(b.tradeDate)
          : req.formatDate === 2
            ? String(Math.floor(b.startMs / 1000))
            : formatEt(b.startMs),
      open: b.open,
      high: b.high,
      low: b.low,
      close: b.close,
      volume: b.volume,
      wap: b.wap,
      count: b.count,
    }));
    session.send(historicalData(req.reqId, formatEt(startMs), formatEt(endMs), rows));
  }

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

  /** Start of a request window: D counts trade dates (like IB), other units are calendar time. */
  private windowStart(endMs: number, unit: string, count: number, isIndex: boolean): number {
    if (unit !== 'D') return endMs - count * (UNIT_SECONDS[unit] ?? 86_400) * 1000;
    let td = tradeDateOf(endMs - 1);
    if (!isTradeDate(td)) td = previousTradeDate(td);
    for (let i = 1; i < count; i++) td = previousTradeDate(td);
    return isIndex ? etToUtc(td.year, td.month, td.day) : sessionStartMs(td);
  }

  private buildBars(
    contract: SimContract,
    secType: 'FUT' | 'IND' | 'CONTFUT',
    startMs: number,
    endMs: number,
    barMinutes: number,
    what: WhatToShow,
    useRth: boolean,
  ): Bar[] {
    const from = Math.max(
      startMs,
      MODEL_START_MS,
      contract.listed && secType === 'FUT' ? sessionStartMs(contract.listed) : 0,
    );
    const to =
      secType === 'FUT' && contract.expiryMs !== undefined ? Math.min(endMs, contract.expiryMs) : endMs;
    if (from >= to) return [];
    const pick = (ms: number): SimContract =>
      secType === 'CONTFUT' && isFutureSymbol(contract.symbol)
        ? activeContract(contract.symbol, ms)
        : contract;
    if (barMinutes >= 1440) {
      const bars: Bar[] = [];
      let td = tradeDateOf(from);
      const last = tradeDateOf(to - 1);
      for (let guard = 0; guard < 20_000 && formatYmd(td) <= formatYmd(last); guard++, td = addDays(td, 1)) {
        if (!isTradeDate(td)) continue;
        const sessionStart =
          contract.secType === 'IND' ? etToUtc(td.year, td.month, td.day) : sessionStartMs(td);
        const c = pick(sessionStart);
        const bar = this.partialDaily(c, td, what, useRth, to);
        if (bar) bars.push(bar);
      }
      return bars;
    }
    const minutes = this.market.openMinutes(contract, from, to, useRth);
    const bars: Bar[] = [];
    let bucket: Bar[] = [];
    let bucketKey: number | undefined;
    const bucketOf = (minute: number): number => {
      if (barMinutes === 1) return minute;
      // Bars align to the ET clock (e.g. 5-minute bars start at :00, :05 ...).
      const offset = simEtParts(minute * MINUTE_MS).minuteOfDay;
      return minute - (offset % barMinutes);
    };
    for (const m of minutes) {
      const key = bucketOf(m);
      if (bucketKey !== undefined && key !== bucketKey) {
        const agg = MarketModel.aggregate(bucket);
        if (agg) bars.push({ ...agg, startMs: bucketKey * MINUTE_MS });
        bucket = [];
      }
      bucketKey = key;
      bucket.push(this.market.minuteBar(pick(m * MINUTE_MS), m, what));
    }
    const agg = MarketModel.aggregate(bucket);
    if (agg && bucketKey !== undefined) bars.push({ ...agg, startMs: bucketKey * MINUTE_MS });
    return bars;
  }

  /** A daily bar, cut at `to` when the trade date is still in progress. */
  private partialDaily(
    contract: SimContract,
    td: Ymd,
    what: WhatToShow,
    useRth: boolean,
    to: number,
  ): Bar | undefined {
    const endOfDay =
      contract.secType === 'IND' ? etToUtc(td.year, td.month, td.day, 24 * 60) : sessionEndMs(td);
    if (endOfDay <= to) return this.market.dailyBar(contract, td, what, useRth);
    const from = contract.secType === 'IND' ? etToUtc(td.year, td.month, td.day) : sessionStartMs(td);
    const minutes = this.market.openMinutes(contract, from, to, useRth);
    const bar = MarketModel.aggregate(minutes.map((m) => this.market.minuteBar(contract, m, what)));
    if (bar) bar.tradeDate = td;
    return bar;
  }

  headTimestamp(session: Session, req: Req<'headTimestamp'>): void {
    const result = this.resolve(req.contract, 'single', session);
    if (!result.ok) {
      session.error(req.reqId, result.code, result.message);
      return;
    }
    const contract = result.contracts[0];
    if (!contract) return;
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
      result.secType === 'FUT' && contract.listed
        ? Math.max(sessionStartMs(contract.listed), MODEL_START_MS)
        : MODEL_START_MS;
    session.send(
      headTimestamp(req.reqId, req.formatDate === 2 ? String(Math.floor(ms / 1000)) : formatUtcDash(ms)),
    );
  }
}
