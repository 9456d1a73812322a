import { lstat, realpath, rename, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { z } from 'zod';
import { defineCommand, globalOptionsShape } from '../../cli/command.js';
import { ExitCode } from '../../cli/exit.js';
import { classifySystemError } from '../../cli/system-errors.js';
import { UsageError } from '../../core/errors.js';
import { INPUT_DATE_MESSAGE, isInputDate } from '../../market/index.js';

const schema = z.object({
  ...globalOptionsShape,
  html: z.string({ error: 'give the HTML file to write, e.g. --html tonight.html' }).min(1),
  date: z.string().refine(isInputDate, INPUT_DATE_MESSAGE).optional(),
});

/** The documents a report is made of (ReportResult.errors names the ones that failed). */
const REPORT_DOCUMENTS = 6;

export interface ReportResult {
  file: string;
  bytes: number;
  date: string | null;
  /** Documents that were errors (shown as such in the report), by name. */
  errors: Array<'status' | 'premarket' | 'regime' | 'series' | 'timeline' | 'coverage'>;
}

/**
 * The file the report replaces: a file name in an existing directory, said before any work is done. A
 * symbolic link is followed (the report replaces its target, the link stays); a device, a pipe or a
 * socket is refused — renaming over `/dev/null` as root would replace the device.
 */
async function reportTarget(file: string): Promise<string> {
  const info = await stat(file).catch((error: NodeJS.ErrnoException) => error);
  if (info instanceof Error) {
    if (info.code === 'ELOOP') {
      throw new UsageError(`--html: ${file} is a symbolic link that does not resolve (a loop).`, {
        hint: 'Fix or remove the link, or give another file name.',
      });
    }
    const link = await lstat(file).catch(() => undefined);
    if (link?.isSymbolicLink()) {
      throw new UsageError(`--html: ${file} is a symbolic link to a missing file.`, {
        hint: 'Fix or remove the link, or give another file name.',
      });
    }
  } else if (info.isDirectory()) {
    throw new UsageError(`--html: ${file} is a directory.`, {
      hint: 'Give a file name, e.g. --html report.html.',
    });
  } else if (!info.isFile()) {
    throw new UsageError(
      `--html: ${file} is a device, pipe or socket, not a file; the report replaces the file it names.`,
      {
        hint: 'Give a file name, e.g. --html report.html.',
      },
    );
  }
  const target = info instanceof Error ? file : await realpath(file);
  const parent = await stat(dirname(target)).catch(() => undefined);
  if (!parent?.isDirectory()) {
    throw new UsageError(`--html: the directory ${dirname(target)} does not exist.`, {
      hint: 'Create it first, or write the report elsewhere.',
    });
  }
  return target;
}

/** Writes the report beside its target and renames it into place; a failure leaves no partial file. */
async function writeReport(target: string, html: string): Promise<void> {
  const partial = `${target}.${process.pid}.partial`;
  try {
    await writeFile(partial, html);
    await rename(partial, target);
  } catch (error) {
    await rm(partial, { force: true }).catch(() => undefined);
    const hint = 'Give a file in a directory this user can write, e.g. --html ./report.html.';
    throw (
      classifySystemError(error, hint) ??
      new UsageError(
        `--html: cannot write ${target}: ${error instanceof Error ? error.message : String(error)}`,
        {
          cause: error,
          hint,
        },
      )
    );
  }
}

export const futuresReportCommand = defineCommand({
  path: ['report'],
  summary: "write the dashboard's Tonight, regime timeline and health views as one self-contained HTML file",
  description:
    'Writes the page `futures dashboard` serves (Tonight, the regime timeline, collection health; not the ' +
    'scorecard), with its scripts, styles and documents inlined, so it opens ' +
    'from file:// with no server and no network (for a cron job to mail or archive). --date shows that ' +
    "session's pre-market call (at 09:25 ET) instead of now. Reads the lake only; signals are not recorded. " +
    'A document that cannot be made (say, no VIX yet) is shown as its error in the report.',
  examples: [
    'futures report --html tonight.html',
    'futures report --html archive/2026-03-10.html --date 2026-03-10',
  ],
  flags: [
    { flags: '--html <file>', description: 'the HTML file to write (replaced if it exists)' },
    { flags: '--date <date>', description: 'the session to show (YYYY-MM-DD)', defaultDescription: 'now' },
  ],
  schema,
  jsonSchemaId: 'futures.report/v1',
  exitCodes: [ExitCode.data],
  // Written either way; when no document could be made (a damaged lake), cron must see it failed.
  exitCode: (r: ReportResult) => (r.errors.length === REPORT_DOCUMENTS ? ExitCode.data : ExitCode.ok),

  async run(opts, ctx): Promise<ReportResult> {
    const file = await reportTarget(resolve(ctx.cwd, opts.html));
    const { renderStaticReport } = await import('../../app/dashboard/static-report.js');
    const { answer, dashboardDocument, seriesDocument } = await import('./dashboard-data.js');
    const errors: ReportResult['errors'] = [];
    const make = async (name: 'status' | 'premarket' | 'regime') => {
      const response = await answer(() => dashboardDocument(name, opts.date, ctx));
      if (response.status !== 200) errors.push(name);
      return response.body;
    };
    const status = await make('status');
    const premarket = (await make('premarket')) as { asOf?: string; reference?: { time: string } };
    const regime = await make('regime');
    const to = premarket.asOf ?? ctx.clock.now().toISOString();
    const from = premarket.reference?.time ?? new Date(Date.parse(to) - 18 * 3_600_000).toISOString();
    const seriesAnswer = await answer(() => seriesDocument(new URLSearchParams({ from, to }), ctx));
    if (seriesAnswer.status !== 200) errors.push('series');
    const { coverageDocument, timelineDocument } = await import('./dashboard-views.js');
    const { DocumentCache, lakeVersions } = await import('../../app/dashboard/document-cache.js');
    const cache = new DocumentCache(() => lakeVersions(ctx.config.dataDir));
    const timeline = await answer(() => timelineDocument(opts.date, ctx, cache));
    if (timeline.status !== 200) errors.push('timeline');
    const coverage = await answer(() => coverageDocument(opts.date, ctx, cache));
    if (coverage.status !== 200) errors.push('coverage');
    const html = await renderStaticReport({
      date: opts.date ?? null,
      status,
      premarket,
      regime,
      series: seriesAnswer.body,
      timeline: timeline.body,
      coverage: coverage.body,
    });
    await writeReport(file, html);
    return { file, bytes: Buffer.byteLength(html), date: opts.date ?? null, errors };
  },

  render: {
    json: (r) => ({ file: r.file, bytes: r.bytes, date: r.date, errors: r.errors }),
    human: (r) =>
      `wrote ${r.file} (${r.bytes} bytes)${r.errors.length > 0 ? `; shown as errors: ${r.errors.join(', ')}` : ''}\n`,
  },
});
