/**
 * An independent decoder of the server → client messages the simulator sends, written from the official
 * TWS API decoder's field order (EDecoder.java 10.32, its `m_serverVersion` / message-version branches), not
 * from @stoqey/ib and not from src/sim. It reads every field a real client at `serverVersion` would read and
 * throws on an underrun or on fields left over, so a layout that does not match the version fails loudly.
 */

export class WireUnderrun extends Error {}

class Reader {
  private i = 0;
  constructor(private readonly fields: readonly string[]) {}
  str(): string {
    if (this.i >= this.fields.length)
      throw new WireUnderrun(`underrun at field ${this.i} of ${this.fields.join('|')}`);
    return this.fields[this.i++] ?? '';
  }
  int(): number {
    const s = this.str();
    if (s === '') return 0;
    if (!/^-?\d+$/.test(s)) throw new Error(`field ${this.i - 1} is not an int: ${JSON.stringify(s)}`);
    return Number(s);
  }
  dbl(): number {
    const s = this.str();
    if (s === '') return 0;
    const n = Number(s);
    if (!Number.isFinite(n)) throw new Error(`field ${this.i - 1} is not a double: ${JSON.stringify(s)}`);
    return n;
  }
  end(): void {
    if (this.i !== this.fields.length) {
      throw new Error(`${this.fields.length - this.i} field(s) left over in ${this.fields.join('|')}`);
    }
  }
}

// MIN_SERVER_VER_* of the official client.
const PAST_LIMIT = 109;
const MD_SIZE_MULTIPLIER = 110;
const AGG_GROUP = 121;
const UNDERLYING_INFO = 122;
const SYNT_REALTIME_BARS = 124;
const MARKET_RULES = 126;
const PRE_OPEN_BID_ASK = 132;
const REAL_EXPIRATION_DATE = 134;
const STOCK_TYPE = 152;
const FRACTIONAL_SIZE_SUPPORT = 163;
const SIZE_RULES = 164;
const ADVANCED_ORDER_REJECT = 166;
const LAST_TRADE_DATE = 182;
const INELIGIBILITY_REASONS = 186;

export type Decoded = { msg: string } & Record<string, unknown>;

function contractData(v: number, r: Reader): Decoded {
  const version = v < SIZE_RULES ? r.int() : 8;
  const reqId = version >= 3 ? r.int() : -1;
  const d: Decoded = { msg: 'contractData', reqId };
  d.symbol = r.str();
  d.secType = r.str();
  d.lastTradeDateOrContractMonth = r.str();
  if (v >= LAST_TRADE_DATE) d.lastTradeDate = r.str();
  d.strike = r.dbl();
  d.right = r.str();
  d.exchange = r.str();
  d.currency = r.str();
  d.localSymbol = r.str();
  d.marketName = r.str();
  d.tradingClass = r.str();
  d.conId = r.int();
  d.minTick = r.dbl();
  if (v >= MD_SIZE_MULTIPLIER && v < SIZE_RULES) r.int();
  d.multiplier = r.str();
  d.orderTypes = r.str();
  d.validExchanges = r.str();
  if (version >= 2) d.priceMagnifier = r.int();
  if (version >= 4) d.underConId = r.int();
  if (version >= 5) {
    d.longName = r.str();
    d.primaryExch = r.str();
  }
  if (version >= 6) {
    d.contractMonth = r.str();
    d.industry = r.str();
    d.category = r.str();
    d.subcategory = r.str();
    d.timeZoneId = r.str();
    d.tradingHours = r.str();
    d.liquidHours = r.str();
  }
  if (version >= 8) {
    d.evRule = r.str();
    d.evMultiplier = r.dbl();
  }
  if (version >= 7) {
    const n = r.int();
    for (let i = 0; i < n; i++) {
      r.str();
      r.str();
    }
  }
  if (v >= AGG_GROUP) d.aggGroup = r.int();
  if (v >= UNDERLYING_INFO) {
    d.underSymbol = r.str();
    d.underSecType = r.str();
  }
  if (v >= MARKET_RULES) d.marketRuleIds = r.str();
  if (v >= REAL_EXPIRATION_DATE) d.realExpirationDate = r.str();
  if (v >= STOCK_TYPE) d.stockType = r.str();
  if (v >= FRACTIONAL_SIZE_SUPPORT && v < SIZE_RULES) r.dbl();
  if (v >= SIZE_RULES) {
    d.minSize = r.dbl();
    d.sizeIncrement = r.dbl();
    d.suggestedSizeIncrement = r.dbl();
  }
  if (v >= INELIGIBILITY_REASONS) {
    const n = r.int();
    for (let i = 0; i < n; i++) {
      r.str();
      r.str();
    }
  }
  return d;
}

function historicalData(v: number, r: Reader): Decoded {
  const version = v < SYNT_REALTIME_BARS ? r.int() : Number.MAX_SAFE_INTEGER;
  const reqId = r.int();
  const d: Decoded = { msg: 'historicalData', reqId, start: '', end: '' };
  if (version >= 2) {
    d.start = r.str();
    d.end = r.str();
  }
  const n = r.int();
  const bars: Record<string, unknown>[] = [];
  for (let i = 0; i < n; i++) {
    const bar: Record<string, unknown> = { date: r.str(), open: r.dbl(), high: r.dbl(), low: r.dbl() };
    bar.close = r.dbl();
    bar.volume = r.dbl();
    bar.wap = r.dbl();
    if (v < SYNT_REALTIME_BARS) r.str();
    bar.count = version >= 3 ? r.int() : -1;
    bars.push(bar);
  }
  d.bars = bars;
  return d;
}

function tickPrice(v: number, r: Reader): Decoded {
  const version = r.int();
  const d: Decoded = { msg: 'tickPrice', reqId: r.int(), tickType: r.int(), price: r.dbl() };
  if (version >= 2) d.size = r.dbl();
  if (version >= 3) {
    const mask = r.int();
    d.canAutoExecute = v >= PAST_LIMIT ? (mask & 1) !== 0 : mask === 1;
    if (v >= PAST_LIMIT) d.pastLimit = (mask & 2) !== 0;
    if (v >= PRE_OPEN_BID_ASK) d.preOpen = (mask & 4) !== 0;
  }
  return d;
}

/** Decodes one frame (message id first) as a client at `serverVersion` reads it. */
export function decodeFrame(serverVersion: number, fields: readonly string[]): Decoded {
  const r = new Reader(fields);
  const id = r.int();
  const v = serverVersion;
  let d: Decoded;
  switch (id) {
    case 1:
      d = tickPrice(v, r);
      break;
    case 2:
      r.int();
      d = { msg: 'tickSize', reqId: r.int(), tickType: r.int(), size: r.dbl() };
      break;
    case 4: {
      const version = r.int();
      if (version < 2) d = { msg: 'error', text: r.str() };
      else {
        d = { msg: 'error', id: r.int(), code: r.int(), text: r.str() };
        if (v >= ADVANCED_ORDER_REJECT) d.advancedOrderRejectJson = r.str();
      }
      break;
    }
    case 9:
      r.int();
      d = { msg: 'nextValidId', orderId: r.int() };
      break;
    case 10:
      d = contractData(v, r);
      break;
    case 15:
      r.int();
      d = { msg: 'managedAccounts', accounts: r.str() };
      break;
    case 17:
      d = historicalData(v, r);
      break;
    case 45:
      r.int();
      d = { msg: 'tickGeneric', reqId: r.int(), tickType: r.int(), value: r.dbl() };
      break;
    case 46:
      r.int();
      d = { msg: 'tickString', reqId: r.int(), tickType: r.int(), value: r.str() };
      break;
    case 49:
      r.int();
      d = { msg: 'currentTime', time: r.int() };
      break;
    case 52:
      r.int();
      d = { msg: 'contractDataEnd', reqId: r.int() };
      break;
    case 57:
      r.int();
      d = { msg: 'tickSnapshotEnd', reqId: r.int() };
      break;
    case 58:
      r.int();
      d = { msg: 'marketDataType', reqId: r.int(), type: r.int() };
      break;
    case 81:
      d = { msg: 'tickReqParams', reqId: r.int(), minTick: r.dbl(), bbo: r.str(), permissions: r.int() };
      break;
    case 88:
      d = { msg: 'headTimestamp', reqId: r.int(), value: r.str() };
      break;
    case 90: {
      const reqId = r.int();
      const count = r.int();
      const date = r.str();
      const [open, close, high, low, wap, volume] = [r.dbl(), r.dbl(), r.dbl(), r.dbl(), r.dbl(), r.dbl()];
      d = { msg: 'historicalDataUpdate', reqId, bar: { count, date, open, close, high, low, wap, volume } };
      break;
    }
    default:
      throw new Error(`no decoder for message id ${id}`);
  }
  r.end();
  return d;
}
