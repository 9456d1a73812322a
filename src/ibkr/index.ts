/**
 * src/ibkr: the only place that talks to Interactive Brokers (and the only importer of @stoqey/ib).
 * Typical use:
 *
 *   await withIb(config.ib, async (ib) => {
 *     const es = await ib.resolveFrontMonth('ES');
 *     const [outcome] = await ib.takeSnapshots([es]);
 *   }, { factory: ctx.ib, now: () => ctx.clock.now(), log: ctx.log });
 */

export { IbConnection } from './connection/connection.js';
export type {
  ConnectionState,
  ConnectivityListener,
  IbConnectionOptions,
  IbConnectivityEvent,
  IbFarm,
} from './connection/types.js';
export {
  continuousContract,
  type EtfProxy,
  type FrontMonthChoice,
  type FutureSymbol,
  IB_SYMBOLS,
  type IbSymbol,
  INSTRUMENTS,
  type InstrumentSpec,
  isFutureSymbol,
  isIbSymbol,
  type ResolvedContract,
  selectFrontMonth,
} from './contracts.js';
export { cmeTradeDate, formatIbUtc, parseIbBarTime } from './dates.js';
export {
  classifyIbError,
  IB_ERROR_TABLE,
  IbClientIdInUseError,
  IbConnectionLostError,
  type IbErrorAction,
  type IbErrorClass,
  type IbErrorKind,
  IbPacingError,
  IbRequestError,
  IbTimeoutError,
  IbTransientRequestError,
  IbUnavailableError,
  isTransientIbError,
} from './errors.js';
export type { IbFactory } from './factory.js';
export { type BarChunk, type BarsRequest, type IbBar, MAX_CHUNK_MS, planBarRequests } from './history.js';
export {
  failureCodeOf,
  inIbResetWindow,
  OUTAGE_CAUSES,
  type OutageCause,
  outageCauseOf,
} from './outage.js';
export {
  type HistoricalPacingRules,
  IB_HISTORICAL_RULES,
  Pacer,
  type PacerStats,
} from './pacing.js';
export {
  IbSession,
  type IbSessionOptions,
  type TakeSnapshotOptions,
  type WithIbOptions,
  withIb,
} from './session.js';
export type { IbSnapshot, IbSnapshotField, SnapshotFlag, SnapshotOutcome } from './snapshot.js';
export type {
  BarSize,
  CreateIbWire,
  IbContractDetails,
  IbContractSpec,
  IbWire,
  IbWireEvent,
  IbWireOptions,
  MarketDataTypeCode,
  WhatToShow,
} from './wire.js';
