import {
  BarSizeSetting,
  type Contract,
  type ContractDetails,
  EventName,
  IBApi,
  MarketDataType,
  SecType,
} from '@stoqey/ib';
import type { BarSize, IbContractDetails, IbContractSpec, IbSecType, IbWire, IbWireOptions } from './wire.js';

/**
 * The only file that touches @stoqey/ib at run time. We use the event-level `IBApi`, not `IBApiNext`:
 * IBApiNext hides what the collector needs — errors with id −1 (326, 1100, 2103…) never reach its
 * error stream, it drops the socket by itself on 1100/2110, it does not expose the market data type
 * actually delivered per request, it cannot cancel a historical request, and it re-sends pending
 * requests with the same reqId after a reconnect (322). Readiness is the same: nextValidId.
 */

const SEC_TYPES: Record<IbSecType, SecType> = {
  FUT: SecType.FUT,
  IND: SecType.IND,
  CONTFUT: SecType.CONTFUT,
};

const BAR_SIZES: Record<BarSize, BarSizeSetting> = {
  '1 min': BarSizeSetting.MINUTES_ONE,
  '1 day': BarSizeSetting.DAYS_ONE,
};

const MARKET_DATA_TYPES = {
  1: MarketDataType.REALTIME,
  2: MarketDataType.FROZEN,
  3: MarketDataType.DELAYED,
  4: MarketDataType.DELAYED_FROZEN,
} as const;

function toContract(spec: IbContractSpec): Contract {
  const contract: Contract = {
    secType: SEC_TYPES[spec.secType],
    exchange: spec.exchange,
    currency: spec.currency,
  };
  if (spec.conId !== undefined) contract.conId = spec.conId;
  if (spec.symbol !== undefined) contract.symbol = spec.symbol;
  if (spec.lastTradeDateOrContractMonth !== undefined) {
    contract.lastTradeDateOrContractMonth = spec.lastTradeDateOrContractMonth;
  }
  if (spec.localSymbol !== undefined) contract.localSymbol = spec.localSymbol;
  if (spec.tradingClass !== undefined) contract.tradingClass = spec.tradingClass;
  if (spec.multiplier !== undefined) contract.multiplier = spec.multiplier;
  // Sent raw: undefined would become an empty field, which a strict gateway may reject.
  contract.includeExpired = spec.includeExpired ?? false;
  return contract;
}

function fromDetails(details: ContractDetails): IbContractDetails {
  const c = details.contract;
  const multiplier = typeof c.multiplier === 'number' && c.multiplier > 0 ? c.multiplier : null;
  const minTick = typeof details.minTick === 'number' && details.minTick > 0 ? details.minTick : null;
  return {
    conId: c.conId ?? 0,
    symbol: c.symbol ?? '',
    secType: String(c.secType ?? ''),
    localSymbol: c.localSymbol ?? '',
    tradingClass: c.tradingClass ?? '',
    exchange: c.exchange ?? '',
    currency: c.currency ?? '',
    multiplier,
    lastTradeDateOrContractMonth: c.lastTradeDateOrContractMonth ?? '',
    lastTradeDate: c.lastTradeDate ?? '',
    contractMonth: details.contractMonth ?? '',
    realExpirationDate: details.realExpirationDate ?? '',
    timeZoneId: details.timeZoneId ?? '',
    tradingHours: details.tradingHours ?? '',
    liquidHours: details.liquidHours ?? '',
    minTick,
    longName: details.longName ?? '',
  };
}

/** IB sends −1 (or nothing) for fields a bar type does not have, e.g. volume of MIDPOINT bars. */
const present = (value: number | undefined): number | null =>
  value === undefined || !Number.isFinite(value) || value < 0 ? null : value;

export function createStoqeyWire(options: IbWireOptions): IbWire {
  const api = new IBApi({
    host: options.host,
    port: options.port,
    maxReqPerSec: options.maxMessagesPerSecond,
  });
  const emit = options.onEvent;

  api.on(EventName.server, (serverVersion: number) => emit({ type: 'connected', serverVersion }));
  api.on(EventName.disconnected, () => emit({ type: 'disconnected' }));
  api.on(EventName.nextValidId, (orderId: number) => emit({ type: 'nextValidId', orderId }));
  api.on(EventName.managedAccounts, (accounts: string) => emit({ type: 'managedAccounts', accounts }));
  api.on(EventName.info, (message: string, code: number) => emit({ type: 'info', code, message }));
  api.on(EventName.error, (error: Error, code: number, reqId: number) =>
    emit({ type: 'error', code, reqId: reqId ?? -1, message: error?.message ?? String(error) }),
  );
  api.on(EventName.currentTime, (epochSeconds: number) => emit({ type: 'currentTime', epochSeconds }));
  api.on(EventName.contractDetails, (reqId: number, details: ContractDetails) =>
    emit({ type: 'contractDetails', reqId, details: fromDetails(details) }),
  );
  api.on(EventName.contractDetailsEnd, (reqId: number) => emit({ type: 'contractDetailsEnd', reqId }));
  api.on(EventName.tickPrice, (reqId: number, field: number, value: number) =>
    emit({ type: 'tickPrice', reqId, field, value }),
  );
  api.on(EventName.tickSize, (reqId: number, field?: number, value?: number) => {
    if (field !== undefined) emit({ type: 'tickSize', reqId, field, value });
  });
  api.on(EventName.tickString, (reqId: number, field: number, value: string) =>
    emit({ type: 'tickString', reqId, field, value }),
  );
  api.on(EventName.tickGeneric, (reqId: number, field: number, value: number) =>
    emit({ type: 'tickGeneric', reqId, field, value }),
  );
  api.on(EventName.tickSnapshotEnd, (reqId: number) => emit({ type: 'tickSnapshotEnd', reqId }));
  api.on(EventName.marketDataType, (reqId: number, marketDataType: number) =>
    emit({ type: 'marketDataType', reqId, marketDataType }),
  );
  api.on(
    EventName.historicalData,
    (
      reqId: number,
      time: string,
      open: number,
      high: number,
      low: number,
      close: number,
      volume: number,
      count: number | undefined,
      wap: number,
    ) => {
      // The decoder ends every HISTORICAL_DATA message with a sentinel bar "finished-<start>-<end>".
      if (time.startsWith('finished')) {
        emit({ type: 'historicalEnd', reqId });
        return;
      }
      emit({
        type: 'historicalBar',
        reqId,
        bar: {
          time,
          open,
          high,
          low,
          close,
          volume: present(volume),
          wap: present(wap),
          count: present(count),
        },
      });
    },
  );

  return {
    connect: (clientId) => void api.connect(clientId),
    disconnect: () => {
      api.disconnect();
      api.removeAllListeners();
    },
    reqCurrentTime: () => void api.reqCurrentTime(),
    reqMarketDataType: (type) => void api.reqMarketDataType(MARKET_DATA_TYPES[type]),
    reqContractDetails: (reqId, contract) => void api.reqContractDetails(reqId, toContract(contract)),
    reqMktData: (reqId, contract, snapshot) =>
      void api.reqMktData(reqId, toContract(contract), '', snapshot, false),
    cancelMktData: (reqId) => void api.cancelMktData(reqId),
    reqHistoricalData: (reqId, contract, q) =>
      void api.reqHistoricalData(
        reqId,
        toContract(contract),
        q.endDateTime,
        q.durationStr,
        BAR_SIZES[q.barSize],
        q.whatToShow,
        q.useRTH,
        q.formatDate,
        false,
      ),
    cancelHistoricalData: (reqId) => void api.cancelHistoricalData(reqId),
  };
}
