/**
 * Finding 20: an import's memory is bounded by a constant, whatever the input size. A generated gzip of
 * 1-minute bars (1.2 M rows, ≈ 70 MB inside; the review's 1 GB bomb took 11 GB) is imported by the built
 * binary in a child process, as a dry run and for real into an empty lake; its peak RSS (VmHWM, kept by
 * the kernel) must stay under 300 MB each time.
 */
import { spawn } from 'node:child_process';
import { createWriteStream, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createGzip } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { ROOT } from '../../helpers/bin.js';

const ROWS = 1_200_000;
const LIMIT_MB = 300;
const dir = mkdtempSync(join(tmpdir(), 'import-memory-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function writeBars(file: string): Promise<void> {
  const out = createWriteStream(file);
  const gzip = createGzip({ level: 1 });
  gzip.pipe(out);
  const write = (s: string) => (gzip.write(s) ? undefined : new Promise((r) => gzip.once('drain', r)));
  await write('ts,open,high,low,close,volume\n');
  let chunk = '';
  for (let i = 0; i < ROWS; i += 1) {
    const day = Math.floor(i / 1440);
    const ms =
      Date.UTC(2018, 0, 1) + (Math.floor(day / 5) * 7 + (day % 5)) * 86_400_000 + (i % 1440) * 60_000;
    const p = 2500 + (i % 4000) / 4;
    chunk += `${new Date(ms).toISOString().slice(0, 19)}Z,${p},${p + 1},${p - 1},${p + 0.25},${i % 90}\n`;
    if (chunk.length > 1 << 20) {
      await write(chunk);
      chunk = '';
    }
  }
  await write(chunk);
  await new Promise<void>((resolve) => {
    out.once('close', () => resolve());
    gzip.end();
  });
}

function peakKb(pid: number): number {
  try {
    return Number(/VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);
  } catch {
    return 0;
  }
}

describe('import memory', () => {
  it(`imports ${ROWS} rows with a peak RSS under ${LIMIT_MB} MB`, async () => {
    const file = join(dir, 'bars.csv.gz');
    await writeBars(file);
    const args = [
      join(ROOT, 'bin/futures.js'),
      'import',
      file,
      '--symbol',
      'ES',
      '--data-dir',
      join(dir, 'd'),
    ];
    const dry = await importPeak([...args, '--dry-run', '--json']);
    expect(dry.result).toMatchObject({ rowsRead: ROWS, bad: 0, newRows: ROWS, barSize: '1 min' });
    expect(dry.peakMb).toBeLessThan(LIMIT_MB);
    // For real: conflicts, de-duplication and the write go one group of trade dates at a time (a
    // whole-file DISTINCT ON … ORDER BY took 330 MB at 1 M rows).
    const real = await importPeak([...args, '--json']);
    expect(real.result).toMatchObject({ rowsRead: ROWS, written: ROWS, conflicts: 0 });
    expect(real.peakMb).toBeLessThan(LIMIT_MB);
  }, 900_000);
});

async function importPeak(args: string[]): Promise<{ result: unknown; peakMb: number }> {
  const child = spawn(process.execPath, args, {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let peak = 0;
  const timer = setInterval(() => {
    peak = Math.max(peak, peakKb(child.pid as number));
  }, 50);
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => {
    stdout += String(d);
  });
  child.stderr.on('data', (d) => {
    stderr += String(d);
  });
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  clearInterval(timer);
  expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
  expect(peak).toBeGreaterThan(0);
  return { result: JSON.parse(stdout), peakMb: peak / 1024 };
}
