/** The scorecard document from the graded calls, the replayed checks and the sessions' outcomes. */
import { type NyseSession, previousNyseClose } from '../../../market/index.js';
import type { PriceSlice } from '../../../market/price.js';
import { BANDS } from '../../../signals/decision.js';
import type { LoaderOptions } from '../../../signals/inputs/index.js';
import {
  type GradedCall,
  type GroupScore,
  regress,
  type SessionDrawdown,
  scoreByGroup,
  scoreCalls,
  scoreEarlyWarning,
} from '../../../signals/scorecard.js';
import type { DrawdownEvent, EvaluateDocument, GradedCallRecord } from '../../../signals/scorecard-schema.js';
import { type IndexSymbol, WARNING_LEVELS, type WarningLevel } from '../../../signals/types.js';
import type { CheckReplay } from './checks.js';
import { contractOf, drawdownOf, momentumPairOf } from './outcome.js';
import type { ScorecardRequest } from './types.js';

export const MOMENTUM_DEFINITION =
  'OLS of ln(P close / P 30 min before the close) on ln(P 10:00 ET / P prior 16:00 ET close), reference index, one contract per session (Gao, Han, Li & Zhou 2018)';

const LEVEL_RANK: Record<WarningLevel, number> = { normal: 0, watch: 1, warning: 2, critical: 3 };

interface ScoreInput {
  request: ScorecardRequest;
  reference: IndexSymbol;
  window: PriceSlice;
  sessions: readonly NyseSession[];
  replay: CheckReplay;
  calls: ReadonlyArray<{ record: GradedCallRecord; naiveMaxAdverse: number | null }>;
  options: LoaderOptions;
}

function premarketPart(input: ScoreInput): EvaluateDocument['premarket'] {
  const made = input.calls.filter((c) => c.record.skipped === null);
  const ours: GradedCall[] = made.map(({ record: r }) => ({
    group: { bias: r.bias ?? '', mode: r.mode ?? '', band: r.band ?? '' },
    direction: r.direction,
    openTo1000: r.openTo1000,
    openToClose: r.openToClose,
    maxAdverse: r.maxAdverse,
  }));
  const naive: GradedCall[] = made.map(({ record: r, naiveMaxAdverse }) => ({
    group: { band: r.band ?? '', rule: 'naive' },
    direction: r.naiveDirection,
    openTo1000: r.openTo1000,
    openToClose: r.openToClose,
    maxAdverse: naiveMaxAdverse,
  }));
  const byBand = BANDS.map((band) => ({
    band,
    ours: scoreCalls(
      { band },
      ours.filter((c) => c.group.band === band),
    ),
    naive: scoreCalls(
      { band, rule: 'naive' },
      naive.filter((c) => c.group.band === band),
    ),
  }));
  const top = [...byBand].reverse().find((b) => b.ours.graded > 0 || b.naive.graded > 0);
  return {
    calls: input.calls.map((c) => c.record),
    groups: scoreByGroup(ours, ['bias', 'mode', 'band']),
    byBand: byBand.filter((b) => b.ours.count > 0),
    overall: {
      ours: scoreCalls({ scope: 'all' }, ours),
      naive: scoreCalls({ scope: 'all', rule: 'naive' }, naive),
    },
    naiveRule: { minMovePct: input.request.naiveMinMovePct },
    topBand:
      top === undefined
        ? null
        : {
            band: top.band,
            oursHitRate: top.ours.hitRate,
            naiveHitRate: top.naive.hitRate,
            atLeastAsGood: atLeastAsGood(top.ours, top.naive),
          },
  };
}

function atLeastAsGood(ours: GroupScore, naive: GroupScore): boolean | null {
  if (ours.hitRate === null && naive.hitRate === null) return null;
  if (naive.hitRate === null) return true;
  if (ours.hitRate === null) return false;
  return ours.hitRate >= naive.hitRate;
}

function earlyWarningPart(input: ScoreInput): EvaluateDocument['earlyWarning'] {
  const { request, replay, reference, window, options } = input;
  const alertRank = LEVEL_RANK[request.alertLevel];
  const checks = replay.checks.map((c) => ({
    at: c.at,
    session: c.session,
    alert: LEVEL_RANK[c.level] >= alertRank,
  }));
  const firstCheck = new Map<string, Date>();
  for (const c of replay.checks) if (!firstCheck.has(c.session)) firstCheck.set(c.session, c.at);
  const drawdowns: SessionDrawdown[] = [];
  const events: DrawdownEvent[] = [];
  for (const session of input.sessions) {
    const previousClose = previousNyseClose(session.open, options.calendar).close;
    const contract = contractOf(window, reference, session, options);
    const dd = contract && drawdownOf(contract, previousClose, session, request.drawdownPct);
    const breachAt = dd?.breachAt ?? null;
    drawdowns.push({ session: session.date, breachAt });
    if (dd === undefined || breachAt === null) continue;
    const alert = checks.find((c) => c.session === session.date && c.alert);
    const lead =
      alert !== undefined && alert.at.getTime() <= breachAt.getTime()
        ? (breachAt.getTime() - alert.at.getTime()) / 60_000
        : null;
    const first = firstCheck.get(session.date);
    events.push({
      session: session.date,
      referenceAt: dd.referenceAt.toISOString(),
      breachAt: breachAt.toISOString(),
      movePct: dd.movePct ?? -request.drawdownPct,
      firstAlertAt: alert?.at.toISOString() ?? null,
      leadMinutes: lead,
      beforeFirstCheck: first === undefined || breachAt.getTime() < first.getTime(),
    });
  }
  const levels = Object.fromEntries(WARNING_LEVELS.map((l) => [l, 0])) as Record<WarningLevel, number>;
  for (const c of replay.checks) levels[c.level] += 1;
  return {
    alertLevel: request.alertLevel,
    drawdownPct: request.drawdownPct,
    checks: replay.checks.length,
    skippedChecks: replay.skipped,
    ...scoreEarlyWarning(checks, drawdowns),
    levels,
    drawdowns: events,
  };
}

function momentumPart(input: ScoreInput): EvaluateDocument['momentum'] {
  const points: Array<{ x: number; y: number }> = [];
  for (const session of input.sessions) {
    const contract = contractOf(input.window, input.reference, session, input.options);
    const previousClose = previousNyseClose(session.open, input.options.calendar).close;
    const pair = contract && momentumPairOf(contract, previousClose, session);
    if (pair) points.push(pair);
  }
  const fit = regress(points);
  return {
    definition: MOMENTUM_DEFINITION,
    n: fit.n,
    slope: fit.slope,
    intercept: fit.intercept,
    rSquared: fit.rSquared === null ? null : Math.min(1, Math.max(0, fit.rSquared)),
  };
}

function pct(value: number | null): string {
  return value === null ? '–' : `${(value * 100).toFixed(1)} %`;
}

function reasonsOf(doc: Omit<EvaluateDocument, 'reasons' | 'schema'>): string[] {
  const out: string[] = [];
  const p = doc.premarket;
  const skipped = p.calls.filter((c) => c.skipped !== null).length;
  out.push(
    `${p.calls.length - skipped} calls at ${doc.window.at} ET graded on ${doc.window.reference}${skipped > 0 ? `, ${skipped} sessions without a call` : ''}`,
  );
  if (p.topBand !== null) {
    const verdict =
      p.topBand.atLeastAsGood === null
        ? 'no graded call'
        : p.topBand.atLeastAsGood
          ? 'at least as good as'
          : 'WORSE than';
    out.push(
      `top band ${p.topBand.band}: our hit rate ${pct(p.topBand.oursHitRate)} is ${verdict} the naive rule's ${pct(p.topBand.naiveHitRate)} on the same sessions`,
    );
  }
  const ew = doc.earlyWarning;
  const early = ew.drawdowns.filter((d) => d.beforeFirstCheck).length;
  out.push(
    `${ew.events} drawdown events (≥ ${ew.drawdownPct} % below the prior close) in ${ew.sessions} sessions${early > 0 ? `, ${early} before the session's first check` : ''}; precision ${pct(ew.precision)}, recall ${pct(ew.recall)}, ${ew.alertsPer20CalmChecks === null ? '–' : ew.alertsPer20CalmChecks.toFixed(2)} ${ew.alertLevel}+ per 20 calm checks`,
  );
  return out;
}

export function scoreDocument(input: ScoreInput): Omit<EvaluateDocument, 'schema'> {
  const { request } = input;
  const body = {
    window: {
      from: request.from,
      to: request.to,
      sessions: input.sessions.length,
      at: request.at,
      everyMinutes: request.everyMs / 60_000,
      checksFrom: request.checksFrom,
      symbols: [...request.symbols],
      reference: input.reference,
      lake: input.window.sources,
    },
    premarket: premarketPart(input),
    earlyWarning: earlyWarningPart(input),
    momentum: momentumPart(input),
  };
  return { ...body, reasons: reasonsOf(body) };
}
