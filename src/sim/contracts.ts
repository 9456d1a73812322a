import {
  addDays,
  etToUtc,
  formatYmd,
  quarterlyExpiry,
  sessionStrings,
  tradeDateOf,
  type Ymd,
  ymdKey,
} from './calendar.js';
import { hash32 } from './random.js';

export type FutureSymbol = 'ES' | 'NQ' | 'RTY';
export type SimSymbol = FutureSymbol | 'VIX';

export function isFutureSymbol(symbol: string): symbol is FutureSymbol {
  return symbol === 'ES' || symbol === 'NQ' || symbol === 'RTY';
}

export function isSimSymbol(symbol: string): symbol is SimSymbol {
  return isFutureSymbol(symbol) || symbol === 'VIX';
}

export interface InstrumentSpec {
  symbol: SimSymbol;
  secType: 'FUT' | 'IND';
  exchange: 'CME' | 'CBOE';
  multiplier: number;
  tick: number;
  longName: string;
  /** Annualised carry (rate minus dividend yield) for futures fair value. */
  carry: number;
  /** Price level of the underlying index at the model anchor (2026-09-01). */
  anchorLevel: number;
  underConId: number;
  marketRuleId: number;
}

export const INSTRUMENTS: Readonly<Record<SimSymbol, InstrumentSpec>> = {
  ES: {
    symbol: 'ES',
    secType: 'FUT',
    exchange: 'CME',
    multiplier: 50,
    tick: 0.25,
    longName: 'E-mini S&P 500',
    carry: 0.027,
    anchorLevel: 6800,
    underConId: 11004968,
    marketRuleId: 67,
  },
  NQ: {
    symbol: 'NQ',
    secType: 'FUT',
    exchange: 'CME',
    multiplier: 20,
    tick: 0.25,
    longName: 'E-mini Nasdaq-100',
    carry: 0.034,
    anchorLevel: 25000,
    underConId: 11004958,
    marketRuleId: 67,
  },
  RTY: {
    symbol: 'RTY',
    secType: 'FUT',
    exchange: 'CME',
    multiplier: 50,
    tick: 0.1,
    longName: 'E-mini Russell 2000 Index',
    carry: 0.03,
    anchorLevel: 2500,
    underConId: 416843,
    marketRuleId: 1087,
  },
  VIX: {
    symbol: 'VIX',
    secType: 'IND',
    exchange: 'CBOE',
    multiplier: 1,
    tick: 0.01,
    longName: 'CBOE Volatility Index',
    carry: 0,
    anchorLevel: 16,
    underConId: 0,
    marketRuleId: 2,
  },
};

export const FUTURE_SYMBOLS: readonly FutureSymbol[] = ['ES', 'NQ', 'RTY'];
export const VIX_CON_ID = 13455763;
const MONTH_CODES: Readonly<Record<number, string>> = { 3: 'H', 6: 'M', 9: 'U', 12: 'Z' };
/** Quarterly contracts listed at any time. */
export const LISTED_QUARTERS = 5;
/** With includeExpired, contracts that expired within this many quarters are returned too. */
export const EXPIRED_QUARTERS = 8;

export interface SimContract {
  symbol: SimSymbol;
  secType: 'FUT' | 'IND';
  conId: number;
  localSymbol: string;
  exchange: string;
  currency: 'USD';
  multiplier: number;
  tick: number;
  /** YYYYMM for futures, '' for the index. */
  contractMonth: string;
  /** Last trade date for futures (undefined for the index). */
  expiry: Ymd | undefined;
  /** UTC instant trading stops: 09:30 ET on the last trade date (the special opening quotation). */
  expiryMs: number | undefined;
  /** First day the contract is listed (used for head timestamps). */
  listed: Ymd | undefined;
  spec: InstrumentSpec;
}

function quarterAfter(year: number, month: number, steps: number): { year: number; month: number } {
  const index = year * 4 + (month / 3 - 1) + steps;
  return { year: Math.floor(index / 4), month: ((index % 4) + 1) * 3 };
}

const contractCache = new Map<string, SimContract>();
const activeCache = new Map<string, Map<number, SimContract>>();

export function futureContract(symbol: FutureSymbol, year: number, month: number): SimContract {
  const key = `${symbol}${year}${month}`;
  let contract = contractCache.get(key);
  if (!contract) {
    contract = buildFutureContract(symbol, year, month);
    contractCache.set(key, contract);
  }
  return contract;
}

function buildFutureContract(symbol: FutureSymbol, year: number, month: number): SimContract {
  const spec = INSTRUMENTS[symbol];
  const expiry = quarterlyExpiry(year, month);
  const code = MONTH_CODES[month] ?? '?';
  const localSymbol = `${symbol}${code}${year % 10}`;
  const listedQuarter = quarterAfter(year, month, -LISTED_QUARTERS);
  const listedExpiry = quarterlyExpiry(listedQuarter.year, listedQuarter.month);
  return {
    symbol,
    secType: 'FUT',
    conId:
      500_000_000 +
      (hash32(0x636f6e, symbol.charCodeAt(0) * 131 + symbol.length, year * 100 + month) % 200_000_000),
    localSymbol,
    exchange: 'CME',
    currency: 'USD',
    multiplier: spec.multiplier,
    tick: spec.tick,
    contractMonth: `${year}${String(month).padStart(2, '0')}`,
    expiry,
    expiryMs: etToUtc(expiry.year, expiry.month, expiry.day, 9 * 60 + 30),
    listed: addDays(listedExpiry, 1),
    spec,
  };
}

export const VIX_INDEX: SimContract = {
  symbol: 'VIX',
  secType: 'IND',
  conId: VIX_CON_ID,
  localSymbol: 'VIX',
  exchange: 'CBOE',
  currency: 'USD',
  multiplier: 1,
  tick: 0.01,
  contractMonth: '',
  expiry: undefined,
  expiryMs: undefined,
  listed: undefined,
  spec: INSTRUMENTS.VIX,
};

/** The quarterly contract whose expiry is the first at or after the given instant. */
function firstQuarterNotExpired(symbol: FutureSymbol, ms: number): { year: number; month: number } {
  const td = tradeDateOf(ms);
  let q = { year: td.year, month: Math.ceil(td.month / 3) * 3 };
  for (let i = 0; i < 3; i++) {
    const c = futureContract(symbol, q.year, q.month);
    if (c.expiryMs !== undefined && c.expiryMs > ms) return q;
    q = quarterAfter(q.year, q.month, 1);
  }
  return q;
}

/** Contracts listed at `ms` (front first), optionally with recently expired ones (oldest first). */
export function listedContracts(symbol: FutureSymbol, ms: number, includeExpired = false): SimContract[] {
  const first = firstQuarterNotExpired(symbol, ms);
  const out: SimContract[] = [];
  const from = includeExpired ? -EXPIRED_QUARTERS : 0;
  for (let i = from; i < LISTED_QUARTERS; i++) {
    const q = quarterAfter(first.year, first.month, i);
    out.push(futureContract(symbol, q.year, q.month));
  }
  return out;
}

/** The contract a continuous series (and volume) follows: roll `rollDays` calendar days before expiry. */
export function activeContract(symbol: FutureSymbol, ms: number, rollDays = 8): SimContract {
  // Rolls happen on trade-date boundaries (18:00 ET), which are whole hours.
  const cacheKey = `${symbol}:${rollDays}`;
  let byHour = activeCache.get(cacheKey);
  if (!byHour) {
    byHour = new Map();
    activeCache.set(cacheKey, byHour);
  }
  const hour = Math.floor(ms / 3_600_000);
  let contract = byHour.get(hour);
  if (!contract) {
    contract = computeActiveContract(symbol, ms, rollDays);
    if (byHour.size > 200_000) byHour.clear();
    byHour.set(hour, contract);
  }
  return contract;
}

function computeActiveContract(symbol: FutureSymbol, ms: number, rollDays: number): SimContract {
  const first = firstQuarterNotExpired(symbol, ms);
  const front = futureContract(symbol, first.year, first.month);
  const td = tradeDateOf(ms);
  const rollDate = front.expiry ? addDays(front.expiry, -rollDays) : undefined;
  if (rollDate && ymdKey(td) >= ymdKey(rollDate)) {
    const next = quarterAfter(first.year, first.month, 1);
    return futureContract(symbol, next.year, next.month);
  }
  return front;
}

export function contractByConId(conId: number, ms: number): SimContract | undefined {
  if (conId === VIX_CON_ID) return VIX_INDEX;
  for (const symbol of FUTURE_SYMBOLS) {
    for (const c of listedContracts(symbol, ms, true)) if (c.conId === conId) return c;
  }
  return undefined;
}

export interface ContractDetailsFields {
  contract: SimContract;
  secType: 'FUT' | 'IND' | 'CONTFUT';
  timeZoneId: string;
  tradingHours: string;
  liquidHours: string;
}

export function contractDetails(
  contract: SimContract,
  secType: 'FUT' | 'IND' | 'CONTFUT',
  ms: number,
  timeZoneId: 'US/Eastern' | 'US/Central',
): ContractDetailsFields {
  const today = tradeDateOf(ms);
  const from = today;
  const { tradingHours, liquidHours } = sessionStrings(
    from,
    8,
    contract.secType === 'IND' ? 'vix' : 'future',
    timeZoneId,
  );
  return { contract, secType, timeZoneId, tradingHours, liquidHours };
}

export function formatExpiry(contract: SimContract): string {
  return contract.expiry ? formatYmd(contract.expiry) : '';
}
