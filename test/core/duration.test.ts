import { describe, expect, it } from 'vitest';
import { formatAge, formatDuration, parseDuration } from '../../src/core/duration.js';

describe('parseDuration', () => {
  it.each([
    ['90s', 90_000],
    ['15m', 900_000],
    ['15 min', 900_000],
    ['2h', 7_200_000],
    ['1d12h', 129_600_000],
    ['1w', 604_800_000],
    ['250ms', 250],
    ['interval 1 week', 604_800_000],
    ['interval 30 days', 2_592_000_000],
    ['2 hours', 7_200_000],
  ])('reads %s', (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });

  it('reads a bare number as seconds only where the caller allows it', () => {
    expect(parseDuration('90', { bare: 'seconds' })).toBe(90_000);
    expect(parseDuration('1.5', { bare: 'seconds' })).toBe(1500);
    expect(parseDuration('90')).toBeUndefined();
    expect(parseDuration('90', { bare: 'refuse' })).toBeUndefined();
  });

  it.each(['', '  ', 'soon', '5 parsecs', '5m later', '-5m', null, undefined])('refuses %j', (text) => {
    expect(parseDuration(text, { bare: 'seconds' })).toBeUndefined();
  });

  // Review §11: `status --max-age` far beyond any lake printed as 8639999999999914000s.
  it.each(['99999999999999999999s', '99999999999999999999', '1e400d', '300000000y', '104249991375d'])(
    'refuses %j: not an exact number of milliseconds',
    (text) => {
      expect(parseDuration(text, { bare: 'seconds' })).toBeUndefined();
    },
  );

  it('still reads a century', () => {
    expect(parseDuration('36500d')).toBe(36_500 * 86_400_000);
  });
});

describe('formatting', () => {
  it('formats exactly with the largest dividing unit', () => {
    expect(formatDuration(604_800_000)).toBe('1w');
    expect(formatDuration(129_600_000)).toBe('36h');
    expect(formatDuration(250)).toBe('250ms');
    expect(formatDuration(0)).toBe('0s');
  });

  it('formats ages for people', () => {
    expect(formatAge(45_000)).toBe('45s');
    expect(formatAge(720_000)).toBe('12m');
    expect(formatAge(12_600_000)).toBe('3.5h');
    expect(formatAge(224_640_000)).toBe('2.6d');
  });
});
