/**
 * TWS message ids and field orders at server version 193 (ibkr.md §1.6–1.8): parsers for the requests the
 * simulator serves and builders for what it sends. Builders return field arrays; the codec frames them.
 */

export const SERVER_VERSION = 193;
export const MIN_CLIENT_VERSION = 100;

export const OutMsg = {
  REQ_MKT_DATA: 1,
  CANCEL_MKT_DATA: 2,
  PLACE_ORDER: 3,
  CANCEL_ORDER: 4,
  REQ_IDS: 8,
  REQ_CONTRACT_DATA: 9,
  SET_SERVER_LOGLEVEL: 14,
  REQ_MANAGED_ACCTS: 17,
  REQ_HISTORICAL_DATA: 20,
  EXERCISE_OPTIONS: 21,
  CANCEL_HISTORICAL_DATA: 25,
  REQ_CURRENT_TIME: 49,
  REQ_GLOBAL_CANCEL: 58,
  REQ_MARKET_DATA_TYPE: 59,
  START_API: 71,
  REQ_HEAD_TIMESTAMP: 87,
  CANCEL_HEAD_TIMESTAMP: 90,
} as const;

/** Names of request ids we know but do not serve (for error texts). */
export const KNOWN_REQUESTS: Readonly<Record<number, string>> = {
  5: 'reqOpenOrders',
  6: 'reqAccountUpdates',
  7: 'reqExecutions',
  10: 'reqMktDepth',
  11: 'cancelMktDepth',
  12: 'reqNewsBulletins',
  13: 'cancelNewsBulletins',
  15: 'reqAutoOpenOrders',
  16: 'reqAllOpenOrders',
  18: 'requestFA',
  19: 'replaceFA',
  22: 'reqScannerSubscription',
  23: 'cancelScannerSubscription',
  24: 'reqScannerParameters',
  50: 'reqRealTimeBars',
  51: 'cancelRealTimeBars',
  52: 'reqFundamentalData',
  53: 'cancelFundamentalData',
  54: 'calculateImpliedVolatility',
  55: 'calculateOptionPrice',
  56: 'cancelCalculateImpliedVolatility',
  57: 'cancelCalculateOptionPrice',
  61: 'reqPositions',
  62: 'reqAccountSummary',
  63: 'cancelAccountSummary',
  64: 'cancelPositions',
  74: 'reqPositionsMulti',
  75: 'cancelPositionsMulti',
  76: 'reqAccountUpdatesMulti',
  77: 'cancelAccountUpdatesMulti',
  78: 'reqSecDefOptParams',
  79: 'reqSoftDollarTiers',
  80: 'reqFamilyCodes',
  81: 'reqMatchingSymbols',
  82: 'reqMktDepthExchanges',
  83: 'reqSmartComponents',
  84: 'reqNewsArticle',
  85: 'reqNewsProviders',
  86: 'reqHistoricalNews',
  88: 'reqHistogramData',
  89: 'cancelHistogramData',
  91: 'reqMarketRule',
  92: 'reqPnL',
  93: 'cancelPnL',
  94: 'reqPnLSingle',
  95: 'cancelPnLSingle',
  96: 'reqHistoricalTicks',
  97: 'reqTickByTickData',
  98: 'cancelTickByTickData',
  99: 'reqCompletedOrders',
  100: 'reqWshMetaData',
  101: 'cancelWshMetaData',
  102: 'reqWshEventData',
  103: 'cancelWshEventData',
  104: 'reqUserInfo',
};

/** Request ids whose second field is a request/ticker id (version first), for addressing errors. */
const ID_AFTER_VERSION = new Set([10, 11, 50, 51, 52, 53, 54, 55, 56, 57, 62, 63]);
/** Request ids whose first field is the request id (no version). */
const ID_FIRST = new Set([
  74, 75, 76, 77, 78, 81, 83, 84, 86, 88, 89, 92, 93, 94, 95, 96, 97, 98, 100, 101, 102, 103, 104,
]);

export const InMsg = {
  TICK_PRICE: 1,
  TICK_SIZE: 2,
  ERR_MSG: 4,
  NEXT_VALID_ID: 9,
  CONTRACT_DATA: 10,
  MANAGED_ACCTS: 15,
  HISTORICAL_DATA: 17,
  TICK_GENERIC: 45,
  TICK_STRING: 46,
  CURRENT_TIME: 49,
  CONTRACT_DATA_END: 52,
  TICK_SNAPSHOT_END: 57,
  MARKET_DATA_TYPE: 58,
  TICK_REQ_PARAMS: 81,
  HEAD_TIMESTAMP: 88,
  HISTORICAL_DATA_UPDATE: 90,
} as const;

export const TickType = {
  BID_SIZE: 0,
  BID: 1,
  ASK: 2,
  ASK_SIZE: 3,
  LAST: 4,
  LAST_SIZE: 5,
  HIGH: 6,
  LOW: 7,
  VOLUME: 8,
  CLOSE: 9,
  OPEN: 14,
  LAST_TIMESTAMP: 45,
  HALTED: 49,
  DELAYED_BID: 66,
  DELAYED_ASK: 67,
  DELAYED_LAST: 68,
  DELAYED_BID_SIZE: 69,
  DELAYED_ASK_SIZE: 70,
  DELAYED_LAST_SIZE: 71,
  DELAYED_HIGH: 72,
  DELAYED_LOW: 73,
  DELAYED_VOLUME: 74,
  DELAYED_CLOSE: 75,
  DELAYED_OPEN: 76,
  DELAYED_LAST_TIMESTAMP: 88,
} as const;

/** The delayed tick id for a live one (IB adds 66.. for delayed data). */
export const DELAYED_TICK: Readonly<Record<number, number>> = {
  [TickType.BID]: TickType.DELAYED_BID,
  [TickType.ASK]: TickType.DELAYED_ASK,
  [TickType.LAST]: TickType.DELAYED_LAST,
  [TickType.BID_SIZE]: TickType.DELAYED_BID_SIZE,
  [TickType.ASK_SIZE]: TickType.DELAYED_ASK_SIZE,
  [TickType.LAST_SIZE]: TickType.DELAYED_LAST_SIZE,
  [TickType.HIGH]: TickType.DELAYED_HIGH,
  [TickType.LOW]: TickType.DELAYED_LOW,
  [TickType.VOLUME]: TickType.DELAYED_VOLUME,
  [TickType.CLOSE]: TickType.DELAYED_CLOSE,
  [TickType.OPEN]: TickType.DELAYED_OPEN,
  [TickType.LAST_TIMESTAMP]: TickType.DELAYED_LAST_TIMESTAMP,
};

export class RequestParseError extends Error {
  override readonly name = 'RequestParseError';
}

/** Sequential reader over a request's fields; missing fields are an underrun. */
export class FieldReader {
  private index = 0;
  constructor(private readonly fields: readonly string[]) {}

  get remaining(): number {
    return this.fields.length - this.index;
  }

  str(): string {
    if (this.index >= this.fields.length) throw new RequestParseError(`underrun at field ${this.index}`);
    return this.fields[this.index++] ?? '';
  }

  /** Integer; an empty field is `fallback`. */
  int(fallback = 0): number {
    const text = this.str();
    if (text === '') return fallback;
    const value = Number(text);
    if (!Number.isFinite(value))
      throw new RequestParseError(`field ${this.index - 1} is not a number: ${text}`);
    return Math.trunc(value);
  }

  num(fallback = 0): number {
    const text = this.str();
    if (text === '') return fallback;
    const value = Number(text);
    if (!Number.isFinite(value))
      throw new RequestParseError(`field ${this.index - 1} is not a number: ${text}`);
    return value;
  }

  bool(): boolean {
    return this.int(0) !== 0;
  }
}

export interface RequestContract {
  conId: number;
  symbol: string;
  secType: string;
  lastTradeDateOrContractMonth: string;
  strike: number;
  right: string;
  multiplier: string;
  exchange: string;
  primaryExch: string;
  currency: string;
  localSymbol: string;
  tradingClass: string;
  includeExpired: boolean;
}

function readContract(r: FieldReader, withIncludeExpired: boolean): RequestContract {
  return {
    conId: r.int(0),
    symbol: r.str(),
    secType: r.str(),
    lastTradeDateOrContractMonth: r.str(),
    strike: r.num(0),
    right: r.str(),
    multiplier: r.str(),
    exchange: r.str(),
    primaryExch: r.str(),
    currency: r.str(),
    localSymbol: r.str(),
    tradingClass: r.str(),
    includeExpired: withIncludeExpired ? r.bool() : false,
  };
}

function skipComboLegs(r: FieldReader, secType: string, withExchange: boolean): void {
  if (secType !== 'BAG') return;
  const legs = r.int(0);
  for (let i = 0; i < legs; i++) {
    r.str();
    r.str();
    r.str();
    if (withExchange) r.str();
  }
}

export type SimRequest =
  | { kind: 'startApi'; clientId: number; capabilities: string }
  | { kind: 'currentTime' }
  | { kind: 'reqIds' }
  | { kind: 'managedAccounts' }
  | { kind: 'serverLogLevel'; level: number }
  | { kind: 'marketDataType'; type: number }
  | { kind: 'contractDetails'; reqId: number; contract: RequestContract }
  | {
      kind: 'mktData';
      reqId: number;
      contract: RequestContract;
      genericTicks: string;
      snapshot: boolean;
      regulatorySnapshot: boolean;
    }
  | { kind: 'cancelMktData'; reqId: number }
  | {
      kind: 'historicalData';
      reqId: number;
      contract: RequestContract;
      endDateTime: string;
      barSize: string;
      duration: string;
      useRth: boolean;
      whatToShow: string;
      formatDate: number;
      keepUpToDate: boolean;
    }
  | { kind: 'cancelHistoricalData'; reqId: number }
  | {
      kind: 'headTimestamp';
      reqId: number;
      contract: RequestContract;
      useRth: boolean;
      whatToShow: string;
      formatDate: number;
    }
  | { kind: 'cancelHeadTimestamp'; reqId: number }
  | { kind: 'order'; msgId: number; orderId: number }
  | { kind: 'unsupported'; msgId: number; name: string; reqId: number }
  | { kind: 'unknown'; msgId: number; raw: string };

/** Server versions where a request or reply layout changes (EClient/EDecoder MIN_SERVER_VER_*). */
export const MinVer = {
  PAST_LIMIT: 109,
  MD_SIZE_MULTIPLIER: 110,
  /** TICK_REQ_PARAMS (81) came with the 9.73 API; gated here (the exact first version is unverified). */
  TICK_REQ_PARAMS: 114,
  REQ_HEAD_TIMESTAMP: 118,
  AGG_GROUP: 121,
  UNDERLYING_INFO: 122,
  SYNT_REALTIME_BARS: 124,
  MARKET_RULES: 126,
  PRE_OPEN_BID_ASK: 132,
  REAL_EXPIRATION_DATE: 134,
  STOCK_TYPE: 152,
  FRACTIONAL_SIZE_SUPPORT: 163,
  SIZE_RULES: 164,
  ADVANCED_ORDER_REJECT: 166,
  LAST_TRADE_DATE: 182,
  INELIGIBILITY_REASONS: 186,
} as const;

/**
 * Parses one request frame as a client at `serverVersion` lays it out (only reqHistoricalData changes
 * within 100..193: a version field and no keepUpToDate below 124). Throws RequestParseError on underrun
 * or garbage numbers.
 */
export function parseRequest(fields: readonly string[], serverVersion = SERVER_VERSION): SimRequest {
  const r = new FieldReader(fields);
  const rawId = r.str();
  const msgId = Number(rawId);
  if (!/^\d+$/.test(rawId)) return { kind: 'unknown', msgId: Number.NaN, raw: rawId };
  switch (msgId) {
    case OutMsg.START_API: {
      r.int();
      const clientId = r.int();
      return { kind: 'startApi', clientId, capabilities: r.remaining > 0 ? r.str() : '' };
    }
    case OutMsg.REQ_CURRENT_TIME:
      return { kind: 'currentTime' };
    case OutMsg.REQ_IDS:
      return { kind: 'reqIds' };
    case OutMsg.REQ_MANAGED_ACCTS:
      return { kind: 'managedAccounts' };
    case OutMsg.SET_SERVER_LOGLEVEL:
      r.int();
      return { kind: 'serverLogLevel', level: r.int(0) };
    case OutMsg.REQ_MARKET_DATA_TYPE:
      r.int();
      return { kind: 'marketDataType', type: r.int(0) };
    case OutMsg.REQ_CONTRACT_DATA: {
      r.int();
      const reqId = r.int();
      const contract = readContract(r, true);
      return { kind: 'contractDetails', reqId, contract };
    }
    case OutMsg.REQ_MKT_DATA: {
      r.int();
      const reqId = r.int();
      const contract = readContract(r, false);
      skipComboLegs(r, contract.secType, true);
      if (r.bool()) {
        r.str();
        r.str();
        r.str();
      }
      const genericTicks = r.str();
      const snapshot = r.bool();
      const regulatorySnapshot = r.remaining > 0 ? r.bool() : false;
      return { kind: 'mktData', reqId, contract, genericTicks, snapshot, regulatorySnapshot };
    }
    case OutMsg.CANCEL_MKT_DATA:
      r.int();
      return { kind: 'cancelMktData', reqId: r.int() };
    case OutMsg.REQ_HISTORICAL_DATA: {
      if (serverVersion < MinVer.SYNT_REALTIME_BARS) r.int();
      const reqId = r.int();
      const contract = readContract(r, true);
      const endDateTime = r.str();
      const barSize = r.str();
      const duration = r.str();
      const useRth = r.bool();
      const whatToShow = r.str();
      const formatDate = r.int(1);
      skipComboLegs(r, contract.secType, false);
      const keepUpToDate = serverVersion >= MinVer.SYNT_REALTIME_BARS && r.remaining > 0 ? r.bool() : false;
      return {
        kind: 'historicalData',
        reqId,
        contract,
        endDateTime,
        barSize,
        duration,
        useRth,
        whatToShow,
        formatDate,
        keepUpToDate,
      };
    }
    case OutMsg.CANCEL_HISTORICAL_DATA:
      r.int();
      return { kind: 'cancelHistoricalData', reqId: r.int() };
    case OutMsg.REQ_HEAD_TIMESTAMP: {
      const reqId = r.int();
      const contract = readContract(r, true);
      const useRth = r.bool();
      const whatToShow = r.str();
      const formatDate = r.int(1);
      return { kind: 'headTimestamp', reqId, contract, useRth, whatToShow, formatDate };
    }
    case OutMsg.CANCEL_HEAD_TIMESTAMP:
      return { kind: 'cancelHeadTimestamp', reqId: r.int() };
    case OutMsg.PLACE_ORDER:
    case OutMsg.CANCEL_ORDER:
    case OutMsg.EXERCISE_OPTIONS: {
      if (msgId !== OutMsg.PLACE_ORDER) r.int();
      return { kind: 'order', msgId, orderId: r.remaining > 0 ? r.int(-1) : -1 };
    }
    case OutMsg.REQ_GLOBAL_CANCEL:
      return { kind: 'order', msgId, orderId: -1 };
    default: {
      const name = KNOWN_REQUESTS[msgId];
      if (!name) return { kind: 'unknown', msgId, raw: rawId };
      let reqId = -1;
      if (ID_AFTER_VERSION.has(msgId) && r.remaining >= 2) {
        r.str();
        reqId = r.int(-1);
      } else if (ID_FIRST.has(msgId) && r.remaining >= 1) {
        reqId = r.int(-1);
      }
      return { kind: 'unsupported', msgId, name, reqId };
    }
  }
}

/** The id of the request a parsed message refers to, for error addressing (−1 when none). */
export function requestIdOf(request: SimRequest): number {
  if ('reqId' in request) return request.reqId;
  if (request.kind === 'order') return request.orderId;
  return -1;
}
