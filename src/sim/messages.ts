import type { Field } from './codec.js';
import { InMsg, MinVer } from './protocol.js';

/**
 * What the simulator sends, laid out for the server version negotiated with the client. Every branch
 * follows the official decoder (EDecoder.java 10.32, `m_serverVersion` checks) so a client at any version
 * in 100..193 reads exactly the fields it expects: ERR_MSG gains the advanced-reject JSON at 166;
 * CONTRACT_DATA drops its version field and the old size fields at 164 and gains lastTradeDate at 182 and
 * the ineligibility reasons at 186; HISTORICAL_DATA carries a version and per-bar hasGaps below 124.
 * Builders return field arrays; the codec frames them.
 */

export function errorMessage(v: number, id: number, code: number, message: string): Field[] {
  const fields: Field[] = [InMsg.ERR_MSG, 2, id, code, message];
  if (v >= MinVer.ADVANCED_ORDER_REJECT) fields.push('');
  return fields;
}

export function nextValidId(orderId: number): Field[] {
  return [InMsg.NEXT_VALID_ID, 1, orderId];
}

export function managedAccounts(accounts: readonly string[]): Field[] {
  return [InMsg.MANAGED_ACCTS, 1, accounts.join(',')];
}

export function currentTime(epochSeconds: number): Field[] {
  return [InMsg.CURRENT_TIME, 1, epochSeconds];
}

export function marketDataType(reqId: number, type: number): Field[] {
  return [InMsg.MARKET_DATA_TYPE, 1, reqId, type];
}

/** TICK_REQ_PARAMS (no version field): `reqId, minTick, bboExchange, snapshotPermissions`. */
export function tickReqParams(
  reqId: number,
  minTick: number,
  bboExchange: string,
  snapshotPermissions: number,
): Field[] {
  return [InMsg.TICK_REQ_PARAMS, reqId, minTick, bboExchange, snapshotPermissions];
}

/** Attribute mask bits of TICK_PRICE (bit 1 from 109, bit 2 from 132; below 109 only 1 = canAutoExecute). */
export const TickAttr = { CAN_AUTO_EXECUTE: 1, PAST_LIMIT: 2, PRE_OPEN: 4 } as const;

/** The mask a client at `v` can read: bits it does not know are dropped. */
export function attrMaskFor(v: number, mask: number): number {
  if (v < MinVer.PAST_LIMIT) return mask & TickAttr.CAN_AUTO_EXECUTE;
  if (v < MinVer.PRE_OPEN_BID_ASK) return mask & (TickAttr.CAN_AUTO_EXECUTE | TickAttr.PAST_LIMIT);
  return mask;
}

/** TICK_PRICE version 6: size and the attribute mask follow the price. */
export function tickPrice(
  reqId: number,
  tickType: number,
  price: number,
  size: number,
  attrMask = 0,
): Field[] {
  return [InMsg.TICK_PRICE, 6, reqId, tickType, price, size, attrMask];
}

export function tickSize(reqId: number, tickType: number, size: number): Field[] {
  return [InMsg.TICK_SIZE, 6, reqId, tickType, size];
}

export function tickString(reqId: number, tickType: number, value: string): Field[] {
  return [InMsg.TICK_STRING, 6, reqId, tickType, value];
}

/** TICK_GENERIC carries a double; real gateways write it with a decimal point (`0.0`). */
export function tickGeneric(reqId: number, tickType: number, value: number): Field[] {
  return [InMsg.TICK_GENERIC, 6, reqId, tickType, Number.isInteger(value) ? value.toFixed(1) : value];
}

export function tickSnapshotEnd(reqId: number): Field[] {
  return [InMsg.TICK_SNAPSHOT_END, 1, reqId];
}

export function contractDataEnd(reqId: number): Field[] {
  return [InMsg.CONTRACT_DATA_END, 1, reqId];
}

export function headTimestamp(reqId: number, value: string): Field[] {
  return [InMsg.HEAD_TIMESTAMP, reqId, value];
}

export interface ContractDataFields {
  reqId: number;
  symbol: string;
  secType: string;
  lastTradeDateOrContractMonth: string;
  lastTradeDate: string;
  exchange: string;
  currency: string;
  localSymbol: string;
  marketName: string;
  tradingClass: string;
  conId: number;
  minTick: number;
  multiplier: string;
  orderTypes: string;
  validExchanges: string;
  underConId: number;
  longName: string;
  contractMonth: string;
  industry: string;
  category: string;
  subcategory: string;
  timeZoneId: string;
  tradingHours: string;
  liquidHours: string;
  aggGroup: number;
  underSymbol: string;
  underSecType: string;
  marketRuleIds: string;
  realExpirationDate: string;
}

/** CONTRACT_DATA as EDecoder.processContractDataMsg reads it at server version `v` (41 fields after the id at 193). */
export function contractData(v: number, c: ContractDataFields): Field[] {
  const fields: Field[] = [InMsg.CONTRACT_DATA];
  // Below SIZE_RULES the message has its own version; 8 is the newest (evRule/evMultiplier, secIdList).
  if (v < MinVer.SIZE_RULES) fields.push(8);
  fields.push(c.reqId, c.symbol, c.secType, c.lastTradeDateOrContractMonth);
  if (v >= MinVer.LAST_TRADE_DATE) fields.push(c.lastTradeDate);
  fields.push(0, '', c.exchange, c.currency, c.localSymbol, c.marketName, c.tradingClass, c.conId, c.minTick);
  if (v >= MinVer.MD_SIZE_MULTIPLIER && v < MinVer.SIZE_RULES) fields.push(1); // mdSizeMultiplier
  fields.push(c.multiplier, c.orderTypes, c.validExchanges);
  fields.push(1, c.underConId, c.longName, ''); // priceMagnifier, underConId, longName, primaryExch
  fields.push(c.contractMonth, c.industry, c.category, c.subcategory, c.timeZoneId);
  fields.push(c.tradingHours, c.liquidHours, '', 0, 0); // evRule, evMultiplier, secIdListCount
  if (v >= MinVer.AGG_GROUP) fields.push(c.aggGroup);
  if (v >= MinVer.UNDERLYING_INFO) fields.push(c.underSymbol, c.underSecType);
  if (v >= MinVer.MARKET_RULES) fields.push(c.marketRuleIds);
  if (v >= MinVer.REAL_EXPIRATION_DATE) fields.push(c.realExpirationDate);
  if (v >= MinVer.STOCK_TYPE) fields.push(''); // stockType
  if (v >= MinVer.FRACTIONAL_SIZE_SUPPORT && v < MinVer.SIZE_RULES) fields.push(1); // sizeMinTick
  if (v >= MinVer.SIZE_RULES) fields.push(1, 1, 1); // minSize, sizeIncrement, suggestedSizeIncrement
  if (v >= MinVer.INELIGIBILITY_REASONS) fields.push(0); // ineligibilityReasonCount
  return fields;
}

export interface HistoricalBarFields {
  date: string;
  open: number;
  high: number;
  low: number;
  close: number;
  volume: number;
  wap: number;
  count: number;
}

/**
 * HISTORICAL_DATA: one message is the whole answer and its end marker at ≤193. From 124: no version and
 * no hasGaps; below: version 3 first and hasGaps ("false") after WAP.
 */
export function historicalData(
  v: number,
  reqId: number,
  start: string,
  end: string,
  bars: readonly HistoricalBarFields[],
): Field[] {
  const old = v < MinVer.SYNT_REALTIME_BARS;
  const fields: Field[] = old ? [InMsg.HISTORICAL_DATA, 3] : [InMsg.HISTORICAL_DATA];
  fields.push(reqId, start, end, bars.length);
  for (const b of bars) {
    fields.push(b.date, b.open, b.high, b.low, b.close, b.volume, b.wap);
    if (old) fields.push('false');
    fields.push(b.count);
  }
  return fields;
}

/** HISTORICAL_DATA_UPDATE (keepUpToDate, ≥124): `reqId, barCount, date, open, close, high, low, WAP, volume`. */
export function historicalDataUpdate(reqId: number, bar: HistoricalBarFields): Field[] {
  return [
    InMsg.HISTORICAL_DATA_UPDATE,
    reqId,
    bar.count,
    bar.date,
    bar.open,
    bar.close,
    bar.high,
    bar.low,
    bar.wap,
    bar.volume,
  ];
}
