import { MINUTE_MS } from '../calendar.js';
import type { SimContract } from '../contracts.js';
import {
  attrMaskFor,
  marketDataType,
  TickAttr,
  tickGeneric,
  tickPrice,
  tickReqParams,
  tickSize,
  tickSnapshotEnd,
  tickString,
} from '../messages.js';
import { DELAYED_TICK, MinVer, TickType } from '../protocol.js';
import type { Fault } from '../scenario.js';
import type { HandlerConfig, MarketLine, Req, SessionPort } from '../types.js';
import type { ContractRequests } from './contracts.js';

/** reqMktData: snapshots and streaming lines, live, frozen or delayed; the ticks of each line. */

const DISPLAYING_DELAYED = 'Requested market data is not subscribed. Displaying delayed market data.';
const NOT_SUBSCRIBED =
  'Requested market data is not subscribed. Check API status by selecting the Account menu then under Management choose Market Data Subscription Manager and/or availability of delayed data.';

/** A fault of this type that names the symbol (or names no symbols). */
function faultFor(
  faults: readonly Fault[],
  type: 'delayedOnly' | 'snapshotNeverEnds',
  symbol: string,
): boolean {
  return faults.some(
    (f) =>
      (f.type === 'delayedOnly' || f.type === 'snapshotNeverEnds') &&
      f.type === type &&
      (!f.symbols || f.symbols.some((x) => x === symbol)),
  );
}

interface Notice {
  code: number;
  text: string;
}

/** Texts as quoted in peers' logs and the IBKR message-code table (10089/10090/10091 end with the contract). */
const MARKET_DATA_ERROR_TEXT: Readonly<Record<number, string>> = {
  10089:
    "Requested market data requires additional subscription for API. See link in 'Market Data Connections' dialog for more details.Delayed market data is available.",
  10090:
    'Part of requested market data is not subscribed. Subscription-independent ticks are still active.Delayed market data is available.',
  10091:
    "Part of requested market data requires additional subscription for API. See link in 'Market Data Connections' dialog for more details.Delayed market data is available.",
  10168: 'Requested market data is not subscribed. Delayed market data is not enabled.',
  10186: 'Requested market data is not subscribed. Delayed market data is not enabled.',
  10197: 'No market data during competing live session',
};
/** Codes after which the line gets nothing more (no ticks, no tickSnapshotEnd). */
const REFUSING = new Set([10089, 10168, 10186, 10197]);

function marketDataFault(session: SessionPort, symbol: string): Notice | undefined {
  for (const f of session.faults) {
    if (f.type !== 'marketDataError') continue;
    if (f.symbols && !f.symbols.some((s) => s === symbol)) continue;
    if (f.marketDataTypes && !f.marketDataTypes.includes(session.marketDataType)) continue;
    return { code: f.code, text: MARKET_DATA_ERROR_TEXT[f.code] ?? `Market data error ${f.code}` };
  }
  return undefined;
}

export class MarketDataRequests {
  constructor(
    private readonly config: HandlerConfig,
    private readonly contracts: ContractRequests,
  ) {}

  marketData(session: SessionPort, req: Req<'mktData'>): void {
    const secType = req.contract.secType.trim().toUpperCase();
    if (secType === 'CONTFUT') {
      session.error(
        req.reqId,
        321,
        "Error validating request.-'bV' : cause - Continuous futures cannot be used with real time data",
      );
      return;
    }
    const contract = this.contracts.resolveOne(session, req.reqId, req.contract)?.contract;
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
    const injected = marketDataFault(session, contract.symbol);
    if (injected && REFUSING.has(injected.code)) {
      session.faultFired(`marketDataError ${injected.code} reqId ${req.reqId}`);
      session.error(req.reqId, injected.code, injected.text);
      return;
    }
    const served = this.servedType(session, req.reqId, contract);
    if (served === undefined) return;
    if (injected) {
      session.faultFired(`marketDataError ${injected.code} reqId ${req.reqId}`);
      served.notice = injected;
    }
    const lagMs = session.quoteLagMs(contract.symbol);
    const line: MarketLine = {
      reqId: req.reqId,
      contract,
      served: served.type,
      snapshot: req.snapshot,
      frozenAt: lagMs > 0 ? this.config.now().getTime() - lagMs : null,
      sent: new Map(),
    };
    this.openLine(
      session,
      line,
      served.notice,
      faultFor(session.faults, 'snapshotNeverEnds', contract.symbol),
    );
  }

  /**
   * The market data type served for the one asked (1–4) and the notice that follows its MARKET_DATA_TYPE
   * (10167 comes after the 58, as gateways send it); undefined after refusing with 354.
   */
  private servedType(
    session: SessionPort,
    reqId: number,
    contract: SimContract,
  ): { type: number; notice?: Notice } | undefined {
    const requested = session.marketDataType;
    const noLive =
      faultFor(session.faults, 'delayedOnly', contract.symbol) ||
      session.faults.some(
        (f) =>
          f.type === 'marketDataError' &&
          REFUSING.has(f.code) &&
          (!f.symbols || f.symbols.some((s) => s === contract.symbol)),
      );
    if (!noLive) {
      return { type: requested === 2 || requested === 4 ? (this.isOpenNow(contract, 0) ? 1 : 2) : 1 };
    }
    if (requested === 1 || requested === 2) {
      session.error(reqId, 354, NOT_SUBSCRIBED);
      return undefined;
    }
    const type = requested === 4 && !this.isOpenNow(contract, this.config.delayedMinutes) ? 4 : 3;
    return { type, notice: { code: 10167, text: DISPLAYING_DELAYED } };
  }

  /**
   * Starts a market-data line: MARKET_DATA_TYPE, TICK_REQ_PARAMS, the notice (10167), then the first ticks;
   * a snapshot ends after snapshotEndDelayMs.
   */
  private openLine(
    session: SessionPort,
    line: MarketLine,
    notice: Notice | undefined,
    neverEnd: boolean,
  ): void {
    session.send(marketDataType(line.reqId, line.served));
    if (session.serverVersion >= MinVer.TICK_REQ_PARAMS) {
      // bboExchange and snapshotPermissions as a real snapshot log shows them (rust-ibapi #236); for futures unverified.
      session.send(tickReqParams(line.reqId, line.contract.tick, '', 3));
    }
    if (notice) session.error(line.reqId, notice.code, notice.text);
    this.sendTicks(session, line, true);
    if (line.snapshot) {
      if (neverEnd) {
        session.faultFired(`snapshotNeverEnds reqId ${line.reqId}`);
        return;
      }
      session.lines.set(line.reqId, line);
      session.setTimer(this.config.snapshotEndDelayMs, () => {
        if (session.lines.get(line.reqId) === line) session.lines.delete(line.reqId);
        session.send(tickSnapshotEnd(line.reqId));
      });
      return;
    }
    session.lines.set(line.reqId, line);
  }

  private isOpenNow(contract: SimContract, delayMinutes: number): boolean {
    const ms = this.config.now().getTime() - delayMinutes * MINUTE_MS;
    return this.config.market.quote(contract, ms).open;
  }

  /** Streaming lines: send what changed since the last update. */
  pump(session: SessionPort): void {
    for (const line of session.lines.values()) if (!line.snapshot) this.sendTicks(session, line, false);
  }

  /** Sends the line's ticks: everything on the first call, then only what changed. */
  private sendTicks(session: SessionPort, line: MarketLine, initial: boolean): void {
    const delayed = line.served === 3 || line.served === 4;
    const frozen = line.served === 2 || line.served === 4;
    const ms =
      (line.frozenAt ?? this.config.now().getTime()) - (delayed ? this.config.delayedMinutes * MINUTE_MS : 0);
    const q = this.config.market.quote(line.contract, ms);
    const id = (t: number) => (delayed ? (DELAYED_TICK[t] ?? t) : t);
    const quoting = q.open || frozen;
    const price = (type: number, value: number | undefined, size = 0) => {
      if (value === undefined) return;
      const tt = id(type);
      if (!initial && line.sent.get(tt) === value && (size === 0 || line.sent.get(-tt - 1) === size)) return;
      line.sent.set(tt, value);
      if (size !== 0) line.sent.set(-tt - 1, size);
      // Simulator policy: a live, open bid/ask can auto-execute; pastLimit and preOpen are not modelled.
      const auto = (type === TickType.BID || type === TickType.ASK) && q.open && !delayed && !frozen;
      const mask = attrMaskFor(session.serverVersion, auto ? TickAttr.CAN_AUTO_EXECUTE : 0);
      session.send(tickPrice(line.reqId, tt, value, size, mask));
    };
    const size = (type: number, value: number | undefined) => {
      if (value === undefined) return;
      const tt = id(type);
      if (!initial && line.sent.get(tt) === value) return;
      line.sent.set(tt, value);
      session.send(tickSize(line.reqId, tt, value));
    };
    const future = line.contract.secType === 'FUT';
    if (future) {
      price(TickType.BID, quoting ? q.bid : -1, quoting ? q.bidSize : 0);
      size(TickType.BID_SIZE, quoting ? q.bidSize : 0);
      price(TickType.ASK, quoting ? q.ask : -1, quoting ? q.askSize : 0);
      size(TickType.ASK_SIZE, quoting ? q.askSize : 0);
    }
    price(TickType.LAST, q.last, future ? q.lastSize : 0);
    if (future) size(TickType.LAST_SIZE, q.lastSize);
    const stamp = String(Math.floor(q.lastTradeMs / 1000));
    const stampType = id(TickType.LAST_TIMESTAMP);
    if (initial || line.sent.get(stampType) !== stamp) {
      line.sent.set(stampType, stamp);
      session.send(tickString(line.reqId, stampType, stamp));
    }
    if (future) size(TickType.VOLUME, q.volume);
    price(TickType.HIGH, q.high);
    price(TickType.LOW, q.low);
    price(TickType.CLOSE, q.close);
    price(TickType.OPEN, q.sessionOpen);
    if (initial && q.open) session.send(tickGeneric(line.reqId, TickType.HALTED, 0));
  }
}
