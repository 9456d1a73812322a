/**
 * A replay (`--from/--to`) for people: one row per step, times in ET (or --tz). Piped or under --json a
 * replay stays JSON Lines (one document or skip record per step); this is the terminal's view of them.
 */
import { type Cell, formatTable } from '../../cli/output.js';
import { ET_ZONE, formatInZone } from '../../market/index.js';
import {
  type PremarketDocument,
  REPLAY_SKIP_SCHEMA_ID,
  type RegimeDocument,
  type ReplaySkip,
} from '../../signals/schemas.js';
import { INDEX_SYMBOLS, WARNING_LEVELS, type WarningLevel } from '../../signals/types.js';
import { paintBias, painter, paintLevel, type RenderStyle } from './render.js';

const rank = (level: WarningLevel) => WARNING_LEVELS.indexOf(level);

function signed(value: number | null | undefined, digits: number, unit: string): string {
  if (value === null || value === undefined) return '–';
  return `${value >= 0 ? '+' : ''}${value.toFixed(digits)}${unit}`;
}

/** The measure at the highest level (the first of equals): 'M2 NQ −3.1σ', or '–' when all are normal. */
export function worstMeasure(doc: RegimeDocument): { text: string; level: WarningLevel } {
  let worst: { text: string; level: WarningLevel } = { text: '–', level: 'normal' };
  const consider = (text: string, level: WarningLevel) => {
    if (rank(level) > rank(worst.level)) worst = { text, level };
  };
  for (const s of INDEX_SYMBOLS) {
    const m = doc.measures.perIndex[s];
    if (m === null) continue;
    consider(`M1 ${s} ${signed(m.m1.value, 1, 'σ')}`, m.m1.level);
    consider(`M2 ${s} ${signed(m.m2.value, 1, 'σ')}/${m.m2.windowMin}m`, m.m2.level);
    consider(`M3 ${s} ${signed(m.m3.value, 1, 'σ')}`, m.m3.level);
    consider(`M5 ${s} ${signed(m.m5.value, 2, '')}`, m.m5.level);
    consider(`M8 ${s} ${signed(m.m8.distancePct, 1, '%')} to ${m.m8.nextLimit}`, m.m8.level);
  }
  consider(`M4 breadth ${doc.measures.m4.breadth}/3`, doc.measures.m4.level);
  const jump = doc.measures.m6.value;
  consider(`M6 VIX ${signed(jump === null ? null : jump * 100, 1, '%')}`, doc.measures.m6.level);
  consider(`M7 VIX/VIX3M ${signed(doc.measures.m7.value, 2, '')}`, doc.measures.m7.level);
  return worst;
}

const isSkip = (line: { schema: string }): line is ReplaySkip => line.schema === REPLAY_SKIP_SCHEMA_ID;

function skipRow(line: ReplaySkip, width: number, zone: string): Cell[] {
  const cells: Cell[] = [formatInZone(new Date(line.asOf), zone), `skipped: ${line.error.code}`];
  while (cells.length < width - 1) cells.push('');
  cells.push(line.error.message);
  return cells;
}

/** `signals regime --from/--to` on a terminal: time, level, candidate, pending, breadth, worst, VIX, flags. */
export function renderRegimeReplay(
  lines: ReadonlyArray<RegimeDocument | ReplaySkip>,
  style: RenderStyle,
): string {
  const paint = painter(style);
  const zone = style.zone ?? ET_ZONE;
  const head = ['time', 'level', 'candidate', 'pending', 'breadth', 'worst measure', 'VIX', 'flags'];
  const rows = lines.map((line): Cell[] => {
    if (isSkip(line)) return skipRow(line, head.length, zone);
    const worst = worstMeasure(line);
    const vix = line.inputs.vix.level;
    const jump = line.measures.m6.value;
    return [
      formatInZone(new Date(line.asOf), zone),
      paintLevel(paint, line.level, line.level),
      line.candidate === line.level ? '' : paintLevel(paint, line.candidate, line.candidate),
      line.pending === null
        ? ''
        : `${line.pending.target} ${line.pending.checks}/${line.pending.checksNeeded}`,
      `${line.breadth}/${line.dataQuality.usable.length}`,
      worst.level === 'normal' ? '–' : paintLevel(paint, worst.level, worst.text),
      vix === null ? '–' : `${vix.toFixed(1)} (${signed(jump === null ? null : jump * 100, 1, '%')})`,
      line.flags.join(' '),
    ];
  });
  return formatTable({ head, rows }, { width: style.width });
}

/** `signals premarket --from/--to` on a terminal: one call per session. */
export function renderPremarketReplay(
  lines: ReadonlyArray<PremarketDocument | ReplaySkip>,
  style: RenderStyle,
): string {
  const paint = painter(style);
  const zone = style.zone ?? ET_ZONE;
  const head = ['time', 'bias', 'mode', 'strength', 'conf', 'composite', ...INDEX_SYMBOLS, 'early warning'];
  const rows = lines.map((line): Cell[] => {
    if (isSkip(line)) return skipRow(line, head.length, zone);
    const d = line.decision;
    return [
      formatInZone(new Date(line.asOf), zone),
      paintBias(paint, d.bias, d.bias),
      d.mode,
      d.strength,
      d.confidence.toFixed(2),
      `${signed(line.measures.composite.z, 2, 'σ')} ${line.measures.composite.agree}/${line.dataQuality.usable.length}`,
      ...INDEX_SYMBOLS.map((s) => {
        const m = line.measures.perIndex[s];
        return m === null ? '–' : `${signed(m.pct, 2, '%')} ${signed(m.z, 1, 'σ')}`;
      }),
      line.earlyWarning?.level ?? '–',
    ];
  });
  return formatTable({ head, rows }, { width: style.width });
}
