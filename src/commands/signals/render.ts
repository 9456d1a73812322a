import { type Cell, formatPairs, formatTable, formatTsv, type Grid } from '../../cli/output.js';
import { regimeHeadline } from '../../signals/regime/headline.js';
import type { PremarketDocument, RegimeDocument } from '../../signals/schemas.js';
import { INDEX_SYMBOLS } from '../../signals/types.js';

/** Human output of both signals: pure string functions the commands call from render.human. */

export const SPARK_CHARS = '▁▂▃▄▅▆▇█';

export interface RenderStyle {
  mode: 'table' | 'tsv';
}

/** Values scaled min..max onto ▁..█ (a flat series sits mid-height); at most `width` characters. */
export function sparkline(values: readonly number[], width = 24): string {
  const finite = values.filter((v) => Number.isFinite(v));
  if (finite.length === 0) return '';
  const picked =
    finite.length <= width
      ? finite
      : Array.from({ length: width }, (_, k) => finite[Math.round((k * (finite.length - 1)) / (width - 1))]!);
  const lo = Math.min(...picked);
  const hi = Math.max(...picked);
  const top = SPARK_CHARS.length - 1;
  return picked
    .map((v) => SPARK_CHARS[hi === lo ? Math.floor(top / 2) : Math.round(((v - lo) / (hi - lo)) * top)])
    .join('');
}

function signed(value: number | null | undefined, digits = 2, unit = ''): string {
  if (value === null || value === undefined) return '–';
  return `${value >= 0 ? '+' : ''}${value.toFixed(digits)}${unit}`;
}

function fixed(value: number | null | undefined, digits = 2): string {
  return value === null || value === undefined ? '–' : value.toFixed(digits);
}

function block(parts: string[]): string {
  return parts.filter((p) => p.length > 0).join('\n');
}

function reasonsText(reasons: readonly string[], style: RenderStyle): string {
  if (style.mode === 'tsv') return formatTsv({ head: [], rows: reasons.map((r) => ['reason', r]) });
  return `reasons:\n${reasons.map((r) => `  - ${r}\n`).join('')}`;
}

export function renderPremarketHuman(doc: PremarketDocument, style: RenderStyle): string {
  const rows: Cell[][] = INDEX_SYMBOLS.map((s) => {
    const m = doc.measures.perIndex[s];
    const input = doc.inputs.perIndex[s];
    const drop = doc.dataQuality.dropped.find((d) => d.symbol === s);
    if (m === null) {
      return [s, input?.localSymbol ?? '–', '–', '–', '', '–', `dropped: ${drop?.code ?? 'no_data'}`];
    }
    return [
      s,
      input?.localSymbol ?? '–',
      signed(m.pct, 2, '%'),
      signed(m.z, 2, 'σ'),
      sparkline(m.path.sparkline),
      fixed(m.path.posInRange),
      `${Math.round(doc.dataQuality.quoteAgeSeconds[s] ?? 0)}s`,
    ];
  });
  const grid: Grid = { head: ['index', 'contract', 'move', 'z', 'overnight path', 'pos', 'age'], rows };
  const d = doc.decision;
  const regime = doc.inputs.regime;
  const vix = doc.inputs.vix;
  const pairs: [string, Cell][] = [
    ['as of', doc.asOf],
    ['session', doc.sessionDate],
    ['bias', d.bias],
    ['mode', d.mode],
    ['strength', d.strength],
    ['confidence', d.confidence.toFixed(2)],
    [
      'composite',
      `${signed(doc.measures.composite.z, 2, 'σ')} · ${doc.measures.composite.agree}/${doc.dataQuality.usable.length} agree`,
    ],
    ['regime', `${regime.value} (${regime.source})`],
    [
      'vix',
      vix.level === null
        ? `– (bucket ${d.vixBucket} from realised vol)`
        : `${vix.level.toFixed(1)} (${vix.source})`,
    ],
    ['tags', doc.tags.join(' ') || '–'],
    ['early warning', doc.earlyWarning?.headline ?? '–'],
  ];
  const guidance: Grid = {
    head: ['etf', 'direction', 'conviction', 'entry', 'risk'],
    rows: Object.values(doc.guidance).map((g) => [
      g.etf,
      g.direction,
      g.conviction.toFixed(2),
      g.entry,
      g.riskPosture,
    ]),
  };
  if (style.mode === 'tsv') {
    return block([
      formatTsv({ head: [], rows: rows.map((r) => ['index', ...r]) }),
      formatTsv({ head: [], rows: [['decision', d.bias, d.mode, d.strength, d.confidence.toFixed(2)]] }),
      formatTsv({ head: [], rows: guidance.rows.map((r) => ['etf', ...r]) }),
      reasonsText(doc.reasons, style),
    ]).replace(/\n\n/g, '\n');
  }
  return block([
    formatTable(grid),
    formatPairs(pairs, 'table'),
    formatTable(guidance),
    reasonsText(doc.reasons, style),
  ]);
}

export function renderRegimeHuman(doc: RegimeDocument, style: RenderStyle): string {
  const rows: Cell[][] = INDEX_SYMBOLS.map((s) => {
    const m = doc.measures.perIndex[s];
    const drop = doc.dataQuality.dropped.find((d) => d.symbol === s);
    if (m === null) return [s, '–', '–', '–', '–', '–', '', `dropped: ${drop?.code ?? 'no_data'}`];
    return [
      s,
      signed(m.m1.pct, 2, '%'),
      `${signed(m.m1.value, 1, 'σ')} ${m.m1.level}`,
      `${signed(m.m2.value, 1, 'σ')}/${m.m2.windowMin}m ${m.m2.level}`,
      m.m3.value === null ? '–' : `${signed(m.m3.value, 1, 'σ')} ${m.m3.level}`,
      `${fixed(m.m8.distancePct, 1)}% to ${m.m8.nextLimit}`,
      sparkline(m.sparkline),
      `${Math.round(doc.dataQuality.quoteAgeSeconds[s] ?? 0)}s`,
    ];
  });
  const grid: Grid = {
    head: ['index', 'move', 'M1 day', 'M2 drawdown', 'M3 speed', 'limit', 'session path', 'age'],
    rows,
  };
  const pairs: [string, Cell][] = [
    ['as of', doc.asOf],
    ['level', `${doc.level} (${doc.transition}, since ${doc.since})`],
    ['candidate', doc.candidate],
    [
      'pending',
      doc.pending === null
        ? '–'
        : `${doc.pending.direction} to ${doc.pending.target}: ${doc.pending.checks}/${doc.pending.checksNeeded} checks`,
    ],
    ['breadth', `${doc.breadth}/${doc.dataQuality.usable.length}`],
    ['vix jump', signed(doc.measures.m6.value === null ? null : doc.measures.m6.value * 100, 1, '%')],
    ['vix/vix3m', fixed(doc.measures.m7.value)],
    [
      'regime',
      `${doc.inputs.regime.value} (${doc.inputs.regime.source})${doc.overlay === null ? '' : `, overlay ${doc.overlay}`}`,
    ],
    ['flags', doc.flags.join(' ') || '–'],
  ];
  const headline = regimeHeadline(doc);
  if (style.mode === 'tsv') {
    return block([
      formatTsv({ head: [], rows: [['headline', headline]] }),
      formatTsv({ head: [], rows: rows.map((r) => ['index', ...r]) }),
      formatTsv({ head: [], rows: [['level', doc.level, doc.candidate, doc.transition, doc.since]] }),
      reasonsText(doc.reasons, style),
    ]).replace(/\n\n/g, '\n');
  }
  return block([headline, formatTable(grid), formatPairs(pairs, 'table'), reasonsText(doc.reasons, style)]);
}
