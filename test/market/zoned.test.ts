import { describe, expect, it } from 'vitest';
import {
  addDays,
  daysBetween,
  etInstant,
  etMinutesOfWindow,
  etParts,
  etWallTime,
  formatEt,
  formatEtIso,
  formatInZone,
  isIsoDate,
  isTimeZone,
  NonexistentTimeError,
  parseInstant,
  parseInstantMicros,
  weekdayOf,
} from '../../src/market/index.js';

describe('etParts', () => {
  it.each([
    ['2026-01-15T17:00:00Z', '2026-01-15', '12:00', -300, 4],
    ['2026-07-15T16:00:00Z', '2026-07-15', '12:00', -240, 3],
    ['2026-03-08T06:59:59Z', '2026-03-08', '01:59', -300, 0],
    ['2026-03-08T07:00:00Z', '2026-03-08', '03:00', -240, 0],
    ['2026-11-01T05:30:00Z', '2026-11-01', '01:30', -240, 0],
    ['2026-11-01T06:30:00Z', '2026-11-01', '01:30', -300, 0],
    ['2026-01-01T04:59:59Z', '2025-12-31', '23:59', -300, 3],
  ])('%s → %s %s (offset %i, weekday %i)', (iso, date, time, offset, weekday) => {
    const p = etParts(new Date(iso));
    expect(p).toMatchObject({ date, time, offsetMinutes: offset, weekday });
  });

  it('rejects an invalid Date', () => {
    expect(() => etParts(new Date('nope'))).toThrow(RangeError);
  });
});

describe('etInstant', () => {
  it.each([
    ['2026-03-09', '18:00', '2026-03-09T22:00:00.000Z'],
    ['2026-03-06', '17:00', '2026-03-06T22:00:00.000Z'],
    ['2026-03-08', '01:59', '2026-03-08T06:59:00.000Z'],
    ['2026-03-08', '03:00', '2026-03-08T07:00:00.000Z'],
    ['2026-11-01', '00:59:59', '2026-11-01T04:59:59.000Z'],
    ['2026-11-01', '02:00', '2026-11-01T07:00:00.000Z'],
    ['2015-11-01', '18:00', '2015-11-01T23:00:00.000Z'],
    ['2030-03-10', '18:00', '2030-03-10T22:00:00.000Z'],
  ])('%s %s ET = %s', (date, time, iso) => {
    expect(etInstant(date, time).toISOString()).toBe(iso);
  });

  it('takes the earlier instant of the repeated fall-back hour unless asked for the later one', () => {
    expect(etInstant('2026-11-01', '01:30').toISOString()).toBe('2026-11-01T05:30:00.000Z');
    expect(etInstant('2026-11-01', '01:30', { fold: 'later' }).toISOString()).toBe(
      '2026-11-01T06:30:00.000Z',
    );
    expect(etInstant('2025-11-02', '01:00', { fold: 'later' }).toISOString()).toBe(
      '2025-11-02T06:00:00.000Z',
    );
  });

  it('throws on a time inside the spring-forward gap', () => {
    expect(() => etInstant('2026-03-08', '02:30')).toThrow(NonexistentTimeError);
    expect(() => etInstant('2025-03-09', '02:00')).toThrow(/does not exist/);
    expect(etInstant('2025-03-09', '01:59').toISOString()).toBe('2025-03-09T06:59:00.000Z');
  });

  it('rejects malformed input', () => {
    expect(() => etInstant('2026-02-30', '10:00')).toThrow(RangeError);
    expect(() => etInstant('2026-02-03', '24:00')).toThrow(RangeError);
    expect(() => etInstant('2026-02-03', '9:30')).toThrow(RangeError);
  });

  it('round-trips every hour of a DST year through etParts', () => {
    for (let h = 0; h < 366 * 24; h += 13) {
      const at = new Date(Date.UTC(2026, 0, 1) + h * 3_600_000);
      const p = etParts(at);
      const back = etInstant(p.date, `${p.time}:${String(p.second).padStart(2, '0')}`, {
        fold: p.offsetMinutes === -300 ? 'later' : 'earlier',
      });
      expect(back.getTime()).toBe(at.getTime());
    }
  });
});

describe('etWallTime and etMinutesOfWindow on DST-change days', () => {
  it.each([
    // spring forward 2026-03-08: EST before 02:00, EDT from 03:00
    ['2026-03-08', 1, 30, '2026-03-08T06:30:00.000Z'],
    ['2026-03-08', 3, 0, '2026-03-08T07:00:00.000Z'],
    ['2026-03-08', 18, 0, '2026-03-08T22:00:00.000Z'],
    ['2026-03-06', 16, 0, '2026-03-06T21:00:00.000Z'],
    ['2026-03-09', 9, 30, '2026-03-09T13:30:00.000Z'],
    // fall back 2026-11-01: the repeated 01:30 is the earlier (EDT) one; 18:00 is EST
    ['2026-11-01', 1, 30, '2026-11-01T05:30:00.000Z'],
    ['2026-11-01', 18, 0, '2026-11-01T23:00:00.000Z'],
    ['2026-10-30', 16, 0, '2026-10-30T20:00:00.000Z'],
  ])('%s %i:%i ET → %s', (date, hour, minute, iso) => {
    expect(etWallTime(date, hour, minute).toISOString()).toBe(iso);
  });

  it('throws inside the spring-forward gap like etInstant', () => {
    expect(() => etWallTime('2026-03-08', 2, 30)).toThrow(NonexistentTimeError);
  });

  it('numbers the minutes of a window across both changes', () => {
    expect(etMinutesOfWindow(new Date('2026-03-08T07:02:00Z'), 4)).toEqual([118, 119, 180, 181]);
    expect(etMinutesOfWindow(new Date('2026-11-01T06:02:00Z'), 4)).toEqual([118, 119, 60, 61]);
    expect(etMinutesOfWindow(new Date('2026-07-01T04:01:30Z'), 2)).toEqual([1439, 0]);
  });
});

describe('date helpers and parsing', () => {
  it('does calendar arithmetic on date strings', () => {
    expect(addDays('2024-02-28', 1)).toBe('2024-02-29');
    expect(addDays('2026-03-08', -7)).toBe('2026-03-01');
    expect(addDays('2025-12-31', 1)).toBe('2026-01-01');
    expect(daysBetween('2025-01-01', '2027-12-31')).toBe(1094);
    expect(weekdayOf('2026-01-19')).toBe(1);
    expect(isIsoDate('2026-02-29')).toBe(false);
    expect(isIsoDate('2028-02-29')).toBe(true);
    expect(isIsoDate('2026-1-9')).toBe(false);
  });

  it('formats instants in ET', () => {
    expect(formatEtIso(new Date('2026-03-09T22:00:00Z'))).toBe('2026-03-09T18:00:00-04:00');
    expect(formatEtIso(new Date('2026-01-09T23:00:00Z'))).toBe('2026-01-09T18:00:00-05:00');
    expect(formatEt(new Date('2026-01-09T23:00:00Z'))).toBe('2026-01-09 18:00');
  });

  it.each([
    ['2026-03-09 18:00', '2026-03-09T22:00:00.000Z'],
    ['2026-03-09T18:00', '2026-03-09T22:00:00.000Z'],
    ['2026-01-09 18:00:30', '2026-01-09T23:00:30.000Z'],
    ['2026-03-09T18:00:00-04:00', '2026-03-09T22:00:00.000Z'],
    ['2026-03-09T22:00:00Z', '2026-03-09T22:00:00.000Z'],
    ['2026-03-09T22:00:00.250+00:00', '2026-03-09T22:00:00.250Z'],
  ])('parseInstant(%s)', (text, iso) => {
    expect(parseInstant(text).toISOString()).toBe(iso);
  });

  it.each(['2026-03-09', 'tomorrow', '2026-02-30 10:00', '2026-03-08 02:30', '2026-03-09T18:00:00+4', ''])(
    'parseInstant rejects %j',
    (text) => {
      expect(() => parseInstant(text)).toThrow(RangeError);
    },
  );
});

describe('the one parser of typed times', () => {
  it.each([
    ['2026-11-20 09:00', 1_795_183_200_000_000n, false],
    ['2026-11-20T09:00:00.123456', 1_795_183_200_123_456n, false],
    ['2026-11-20T14:00:00.5Z', 1_795_183_200_500_000n, true],
    ['2026-11-20T09:00:00-0500', 1_795_183_200_000_000n, true],
  ])('parseInstantMicros(%s): naive means ET, fractions kept to the µs', (text, micros, zoned) => {
    expect(parseInstantMicros(text)).toEqual({ micros, zoned });
  });

  it('reads a date alone as its ET midnight only when asked (a predicate), never for a time flag', () => {
    expect(parseInstant('2026-11-20', { dateOnly: true }).toISOString()).toBe('2026-11-20T05:00:00.000Z');
    expect(parseInstant('2026-07-01', { dateOnly: true }).toISOString()).toBe('2026-07-01T04:00:00.000Z');
    expect(() => parseInstant('2026-11-20')).toThrow(/is not a time/);
  });

  it('rejects the spring-forward gap and years outside the supported range', () => {
    expect(() => parseInstantMicros('2026-03-08 02:30:00.5')).toThrow(NonexistentTimeError);
    expect(() => parseInstantMicros('1969-12-31T23:00:00Z')).toThrow(/outside the supported years/);
  });
});

describe('formatInZone', () => {
  const at = new Date('2026-11-20T14:25:00Z');
  it('shows ET by default, another zone when asked, seconds and a fraction on request', () => {
    expect(formatInZone(at)).toBe('2026-11-20 09:25 ET');
    expect(formatInZone(at, 'UTC')).toBe('2026-11-20 14:25 UTC');
    expect(formatInZone(at, 'America/Chicago')).toBe('2026-11-20 08:25 CST');
    expect(formatInZone(new Date('2026-07-01T13:30:05.250Z'), 'America/New_York', { seconds: true })).toBe(
      '2026-07-01 09:30:05.250 ET',
    );
    expect(formatInZone(new Date('2026-07-01T00:00:00Z'), 'Asia/Tokyo', { seconds: true })).toBe(
      '2026-07-01 09:00:00 GMT+9',
    );
  });

  it('knows the zones Intl knows', () => {
    expect(isTimeZone('America/New_York')).toBe(true);
    expect(isTimeZone('UTC')).toBe(true);
    expect(isTimeZone('Mars/Base')).toBe(false);
  });
});
