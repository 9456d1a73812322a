import { describe, expect, it } from 'vitest';
import { etWallTime } from '../../src/market/zoned.js';
import { type Observation, stepEarlyWarning } from '../../src/signals/hysteresis.js';
import { defaultSignalsConfig, InvalidSignalInputError } from '../../src/signals/index.js';
import type { EarlyWarningState, WarningLevel } from '../../src/signals/types.js';

const cfg = defaultSignalsConfig().earlyWarning;
const T0 = etWallTime('2025-03-10', 10, 0); // first RTH morning after the spring DST change
const at = (minutes: number) => new Date(T0.getTime() + minutes * 60_000);

interface Check {
  min: number;
  candidate: WarningLevel;
  exit?: WarningLevel;
  hard?: boolean;
  stale?: boolean;
  segment?: Observation['segment'];
}

/** Runs checks in order, feeding each state into the next, as the recorded runs would. */
function run(checks: Check[], start?: EarlyWarningState) {
  let state = start;
  const levels: WarningLevel[] = [];
  const transitions: string[] = [];
  for (const c of checks) {
    const r = stepEarlyWarning(
      state === undefined ? undefined : JSON.parse(JSON.stringify(state)),
      {
        now: at(c.min),
        candidate: c.candidate,
        exitCandidate: c.exit ?? c.candidate,
        hardCritical: c.hard ?? false,
        stale: c.stale ?? false,
        segment: c.segment ?? 'rth',
      },
      cfg,
    );
    state = r.state;
    levels.push(r.state.level);
    transitions.push(r.transition);
  }
  return { levels, transitions, state: state! };
}

const every5 = (n: number, f: (i: number) => Omit<Check, 'min'>, from = 0): Check[] =>
  Array.from({ length: n }, (_, i) => ({ min: from + i * 5, ...f(i) }));

describe('early-warning hysteresis (research §4.3)', () => {
  it('enters after two consecutive checks at least 2 minutes apart', () => {
    const r = run([
      { min: 0, candidate: 'warning' },
      { min: 5, candidate: 'warning' },
    ]);
    expect(r.levels).toEqual(['normal', 'warning']);
    expect(r.transitions).toEqual(['held', 'escalated']);
  });

  it('does not enter on two checks one minute apart, but does on the third', () => {
    const r = run([
      { min: 0, candidate: 'warning' },
      { min: 1, candidate: 'warning' },
      { min: 2, candidate: 'warning' },
    ]);
    expect(r.levels).toEqual(['normal', 'normal', 'warning']);
  });

  it('escalates to the level both checks agree on', () => {
    const r = run([
      { min: 0, candidate: 'watch' },
      { min: 5, candidate: 'critical' },
    ]);
    expect(r.levels).toEqual(['normal', 'watch']);
  });

  it('a hard critical escalates at once', () => {
    const r = run([{ min: 0, candidate: 'critical', hard: true }]);
    expect(r.levels).toEqual(['critical']);
    expect(r.state.bearRiskUntil).toBe('2025-03-10T22:00:00.000Z');
  });

  it('does not flap under noisy spot checks around the entry threshold', () => {
    const noisy = every5(24, (i) => ({ candidate: i % 2 === 0 ? 'warning' : 'watch', exit: 'watch' }));
    const r = run(noisy);
    expect(r.levels.slice(0, 2)).toEqual(['normal', 'watch']);
    expect(new Set(r.levels.slice(2))).toEqual(new Set(['watch']));
  });

  it('holds a level while the exit candidate stays at it, even when the entry candidate drops', () => {
    const enter = run([
      { min: 0, candidate: 'warning' },
      { min: 5, candidate: 'warning' },
    ]);
    const hold = run(
      every5(20, () => ({ candidate: 'watch', exit: 'warning' }), 10),
      enter.state,
    );
    expect(new Set(hold.levels)).toEqual(new Set(['warning']));
  });

  it('steps down one level at a time after 3 checks and 30 minutes inside the exit thresholds (RTH)', () => {
    const enter = run([{ min: 0, candidate: 'critical', hard: true }]);
    const calm = run(
      every5(40, () => ({ candidate: 'normal', exit: 'normal' }), 5),
      enter.state,
    );
    const firstStep = calm.levels.indexOf('warning');
    // critical needs its 60-minute dwell (entered at 0; check at 60 min is index 11) and the 30-minute streak
    expect(firstStep).toBe(11);
    const secondStep = calm.levels.indexOf('watch');
    expect(secondStep).toBe(firstStep + 7); // warning: 30 min dwell and a fresh 3-check/30-min streak
    const thirdStep = calm.levels.indexOf('normal');
    expect(thirdStep).toBe(secondStep + 7);
    expect(calm.transitions.filter((t) => t === 'deescalated')).toHaveLength(3);
  });

  it('needs 60 minutes of calm overnight', () => {
    const enter = run([
      { min: 0, candidate: 'watch', segment: 'overnight' },
      { min: 5, candidate: 'watch', segment: 'overnight' },
    ]);
    const calm = run(
      every5(20, () => ({ candidate: 'normal', exit: 'normal', segment: 'overnight' }), 10),
      enter.state,
    );
    expect(calm.levels.indexOf('normal')).toBe(12); // first calm check at 10 min; 60 min later = index 12
  });

  it('a relapse restarts the step-down streak', () => {
    const enter = run([
      { min: 0, candidate: 'watch' },
      { min: 5, candidate: 'watch' },
    ]);
    const checks = every5(
      12,
      (i) => ({ candidate: i === 4 ? 'watch' : 'normal', exit: i === 4 ? 'watch' : 'normal' }),
      10,
    );
    const r = run(checks, enter.state);
    expect(r.levels.indexOf('normal')).toBe(11); // streak restarts at index 5, 30 min later = index 11
  });

  it('stale data never steps down', () => {
    const enter = run([{ min: 0, candidate: 'critical', hard: true }]);
    const r = run(
      every5(30, () => ({ candidate: 'normal', exit: 'normal', stale: true }), 5),
      enter.state,
    );
    expect(new Set(r.levels)).toEqual(new Set(['critical']));
  });

  it('a long pause between checks restarts pending streaks but carries the level', () => {
    const first = run([{ min: 0, candidate: 'warning' }]);
    const later = run([{ min: 120, candidate: 'warning' }], first.state);
    expect(later.levels).toEqual(['normal']);
    expect(later.state.up).toMatchObject({ count: 1, firstAt: at(120).toISOString() });
    const critical = run([{ min: 0, candidate: 'critical', hard: true }]);
    const nextDay = run([{ min: 24 * 60, candidate: 'normal', exit: 'normal' }], critical.state);
    expect(nextDay.levels).toEqual(['critical']);
  });

  it('ignores a prior state that is not older than the check, and rejects a corrupt one', () => {
    const first = run([{ min: 10, candidate: 'critical', hard: true }]);
    const r = stepEarlyWarning(
      first.state,
      {
        now: at(5),
        candidate: 'normal',
        exitCandidate: 'normal',
        hardCritical: false,
        stale: false,
        segment: 'rth',
      },
      cfg,
    );
    expect(r.flags).toContain('priorStateIgnored');
    expect(r.state.level).toBe('normal');
    const corrupt = { ...first.state, level: 'panic' } as unknown as EarlyWarningState;
    expect(() =>
      stepEarlyWarning(
        corrupt,
        {
          now: at(30),
          candidate: 'normal',
          exitCandidate: 'normal',
          hardCritical: false,
          stale: false,
          segment: 'rth',
        },
        cfg,
      ),
    ).toThrow(InvalidSignalInputError);
  });

  it('reports the pending step', () => {
    const r = stepEarlyWarning(
      undefined,
      {
        now: at(0),
        candidate: 'warning',
        exitCandidate: 'warning',
        hardCritical: false,
        stale: false,
        segment: 'rth',
      },
      cfg,
    );
    expect(r.pending).toEqual({
      direction: 'up',
      target: 'warning',
      checks: 1,
      checksNeeded: 2,
      firstAt: at(0).toISOString(),
    });
    expect(r.flags).toEqual(['noPriorState']);
  });
});
