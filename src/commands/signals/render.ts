import { Chalk, type ChalkInstance } from 'chalk';
import { type Cell, formatPairs, formatTable, formatTsv, type Grid } from '../../cli/output.js';
import { ET_ZONE, formatInZone } from '../../market/index.js';
import { regimeHeadline } from '../../signals/regime/headline.js';
import type { PremarketDocument, RegimeDocument } from '../../signals/schemas.js';
import { INDEX_SYMBOLS, type WarningLevel } from '../../signals/types.js';

/** Human output of both signals: pure string functions the commands call from render.human. */

export const SPARK_CHARS = '▁▂▃▄▅▆▇█';

export interface RenderStyle {
  mode: 'table' | 'tsv';
  /** Colour the headline (a terminal only: the CLI never sets it for piped output or JSON). */
  colour?: boolean | undefined;
  /** Terminal width in columns (tables fit it). */
  width?: number | undefined;
  /** Zone of the times shown (default ET). */
  zone?: string | undefined;
}

export function painter(style: RenderStyle): ChalkInstance {
  return new Chalk({ level: style.colour === true && style.mode === 'table' ? 1 : 0 });
}

/** Level colours: calm green, watch yellow, warning magenta, critical red; bold from warning up. */
export function paintLevel(paint: ChalkInstance, level: WarningLevel, text: string): string {
  switch (level) {
    case 'normal':
      return paint.green(text);
    case 'watch':
      return paint.yellow(text);
    case 'warning':
      return paint.magenta.bold(text);
    case 'critical':
      return paint.red.bold(text);
  }
}

export function paintBias(paint: ChalkInstance, bias: string, text: string): string {
  if (bias.endsWith('bull')) return paint.green.bold(text);
  if (bias.endsWith('bear')) return paint.red.bold(text);
  return paint.yellow.bold(text);
}

const shownTime = (iso: string, style: RenderStyle) => formatInZone(new Date(iso), style.zone ?? ET_ZONE);

/** `LEAN BEAR · go_with_gap · moderate · conf 0.62 · session 2026-11-20, as of 2026-11-20 09:25 ET`. */
export function premarketHeadline(doc: PremarketDocument, style: RenderStyle): string {
  const d = doc.decision;
  const call = d.bias.replace(/_/g, ' ').toUpperCase();
  return `${paintBias(painter(style), d.bias, call)} · ${d.mode} · ${d.strength} · conf ${d.confidence.toFixed(2)} · session ${doc.sessionDate}, as of ${shownTime(doc.asOf, style)}`;
}

/** regimeHeadline with the level (and the candidate) in their colours. */
export function paintedRegimeHeadline(doc: RegimeDocument, style: RenderStyle): string {
  const paint = painter(style);
  const level = `REGIME ${doc.level.toUpperCase()}`;
  const candidate = `candidate ${doc.candidate.toUpperCase()}`;
  return regimeHeadline(doc)
    .replace(level, paintLevel(paint, doc.level, level))
    .replace(candidate, paintLevel(paint, doc.candidate, candidate));
}

/** A raw TSV field: the number as it is, '-' for none (awk can compute on it). */
function raw(value: number | string | null | undefined): string {
  if (value === null || value === undefined) return '-';
  return typeof value === 'number' ? String(Number(value.toFixed(6))) : value;
}

/** The '-' fields of a row whose measures are missing. */
function none(count: number): string[] {
  return Array.from({ length: count }, () => '-');
}

/**
 * Piped premarket: `index` SYMBOL CONTRACT REF LAST DELTA_PTS PCT Z ON_HIGH ON_LOW POS AGE_S STATUS
 * (STATUS `ok` or `dropped:<code>`), `decision` BIAS MODE STRENGTH CONFIDENCE SESSION AS_OF, `etf` ETF
 * DIRECTION CONVICTION ENTRY RISK, `reason` TEXT; raw values, UTC instants, '-' for none.
 */
function premarketTsv(doc: PremarketDocument): string {
  const index = INDEX_SYMBOLS.map((s) => {
    const m = doc.measures.perIndex[s];
    const input = doc.inputs.perIndex[s];
    const drop = doc.dataQuality.dropped.find((d) => d.symbol === s);
    const ref = input?.reference.price;
    const last = input?.current.price;
    const delta = ref === undefined || last === undefined ? null : last - ref;
    return m === null
      ? [
          'index',
          s,
          raw(input?.localSymbol),
          raw(ref),
          raw(last),
          raw(delta),
          ...none(6),
          `dropped:${drop?.code ?? 'no_data'}`,
        ]
      : [
          'index',
          s,
          raw(input?.localSymbol),
          raw(ref),
          raw(last),
          raw(delta),
          raw(m.pct),
          raw(m.z),
          raw(m.path.high),
          raw(m.path.low),
          raw(m.path.posInRange),
          raw(doc.dataQuality.quoteAgeSeconds[s]),
          'ok',
        ];
  });
  const d = doc.decision;
  return formatTsv({
    head: [],
    rows: [
      ...index,
      ['decision', d.bias, d.mode, d.strength, d.confidence.toFixed(2), doc.sessionDate, doc.asOf],
      ...Object.values(doc.guidance).map((g) => [
        'etf',
        g.etf,
        g.direction,
        g.conviction.toFixed(2),
        g.entry,
        g.riskPosture,
      ]),
      ...doc.reasons.map((r) => ['reason', r]),
    ],
  });
}

/**
 * Piped regime: `headline` TEXT, `index` SYMBOL PCT M1_SIGMA M1_LEVEL M2_SIGMA M2_WINDOW_MIN M2_LEVEL
 * M3_SIGMA M3_LEVEL LIMIT_DISTANCE_PCT NEXT_LIMIT AGE_S STATUS, `level` LEVEL CANDIDATE TRANSITION SINCE,
 * `reason` TEXT; raw values, UTC instants, '-' for none.
 */
function regimeTsv(doc: RegimeDocument): string {
  const index = INDEX_SYMBOLS.map((s) => {
    const m = doc.measures.perIndex[s];
    const drop = doc.dataQuality.dropped.find((d) => d.symbol === s);
    return m === null
      ? ['index', s, ...none(11), `dropped:${drop?.code ?? 'no_data'}`]
      : [
          'index',
          s,
          raw(m.m1.pct),
          raw(m.m1.value),
          m.m1.level,
          raw(m.m2.value),
          raw(m.m2.windowMin),
          m.m2.level,
          raw(m.m3.value),
          m.m3.level,
          raw(m.m8.distancePct),
          m.m8.nextLimit,
          raw(doc.dataQuality.quoteAgeSeconds[s]),
          'ok',
        ];
  });
  return formatTsv({
    head: [],
    rows: [
      ['headline', regimeHeadline(doc)],
      ...index,
      ['level', doc.level, doc.candidate, doc.transition, doc.since],
      ...doc.reasons.map((r) => ['reason', r]),
    ],
  });
}

function price(value: number | null | undefined): string {
  return value === null || value === undefined ? '–' : value.toFixed(2);
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

function reasonsText(reasons: readonly string[]): string {
  return `reasons:\n${reasons.map((r) => `  - ${r}\n`).join('')}`;
}

export function renderPremarketHuman(doc: PremarketDocument, style: RenderStyle): string {
  if (style.mode === 'tsv') return premarketTsv(doc);
  const rows: Cell[][] = INDEX_SYMBOLS.map((s) => {
    const m = doc.measures.perIndex[s];
    const input = doc.inputs.perIndex[s];
    const drop = doc.dataQuality.dropped.find((d) => d.symbol === s);
    if (m === null) {
      const dropped = `dropped: ${drop?.code ?? 'no_data'}`;
      return [s, input?.localSymbol ?? '–', '–', '–', '–', '–', '–', '–', '–', '', '–', dropped];
    }
    const ref = input?.reference.price;
    const last = input?.current.price;
    return [
      s,
      input?.localSymbol ?? '–',
      price(ref),
      price(last),
      ref === undefined || last === undefined ? '–' : signed(last - ref, 2),
      signed(m.pct, 2, '%'),
      signed(m.z, 2, 'σ'),
      price(m.path.high),
      price(m.path.low),
      sparkline(m.path.sparkline),
      fixed(m.path.posInRange),
      `${Math.round(doc.dataQuality.quoteAgeSeconds[s] ?? 0)}s`,
    ];
  });
  const grid: Grid = {
    head: [
      'index',
      'contract',
      'ref',
      'last',
      'Δ pts',
      'move',
      'z',
      'ON high',
      'ON low',
      'overnight path',
      'pos',
      'age',
    ],
    rows,
  };
  const d = doc.decision;
  const regime = doc.inputs.regime;
  const vix = doc.inputs.vix;
  const pairs: [string, Cell][] = [
    ['as of', shownTime(doc.asOf, style)],
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
  return block([
    premarketHeadline(doc, style),
    formatTable(grid, { width: style.width }),
    formatPairs(pairs, 'table'),
    formatTable(guidance, { width: style.width }),
    reasonsText(doc.reasons),
  ]);
}

export function renderRegimeHuman(doc: RegimeDocument, style: RenderStyle): string {
  if (style.mode === 'tsv') return regimeTsv(doc);
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
    ['as of', shownTime(doc.asOf, style)],
    ['level', `${doc.level} (${doc.transition}, since ${shownTime(doc.since, style)})`],
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
  return block([
    paintedRegimeHeadline(doc, style),
    formatTable(grid, { width: style.width }),
    formatPairs(pairs, 'table'),
    reasonsText(doc.reasons),
  ]);
}
