import { z } from 'zod';
import { calendarDate, documentSchema, instant } from './common.js';

const interval = z.object({ start: instant, end: instant });

const calendarDay = z
  .object({
    date: calendarDate,
    weekday: z.string(),
    nyse: z.object({
      status: z.enum(['open', 'early_close', 'closed', 'weekend']),
      open: instant.nullable(),
      close: instant.nullable(),
      note: z.string().nullable(),
    }),
    cme: z.object({
      tradeDate: calendarDate,
      status: z.enum(['open', 'early_close', 'holiday_halt', 'closed', 'weekend']),
      open: instant.nullable(),
      close: instant.nullable(),
      halts: z.array(interval),
      closedAfter: interval.nullable(),
      note: z.string().nullable(),
      source: z.enum(['rule', 'override']).nullable(),
    }),
  })
  .meta({ id: 'CalendarDay' });

export const calendarBodySchema = z.object({
  timeZone: z.literal('America/New_York'),
  from: calendarDate,
  to: calendarDate,
  days: z.array(calendarDay),
});

export const calendarDocumentSchema = documentSchema('futures.calendar/v1', calendarBodySchema, {
  title: 'futures calendar --json',
  description: 'NYSE and CME equity sessions per date, times in New York',
});

export const isOpenBodySchema = z.object({
  at: instant,
  open: z.boolean(),
  reason: z.enum(['open', 'halt', 'weekend', 'holiday', 'early_close', 'closed']),
  tradeDate: calendarDate,
  segment: z.enum(['overnight', 'rth', 'post']).nullable(),
  nextOpen: instant.nullable(),
  closesAt: instant.nullable(),
  note: z.string().nullable(),
});

export const isOpenDocumentSchema = documentSchema('futures.calendar.is-open/v1', isOpenBodySchema, {
  title: 'futures calendar is-open --json',
  description: 'Whether CME Globex equity trades at an instant, and why not',
});
