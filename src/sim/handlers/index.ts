import type { HandlerConfig } from '../types.js';
import { ContractRequests } from './contracts.js';
import { HistoricalRequests } from './historical.js';
import { MarketDataRequests } from './market-data.js';

/** The request handlers, one object per request family; sessions dispatch to them (field orders in protocol.ts). */
export interface SimHandlers {
  readonly contracts: ContractRequests;
  readonly marketData: MarketDataRequests;
  readonly historical: HistoricalRequests;
}

export function createHandlers(config: HandlerConfig): SimHandlers {
  const contracts = new ContractRequests(config);
  return {
    contracts,
    marketData: new MarketDataRequests(config, contracts),
    historical: new HistoricalRequests(config, contracts),
  };
}
