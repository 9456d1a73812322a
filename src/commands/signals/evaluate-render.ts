/** Human output of `signals evaluate`: pure string functions. */
import { type Cell, formatPairs, formatTable, formatTsv, type Grid } from '../../cli/output.js';
import type { GroupScore, Interval } from '../../signals/scorecard.js';
import type { EvaluateDocument } from '../../signals/scorecard-schema.js';

function pct(value: number | null | undefined, digits = 1): string {
  return value === null || value === undefined ? '–' : `${(value * 100).toFixed(digits)}%`;
}

function bp(value: number | null | undefined): string {
  if (value === null || value === undefined) return '–';
  const v = value * 10_000;
  return `${v >= 0 ? '+' : ''}${v.toFixed(1)}bp`;
}

function interval(i: Interval | null): string {
  return i === null ? '–' : `${pct(i.low, 0)}–${pct(i.high, 0)}`;
}

function scoreCells(s: GroupScore): Cell[] {
  return [
    s.count,
    s.graded,
    s.hitRate === null ? '–' : `${pct(s.hitRate, 0)} (${s.hits}/${s.graded})`,
    interval(s.hitInterval),
    bp(s.meanReturnTo1000),
    bp(s.meanReturnToClose),
    bp(s.meanMaxAdverse),
  ];
}

const SCORE_HEAD = ['calls', 'graded', 'hit rate', '95% CI', 'ret→10:00', 'ret→close', 'max adverse'];

export function renderEvaluateHuman(doc: EvaluateDocument, style: { mode: 'table' | 'tsv' }): string {
  const p = doc.premarket;
  const groups: Grid = {
    head: ['bias', 'mode', 'band', ...SCORE_HEAD],
    rows: p.groups.map((g) => [g.group.bias, g.group.mode, g.group.band, ...scoreCells(g)]),
  };
  const bands: Grid = {
    head: ['band', 'rule', ...SCORE_HEAD],
    rows: [
      ...p.byBand.flatMap((b) => [
        [b.band, 'ours', ...scoreCells(b.ours)],
        [b.band, 'naive', ...scoreCells(b.naive)],
      ]),
      ['all', 'ours', ...scoreCells(p.overall.ours)],
      ['all', 'naive', ...scoreCells(p.overall.naive)],
    ],
  };
  const ew = doc.earlyWarning;
  const m = doc.momentum;
  const pairs: [string, Cell][] = [
    [
      'window',
      `${doc.window.from} → ${doc.window.to}: ${doc.window.sessions} sessions, call at ${doc.window.at} ET, reference ${doc.window.reference}`,
    ],
    [
      'early warning',
      `${ew.checks} checks every ${doc.window.everyMinutes} min from ${doc.window.checksFrom} ET (${ew.skippedChecks} skipped); alert = ${ew.alertLevel} or above`,
    ],
    [
      'levels',
      `normal ${ew.levels.normal} · watch ${ew.levels.watch} · warning ${ew.levels.warning} · critical ${ew.levels.critical}`,
    ],
    [
      'drawdown events',
      `${ew.events} of ${ew.sessions} sessions (≥ ${ew.drawdownPct}% below the prior close)`,
    ],
    [
      'precision',
      `${pct(ew.precision, 0)} (${ew.trueAlertSessions}/${ew.alertSessions}) CI ${interval(ew.precisionInterval)}`,
    ],
    ['recall', `${pct(ew.recall, 0)} (${ew.detected}/${ew.events}) CI ${interval(ew.recallInterval)}`],
    ['median lead', ew.medianLeadMinutes === null ? '–' : `${Math.round(ew.medianLeadMinutes)} min`],
    [
      'calm alerts',
      `${ew.alertsPer20CalmChecks === null ? '–' : ew.alertsPer20CalmChecks.toFixed(2)} per 20 checks (${ew.calmAlerts}/${ew.calmChecks})`,
    ],
    [
      'momentum check',
      m.slope === null
        ? `– (${m.n} sessions)`
        : `slope ${m.slope.toFixed(3)}, R² ${pct(m.rSquared, 2)} over ${m.n} sessions`,
    ],
  ];
  const drawdowns: Grid = {
    head: ['session', 'breach (UTC)', 'move', 'first alert (UTC)', 'lead'],
    rows: ew.drawdowns.map((d) => [
      d.session,
      d.breachAt.slice(0, 16),
      `${d.movePct.toFixed(2)}%`,
      d.firstAlertAt?.slice(0, 16) ?? (d.beforeFirstCheck ? 'before first check' : '–'),
      d.leadMinutes === null ? '–' : `${Math.round(d.leadMinutes)} min`,
    ]),
  };
  if (style.mode === 'tsv') {
    return [
      formatTsv({ head: [], rows: groups.rows.map((r) => ['group', ...r]) }),
      formatTsv({ head: [], rows: bands.rows.map((r) => ['band', ...r]) }),
      formatPairs(pairs, 'tsv'),
      formatTsv({ head: [], rows: drawdowns.rows.map((r) => ['drawdown', ...r]) }),
      formatTsv({ head: [], rows: doc.reasons.map((r) => ['reason', r]) }),
    ].join('');
  }
  return [
    'pre-market calls by bias × mode × band',
    formatTable(groups),
    'by band: ours vs the naive rule on the same sessions',
    formatTable(bands),
    formatPairs(pairs, 'table'),
    drawdowns.rows.length > 0 ? formatTable(drawdowns) : '',
    `reasons:\n${doc.reasons.map((r) => `  - ${r}\n`).join('')}`,
  ]
    .filter((s) => s.length > 0)
    .join('\n');
}
