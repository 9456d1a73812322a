import { describe, expect, it } from 'vitest';
import {
  failureCodeOf,
  IbClientIdInUseError,
  IbConnectionLostError,
  IbRequestError,
  IbTimeoutError,
  IbTransientRequestError,
  IbUnavailableError,
  inIbResetWindow,
  outageCauseOf,
} from '../../../src/ibkr/index.js';

const et = (iso: string) => new Date(`${iso}-05:00`);

describe("IB's maintenance windows (ET)", () => {
  it.each([
    ['2026-11-24T23:44', false, 'Tuesday before the nightly reset'],
    ['2026-11-24T23:45', true, 'Tuesday 23:45: the reset begins'],
    ['2026-11-25T00:44', true, 'Wednesday 00:44: still the reset'],
    ['2026-11-25T00:45', false, 'Wednesday 00:45: over'],
    ['2026-11-27T00:30', true, 'Friday 00:30: Thursday night’s reset'],
    ['2026-11-27T23:44', true, 'Friday 23:44: the weekend window (from 23:00)'],
    ['2026-11-27T22:59', false, 'Friday 22:59'],
    ['2026-11-28T12:00', true, 'Saturday'],
    ['2026-11-29T01:59', true, 'Sunday 01:59'],
    ['2026-11-29T02:00', false, 'Sunday 02:00'],
    ['2026-11-29T23:50', true, 'Sunday 23:50: the nightly reset'],
  ])('%s → %s (%s)', (at, inside) => {
    expect(inIbResetWindow(et(at))).toBe(inside);
  });
});

describe('outageCauseOf', () => {
  const day = et('2026-11-24T10:00');
  const night = et('2026-11-24T23:50');
  it.each([
    [502, '', day, 'gateway_down'],
    [504, '', night, 'gateway_down'],
    [326, '', day, 'gateway_down'],
    [1100, '', day, 'ib_outage'],
    [1100, '', night, 'ib_reset'],
    [2103, '', day, 'ib_outage'],
    [2157, '', night, 'ib_reset'],
    [10182, '', day, 'ib_outage'],
    [10197, '', day, 'competing_session'],
    [162, 'Trading TWS session is connected from a different IP address', day, 'competing_session'],
    [100, '', day, 'pacing'],
    [
      162,
      'Historical Market Data Service error message:API historical data query cancelled: 7',
      day,
      'ib_outage',
    ],
    [162, 'IB kept refusing bars of ES for pacing (162) after 4 attempts.', day, 'pacing'],
    [200, '', night, 'ib_reset'],
    [200, '', day, 'request_refused'],
    [10186, '', day, 'request_refused'],
  ])('%i %j at %s → %s', (code, message, at, cause) => {
    expect(outageCauseOf(code, message, at)).toBe(cause);
  });
  it('no code: nothing was heard', () => {
    expect(outageCauseOf(null, null, day)).toBeNull();
  });
});

describe('failureCodeOf', () => {
  const timeout = new IbTimeoutError('no answer', 'snapshot', 1000);
  it('IB’s own code wins; a silent failure takes the session’s condition; else what clients report', () => {
    expect(failureCodeOf(new IbRequestError('no def', 200, 1), 1100)).toBe(200);
    expect(failureCodeOf(new IbTransientRequestError('competing', 10197, 1), null)).toBe(10197);
    expect(failureCodeOf(new IbClientIdInUseError('taken', [101]), null)).toBe(326);
    expect(failureCodeOf(timeout, 1100)).toBe(1100);
    expect(failureCodeOf(timeout, 2103)).toBe(2103);
    expect(failureCodeOf(timeout, null)).toBeNull();
    expect(failureCodeOf(new IbConnectionLostError('lost'), null)).toBe(504);
    expect(failureCodeOf(new IbUnavailableError('refused'), null)).toBe(502);
    expect(failureCodeOf(new IbUnavailableError('not usable'), 1100)).toBe(1100);
  });
});
