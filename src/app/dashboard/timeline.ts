/**
 * The regime timeline: the early warning replayed over the last sessions (the lines `signals regime
 * --from --to --no-record` prints), folded into steps of one level each for a coloured strip. Each step
 * keeps what the check that began it said, for the strip's hover.
 */
export const TIMELINE_SCHEMA_ID = 'futures.dashboard.regime-timeline/v1';

/** The parts of a replayed regime document (signals.regime/v3) or skip line the strip uses. */
export interface ReplayedRegimeLine {
  schema: string;
  asOf: string;
  level?: string;
  candidate?: string;
  breadth?: number;
  worstWindowMin?: number | null;
  reasons?: string[];
  error?: { message: string };
}

export interface TimelineStep {
  /** Milliseconds since the epoch; `to` is the next check's instant (or the last check's plus one step). */
  from: number;
  to: number;
  /** null: no evaluation was possible (no data, stale inputs). */
  level: string | null;
  candidate: string | null;
  checks: number;
  /** The first check of the step: its breadth, worst window and reasons; or why none was possible. */
  breadth: number | null;
  worstWindowMin: number | null;
  reasons: string[];
}

export interface TimelineDocument {
  from: string;
  to: string;
  everyMinutes: number;
  steps: TimelineStep[];
}

/** The reasons kept per step: the level line and the per-index measures. */
const REASONS_PER_STEP = 4;

export function regimeTimeline(
  lines: readonly ReplayedRegimeLine[],
  range: { from: string; to: string },
  everyMs: number,
): TimelineDocument {
  const steps: TimelineStep[] = [];
  for (const line of lines) {
    const at = Date.parse(line.asOf);
    const skipped = line.error !== undefined;
    const level = skipped ? null : (line.level ?? null);
    const candidate = skipped ? null : (line.candidate ?? null);
    const last = steps.at(-1);
    // A check more than one step after the previous one (a closed market between sessions) starts anew.
    const contiguous = last !== undefined && at - last.to <= everyMs;
    if (last !== undefined && contiguous && last.level === level && last.candidate === candidate) {
      last.to = at + everyMs;
      last.checks += 1;
      continue;
    }
    if (last !== undefined && contiguous) last.to = at;
    steps.push({
      from: at,
      to: at + everyMs,
      level,
      candidate,
      checks: 1,
      breadth: skipped ? null : (line.breadth ?? null),
      worstWindowMin: skipped ? null : (line.worstWindowMin ?? null),
      reasons: skipped ? [line.error?.message ?? 'skipped'] : (line.reasons ?? []).slice(0, REASONS_PER_STEP),
    });
  }
  return { from: range.from, to: range.to, everyMinutes: everyMs / 60_000, steps };
}
