/** The instruments we collect. VIX is the CBOE index (context for the signals), not a future. */

export type InstrumentSymbol = 'ES' | 'NQ' | 'RTY' | 'VIX';
/** Alias kept for the API sketch in the issue; prefer InstrumentSymbol (it does not shadow the global Symbol). */
export type Symbol = InstrumentSymbol;
export type FuturesSymbol = 'ES' | 'NQ' | 'RTY';
export type EtfProxy = 'SPY' | 'QQQ' | 'IWM';

export interface Instrument {
  symbol: InstrumentSymbol;
  secType: 'FUT' | 'IND';
  /** IB exchange code: 'CME' (not the retired 'GLOBEX'), 'CBOE' for the VIX index. */
  exchange: 'CME' | 'CBOE';
  currency: 'USD';
  /** The ETF the decision engine trades options on for this index. */
  etf: EtfProxy | null;
  tickSize: number;
  /** Dollars per index point. */
  multiplier: number;
  description: string;
}

export const INSTRUMENTS: Readonly<Record<InstrumentSymbol, Instrument>> = {
  ES: {
    symbol: 'ES',
    secType: 'FUT',
    exchange: 'CME',
    currency: 'USD',
    etf: 'SPY',
    tickSize: 0.25,
    multiplier: 50,
    description: 'E-mini S&P 500 futures',
  },
  NQ: {
    symbol: 'NQ',
    secType: 'FUT',
    exchange: 'CME',
    currency: 'USD',
    etf: 'QQQ',
    tickSize: 0.25,
    multiplier: 20,
    description: 'E-mini Nasdaq-100 futures',
  },
  RTY: {
    symbol: 'RTY',
    secType: 'FUT',
    exchange: 'CME',
    currency: 'USD',
    etf: 'IWM',
    tickSize: 0.1,
    multiplier: 50,
    description: 'E-mini Russell 2000 futures',
  },
  VIX: {
    symbol: 'VIX',
    secType: 'IND',
    exchange: 'CBOE',
    currency: 'USD',
    etf: null,
    tickSize: 0.01,
    multiplier: 1,
    description: 'CBOE Volatility Index (index, not a future)',
  },
};

export const SYMBOLS: readonly InstrumentSymbol[] = ['ES', 'NQ', 'RTY', 'VIX'];
export const FUTURES_SYMBOLS: readonly FuturesSymbol[] = ['ES', 'NQ', 'RTY'];

export function isSymbol(value: string): value is InstrumentSymbol {
  return (SYMBOLS as readonly string[]).includes(value);
}

export function isFuturesSymbol(value: string): value is FuturesSymbol {
  return (FUTURES_SYMBOLS as readonly string[]).includes(value);
}
