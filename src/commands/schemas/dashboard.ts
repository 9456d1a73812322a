import { z } from 'zod';
import { calendarDate, count, documentSchema } from './common.js';

/** The documents of `futures dashboard` (printed when it stops) and `futures report`. */

const dashboardBodySchema = z.object({
  url: z.string().meta({ description: 'the address the dashboard served' }),
  requests: count.meta({ description: 'HTTP requests answered before it stopped' }),
});

export const dashboardDocumentSchema = documentSchema('futures.dashboard/v1', dashboardBodySchema, {
  title: 'futures dashboard --json',
  description: 'What the dashboard served, printed when SIGINT/SIGTERM stops it',
});

const reportBodySchema = z.object({
  file: z.string().meta({ description: 'absolute path of the HTML file written' }),
  bytes: count,
  date: calendarDate.nullable().meta({ description: 'the session shown (--date); null for now' }),
  errors: z
    .array(z.enum(['status', 'premarket', 'regime', 'series', 'timeline', 'coverage']))
    .meta({ description: 'documents that could not be made and are shown as their error in the report' }),
});

export const reportDocumentSchema = documentSchema('futures.report/v1', reportBodySchema, {
  title: 'futures report --json',
  description: 'The self-contained HTML report written',
});
