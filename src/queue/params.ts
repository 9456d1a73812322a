/** Job params: their canonical text (part of a job's unique key) and the request of a 'bars' job. */
import type { BarsJobSpec, BarsParams, Job, JobParams, JobParamValue } from './types.js';

/** The canonical JSON of job params (sorted keys): it is part of the job's unique key. */
export function canonicalParams(params: JobParams = {}): string {
  const keys = Object.keys(params).sort();
  const out: Record<string, JobParamValue> = {};
  for (const key of keys) {
    const value = params[key];
    if (value !== undefined) out[key] = value;
  }
  return JSON.stringify(out);
}

export function barsParams(spec: Pick<BarsJobSpec, 'barSize' | 'whatToShow' | 'start' | 'end'>): BarsParams {
  return {
    barSize: spec.barSize,
    whatToShow: spec.whatToShow,
    start: spec.start.toISOString(),
    end: spec.end.toISOString(),
  };
}

/** The bars request of a 'bars' job, or null when the job is not one. */
export function readBarsParams(job: Job): BarsParams | null {
  if (job.kind !== 'bars') return null;
  const { barSize, whatToShow, start, end } = job.params;
  if (typeof barSize !== 'string' || typeof whatToShow !== 'string') return null;
  if (typeof start !== 'string' || typeof end !== 'string') return null;
  return { barSize, whatToShow, start, end };
}
