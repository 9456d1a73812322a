import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { notATableError } from '../../../src/delta/log/log.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'not-a-table-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('why a path is not a readable table', () => {
  it('says permission denied when the log cannot be listed (review §23: it said "has no _delta_log")', async () => {
    const denied = Object.assign(new Error('EACCES: permission denied'), { code: 'EACCES' });
    const error = await notATableError(dir, denied);
    expect(error.message).toBe(`${dir}/_delta_log cannot be read: permission denied (EACCES).`);
    expect(error.hint).toMatch(/read access/);
  });

  it('says the log is missing when it is', async () => {
    const missing = Object.assign(new Error('ENOENT'), { code: 'ENOENT' });
    expect((await notATableError(dir, missing)).message).toBe(
      `${dir} is not a Delta table: it has no _delta_log directory.`,
    );
    expect((await notATableError(join(dir, 'nope'), missing)).message).toMatch(/the path does not exist/);
  });
});
