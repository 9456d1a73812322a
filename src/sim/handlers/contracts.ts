import {
  activeContract,
  contractByConId,
  contractDetails,
  type FutureSymbol,
  formatExpiry,
  isSimSymbol,
  listedContracts,
  type SimContract,
  VIX_INDEX,
} from '../contracts.js';
import { type ContractDataFields, contractData, contractDataEnd } from '../messages.js';
import type { RequestContract } from '../protocol.js';
import type { HandlerConfig, Req, SessionPort } from '../types.js';

/** reqContractDetails, and the contract resolution every other request starts with. */

export type SecType = 'FUT' | 'IND' | 'CONTFUT';

export type ResolveResult =
  | { ok: true; contracts: SimContract[]; secType: SecType }
  | { ok: false; code: number; message: string };

const NO_SECURITY = 'No security definition has been found for the request';
const notFound: ResolveResult = { ok: false, code: 200, message: NO_SECURITY };
const FUTURE_ORDER_TYPES =
  'ACTIVETIM,AD,ADJUST,ALERT,ALLOC,AVGCOST,BASKET,GAT,GTC,GTD,LIT,LMT,MIT,MKT,STP,STPLMT,TRAIL';

export class ContractRequests {
  constructor(private readonly config: HandlerConfig) {}

  /** The contracts a request names: all matches ('details') or exactly one ('single', else ambiguous). */
  resolve(req: RequestContract, mode: 'details' | 'single', session: SessionPort): ResolveResult {
    const ms = this.config.now().getTime();
    const secType = req.secType.trim().toUpperCase();
    const blocked = (s: string) =>
      session.faults.some((f) => f.type === 'noSecurityDefinition' && f.symbols.some((x) => x === s));
    if (req.conId > 0) {
      const found = contractByConId(req.conId, ms);
      if (!found || blocked(found.symbol)) return notFound;
      if (secType === 'CONTFUT' && found.secType === 'FUT')
        return { ok: true, contracts: [found], secType: 'CONTFUT' };
      if (secType !== '' && secType !== found.secType) return notFound;
      return { ok: true, contracts: [found], secType: found.secType };
    }
    const symbol = req.symbol.trim().toUpperCase();
    if (symbol === '' && req.localSymbol === '') {
      return {
        ok: false,
        code: 321,
        message: "Error validating request.-'bc' : cause - Missing or invalid symbol",
      };
    }
    const effectiveSymbol =
      symbol || (/^(ES|NQ|RTY)[HMUZ]\d$/.exec(req.localSymbol.toUpperCase())?.[1] ?? '');
    if (!isSimSymbol(effectiveSymbol) || blocked(effectiveSymbol)) return notFound;
    const currency = req.currency.trim().toUpperCase();
    if (currency !== '' && currency !== 'USD') return notFound;
    if (effectiveSymbol === 'VIX') return resolveVix(req, secType);
    return resolveFuture(req, effectiveSymbol, secType, mode, ms);
  }

  /** The one contract a request names, or undefined after sending IB's error for it. */
  resolveOne(
    session: SessionPort,
    reqId: number,
    req: RequestContract,
  ): { contract: SimContract; secType: SecType } | undefined {
    const result = this.resolve(req, 'single', session);
    if (!result.ok) {
      session.error(reqId, result.code, result.message);
      return undefined;
    }
    const contract = result.contracts[0];
    return contract ? { contract, secType: result.secType } : undefined;
  }

  contractDetails(session: SessionPort, req: Req<'contractDetails'>): void {
    const secType = req.contract.secType.trim().toUpperCase();
    const result = this.resolve(req.contract, 'details', session);
    if (!result.ok) {
      session.error(req.reqId, result.code, result.message);
      return;
    }
    const ms = this.config.now().getTime();
    const withCont =
      secType === 'FUT+CONTFUT' && result.contracts[0]
        ? [{ c: activeContract(result.contracts[0].symbol as FutureSymbol, ms, 0), t: 'CONTFUT' as const }]
        : [];
    const rows = [...result.contracts.map((c) => ({ c, t: result.secType })), ...withCont];
    for (const { c, t } of rows) {
      session.send(contractData(session.serverVersion, this.detailsFields(req.reqId, c, t, ms)));
    }
    session.send(contractDataEnd(req.reqId));
  }

  private detailsFields(reqId: number, c: SimContract, secType: SecType, ms: number): ContractDataFields {
    const d = contractDetails(c, secType, ms, this.config.contractTimeZone);
    const isFuture = c.secType === 'FUT';
    return {
      reqId,
      symbol: c.symbol,
      secType,
      lastTradeDateOrContractMonth: formatExpiry(c),
      lastTradeDate: formatExpiry(c),
      exchange: c.exchange,
      currency: 'USD',
      localSymbol: c.localSymbol,
      marketName: c.symbol,
      tradingClass: c.symbol,
      conId: c.conId,
      minTick: c.tick,
      multiplier: isFuture ? String(c.multiplier) : '',
      orderTypes: isFuture ? FUTURE_ORDER_TYPES : '',
      validExchanges: c.exchange,
      underConId: c.spec.underConId,
      longName: c.spec.longName,
      contractMonth: c.contractMonth,
      industry: isFuture ? '' : 'Indices',
      category: isFuture ? '' : 'Volatility Index',
      subcategory: '',
      timeZoneId: d.timeZoneId,
      tradingHours: d.tradingHours,
      liquidHours: d.liquidHours,
      aggGroup: isFuture ? 2 : 2147483647,
      underSymbol: isFuture ? c.symbol : '',
      underSecType: isFuture ? 'IND' : '',
      marketRuleIds: `${c.spec.marketRuleId}`,
      realExpirationDate: formatExpiry(c),
    };
  }
}

function resolveVix(req: RequestContract, secType: string): ResolveResult {
  if (secType !== '' && secType !== 'IND') return notFound;
  const exchange = req.exchange.trim().toUpperCase();
  if (exchange !== '' && exchange !== 'CBOE' && exchange !== 'SMART') return notFound;
  return { ok: true, contracts: [VIX_INDEX], secType: 'IND' };
}

function resolveFuture(
  req: RequestContract,
  future: FutureSymbol,
  secType: string,
  mode: 'details' | 'single',
  ms: number,
): ResolveResult {
  const exchange = req.exchange.trim().toUpperCase();
  if (exchange !== '' && exchange !== 'CME') return notFound;
  if (secType === 'IND') return notFound;
  if (secType === 'CONTFUT')
    return { ok: true, contracts: [activeContract(future, ms, 0)], secType: 'CONTFUT' };
  if (secType !== '' && secType !== 'FUT' && secType !== 'FUT+CONTFUT') return notFound;
  const month = req.lastTradeDateOrContractMonth.trim().split(/\s+/)[0] ?? '';
  const candidates = listedContracts(future, ms, req.includeExpired).filter((c) => {
    if (month.length === 6 && c.contractMonth !== month) return false;
    if (month.length === 8 && formatExpiry(c) !== month) return false;
    if (month !== '' && month.length !== 6 && month.length !== 8) return false;
    if (req.localSymbol !== '' && c.localSymbol !== req.localSymbol.toUpperCase()) return false;
    if (req.tradingClass !== '' && req.tradingClass.toUpperCase() !== c.symbol) return false;
    if (req.multiplier !== '' && Number(req.multiplier) !== c.multiplier) return false;
    return true;
  });
  if (candidates.length === 0) return notFound;
  if (mode === 'single' && candidates.length > 1) {
    return {
      ok: false,
      code: 200,
      message: `The contract description specified for ${future} is ambiguous.`,
    };
  }
  return { ok: true, contracts: candidates, secType: 'FUT' };
}
