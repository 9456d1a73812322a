import { describe, expect, it } from 'vitest';
import {
  classifyIbError,
  IB_ERROR_TABLE,
  IbClientIdInUseError,
  IbConnectionLostError,
  IbPacingError,
  IbRequestError,
  IbTimeoutError,
  IbUnavailableError,
} from '../../../src/ibkr/index.js';

/** Every code in research/ibkr.md §3.1. */
const RESEARCH_CODES = [
  2104, 2106, 2158, 2119, 2107, 2108, 2103, 2105, 2110, 1100, 1101, 1102, 1300, 502, 504, 507, 326, 100, 101,
  162, 165, 166, 200, 300, 321, 322, 354, 10089, 10090, 10091, 10167, 10168, 10186, 10197, 10339, 2174,
];

describe('classifyIbError', () => {
  it('has an explicit entry for every code in the research table', () => {
    const missing = RESEARCH_CODES.filter((code) => !IB_ERROR_TABLE.has(code));
    expect(missing).toEqual([]);
  });

  it.each([
    [2104, 'info', 'resume_market_data'],
    [2106, 'info', 'resume_historical'],
    [2158, 'info', 'log'],
    [2119, 'info', 'log'],
    [2107, 'info', 'log'],
    [2108, 'info', 'log'],
    [2103, 'connectivity', 'pause_market_data'],
    [2105, 'connectivity', 'pause_historical'],
    [2110, 'connectivity', 'pause_all'],
    [1100, 'connectivity', 'pause_all'],
    [1101, 'connectivity', 'resubmit'],
    [1102, 'connectivity', 'resume'],
    [1300, 'connectivity', 'reconnect'],
    [502, 'connectivity', 'reconnect'],
    [504, 'connectivity', 'reconnect'],
    [507, 'connectivity', 'reconnect'],
    [326, 'fatal', 'next_client_id'],
    [100, 'pacing', 'backoff_retry'],
    [101, 'subscription', 'backoff_retry'],
    [165, 'info', 'log'],
    [166, 'request', 'fail_request'],
    [200, 'request', 'fail_request'],
    [300, 'info', 'ignore'],
    [321, 'request', 'fail_request'],
    [322, 'request', 'retry_once'],
    [354, 'subscription', 'fallback_delayed'],
    [10089, 'subscription', 'fallback_delayed'],
    [10090, 'subscription', 'mark_partial'],
    [10091, 'subscription', 'mark_partial'],
    [10167, 'subscription', 'mark_delayed'],
    [10168, 'subscription', 'fallback_delayed'],
    [10186, 'subscription', 'fallback_delayed'],
    [10197, 'subscription', 'backoff_retry'],
    [10339, 'request', 'fail_request'],
    [2174, 'info', 'warn'],
  ])('%i → %s / %s', (code, cls, action) => {
    const kind = classifyIbError(code, '');
    expect(kind.class).toBe(cls);
    expect(kind.action).toBe(action);
    expect(kind.code).toBe(code);
  });

  it('splits 162 by its sub-message', () => {
    expect(
      classifyIbError(
        162,
        'Historical Market Data Service error message:Historical data request pacing violation',
      ),
    ).toMatchObject({
      class: 'pacing',
      action: 'backoff_retry',
      transient: true,
    });
    expect(
      classifyIbError(
        162,
        'Historical Market Data Service error message:HMDS query returned no data: ESZ5@CME Trades',
      ),
    ).toMatchObject({
      action: 'empty_result',
    });
    expect(
      classifyIbError(
        162,
        'Historical Market Data Service error message:No market data permissions for CME FUT',
      ),
    ).toMatchObject({
      class: 'subscription',
      action: 'fail_request',
      transient: false,
    });
    expect(
      classifyIbError(
        162,
        'Historical Market Data Service error message:API historical data query cancelled: 7',
      ),
    ).toMatchObject({
      // A request still in flight was dropped by IB (after our own cancel the request is gone: logged).
      action: 'backoff_retry',
      transient: true,
    });
    expect(
      classifyIbError(162, 'Trading TWS session is connected from a different IP address'),
    ).toMatchObject({
      action: 'backoff_retry',
    });
  });

  it('falls back by range for codes not in the table', () => {
    expect(classifyIbError(2150, '')).toMatchObject({ class: 'info', action: 'log' });
    expect(classifyIbError(530, '')).toMatchObject({ class: 'connectivity', action: 'reconnect' });
    expect(classifyIbError(9999, '')).toMatchObject({ class: 'request', action: 'fail_request' });
  });
});

describe('typed IB errors', () => {
  it('map to the documented exit codes', () => {
    expect(new IbUnavailableError('x').kind).toBe('upstream');
    expect(new IbConnectionLostError('x').kind).toBe('upstream');
    expect(new IbTimeoutError('x', 'snapshot', 100).kind).toBe('upstream');
    expect(new IbPacingError('x').kind).toBe('upstream');
    expect(new IbClientIdInUseError('x', [7]).kind).toBe('upstream');
    expect(new IbRequestError('x', 200, 4).kind).toBe('usage');
  });

  it('IbRequestError carries the IB code, request id and classification', () => {
    const error = new IbRequestError('IB refused contract details for ES', 200, 12);
    expect(error).toMatchObject({ ibCode: 200, reqId: 12, code: 'ib-request', name: 'IbRequestError' });
    expect(error.ibKind.action).toBe('fail_request');
  });
});
