import { daysBetween, leadingDigits } from './dates.js';
import type { IbContractDetails, IbContractSpec } from './wire.js';

/**
 * Instruments and front-month selection. The front month is chosen from what IB reports
 * (reqContractDetails): quarterly contracts sorted by IB's last trade date, rolled a number of
 * calendar days before it. The expiry is never recomputed, so a holiday-shifted expiry is right.
 */

export const IB_SYMBOLS = ['ES', 'NQ', 'RTY', 'VIX'] as const;
export type IbSymbol = (typeof IB_SYMBOLS)[number];
export type FutureSymbol = Exclude<IbSymbol, 'VIX'>;
export type EtfProxy = 'SPY' | 'QQQ' | 'IWM';

export interface InstrumentSpec {
  symbol: IbSymbol;
  secType: 'FUT' | 'IND';
  exchange: string;
  currency: 'USD';
  /** The ETF the decision engine uses as a proxy. */
  etf: EtfProxy | null;
}

export const INSTRUMENTS: Readonly<Record<IbSymbol, InstrumentSpec>> = {
  ES: { symbol: 'ES', secType: 'FUT', exchange: 'CME', currency: 'USD', etf: 'SPY' },
  NQ: { symbol: 'NQ', secType: 'FUT', exchange: 'CME', currency: 'USD', etf: 'QQQ' },
  RTY: { symbol: 'RTY', secType: 'FUT', exchange: 'CME', currency: 'USD', etf: 'IWM' },
  VIX: { symbol: 'VIX', secType: 'IND', exchange: 'CBOE', currency: 'USD', etf: null },
};

export function isIbSymbol(value: unknown): value is IbSymbol {
  return typeof value === 'string' && (IB_SYMBOLS as readonly string[]).includes(value);
}

export function isFutureSymbol(value: unknown): value is FutureSymbol {
  return isIbSymbol(value) && INSTRUMENTS[value].secType === 'FUT';
}

/** A contract as the collector stores it (futures_snapshots / futures_bars columns). */
export interface ResolvedContract {
  symbol: IbSymbol;
  secType: 'FUT' | 'IND';
  conId: number;
  /** ESZ6; for VIX the index symbol. */
  localSymbol: string;
  /** YYYYMM; null for the index. */
  contractMonth: string | null;
  /** YYYYMMDD as IB reports it; null for the index. */
  lastTradeDate: string | null;
  exchange: string;
  currency: string;
  tradingClass: string;
  multiplier: number | null;
  etf: EtfProxy | null;
}

/** The reqContractDetails query: all listed months of a future, or the index. */
export function contractQuery(symbol: IbSymbol): IbContractSpec {
  const spec = INSTRUMENTS[symbol];
  return { symbol, secType: spec.secType, exchange: spec.exchange, currency: spec.currency };
}

/** IB's continuous future: for historical requests only (IB serves no market data for it). */
export function continuousContract(symbol: FutureSymbol): IbContractSpec {
  const spec = INSTRUMENTS[symbol];
  return { symbol, secType: 'CONTFUT', exchange: spec.exchange, currency: spec.currency };
}

/** The spec to send for market data or bars of a resolved contract. */
export function contractSpec(contract: ResolvedContract): IbContractSpec {
  const spec: IbContractSpec = {
    conId: contract.conId,
    symbol: contract.symbol,
    secType: contract.secType,
    exchange: contract.exchange,
    currency: contract.currency,
  };
  if (contract.secType === 'FUT') {
    spec.localSymbol = contract.localSymbol;
    if (contract.lastTradeDate) spec.lastTradeDateOrContractMonth = contract.lastTradeDate;
  }
  return spec;
}

/** The last trade date IB reports (YYYYMMDD): lastTradeDate, else the date part of lastTradeDateOrContractMonth. */
export function reportedLastTradeDate(details: IbContractDetails): string | null {
  return (
    leadingDigits(details.lastTradeDate, 8) ??
    leadingDigits(details.lastTradeDateOrContractMonth, 8) ??
    leadingDigits(details.realExpirationDate, 8)
  );
}

export function reportedContractMonth(details: IbContractDetails): string | null {
  return leadingDigits(details.contractMonth, 6) ?? leadingDigits(details.lastTradeDateOrContractMonth, 6);
}

const QUARTERLY = new Set(['03', '06', '09', '12']);

export interface FrontMonthChoice {
  chosen: ResolvedContract;
  /** The quarterly candidates considered, nearest first. */
  candidates: ResolvedContract[];
  /** The first date (YYYYMMDD) on which this choice rolls to the next contract. */
  rollDate: string;
}

/**
 * Picks the front quarterly contract for a trade date: the nearest one whose last trade date is more
 * than `rollDaysBeforeExpiry` calendar days away (so with 8 days, ES Sep 2025 expiring 20250919 is
 * front through 20250910 and Dec from 20250911). Returns null when no candidate qualifies.
 */
export function selectFrontMonth(
  symbol: FutureSymbol,
  details: readonly IbContractDetails[],
  tradeDate: string,
  rollDaysBeforeExpiry: number,
): FrontMonthChoice | null {
  const candidates = details
    .filter((d) => d.secType === 'FUT' && (d.symbol === symbol || d.tradingClass === symbol))
    .filter((d) => d.tradingClass === '' || d.tradingClass === symbol)
    .map((d) => toResolved(symbol, d))
    .filter((c): c is ResolvedContract & { lastTradeDate: string; contractMonth: string } =>
      Boolean(c.lastTradeDate && c.contractMonth && QUARTERLY.has(c.contractMonth.slice(4, 6))),
    )
    .sort((a, b) => a.lastTradeDate.localeCompare(b.lastTradeDate) || a.conId - b.conId);
  const chosen = candidates.find((c) => daysBetween(tradeDate, c.lastTradeDate) > rollDaysBeforeExpiry);
  if (!chosen) return null;
  const roll = new Date(
    Date.UTC(
      Number(chosen.lastTradeDate.slice(0, 4)),
      Number(chosen.lastTradeDate.slice(4, 6)) - 1,
      Number(chosen.lastTradeDate.slice(6, 8)) - rollDaysBeforeExpiry,
    ),
  );
  const rollDate = roll.toISOString().slice(0, 10).replaceAll('-', '');
  return { chosen, candidates, rollDate };
}

export function toResolved(symbol: IbSymbol, details: IbContractDetails): ResolvedContract {
  const spec = INSTRUMENTS[symbol];
  const isFuture = spec.secType === 'FUT';
  return {
    symbol,
    secType: spec.secType,
    conId: details.conId,
    localSymbol: details.localSymbol || symbol,
    contractMonth: isFuture ? reportedContractMonth(details) : null,
    lastTradeDate: isFuture ? reportedLastTradeDate(details) : null,
    exchange: details.exchange || spec.exchange,
    currency: details.currency || spec.currency,
    tradingClass: details.tradingClass || symbol,
    multiplier: details.multiplier,
    etf: spec.etf,
  };
}
