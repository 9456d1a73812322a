#!/usr/bin/env node
// Peak memory (RSS) of `futures import` for growing inputs: 1-minute bar CSVs of BENCH_IMPORT_ROWS rows
// (default 250000,1000000,4000000) imported with --dry-run and for real into an empty lake, and a gzip
// "bomb" of identical rows (BENCH_BOMB_MB decompressed, default 512). The peak is the child's VmHWM, read
// from /proc every 50 ms (the kernel keeps the high-water mark, so sampling misses nothing).
// Run: npm run build && node bench/import.bench.js   (BENCH_IMPORT_MODES=import: real imports only)
import { spawn } from 'node:child_process';
import { createWriteStream, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import { createGzip } from 'node:zlib';

const root = fileURLToPath(new URL('..', import.meta.url));
const rows = (process.env.BENCH_IMPORT_ROWS ?? '250000,1000000,4000000').split(',').map(Number);
const bombMb = Number(process.env.BENCH_BOMB_MB ?? '512');
// 'dry,import' (default), or one of them.
const modes = (process.env.BENCH_IMPORT_MODES ?? 'dry,import').split(',');
const work = mkdtempSync(join(tmpdir(), 'import-bench-'));

function barLine(i) {
  // Weekday minutes from 2010-01-04, a slowly drifting price.
  const day = Math.floor(i / 1440);
  const week = Math.floor(day / 5);
  const ms = Date.UTC(2010, 0, 4) + (week * 7 + (day % 5)) * 86_400_000 + (i % 1440) * 60_000;
  const p = 1800 + (i % 10_000) / 4;
  return `${new Date(ms).toISOString().slice(0, 19)}Z,${p},${p + 1},${p - 1},${p + 0.25},${100 + (i % 50)}\n`;
}

async function writeLines(path, n, line, gzip = false) {
  async function* lines() {
    yield 'ts,open,high,low,close,volume\n';
    let chunk = '';
    for (let i = 0; i < n; i += 1) {
      chunk += line(i);
      if (chunk.length > 1 << 20) {
        yield chunk;
        chunk = '';
      }
    }
    yield chunk;
  }
  const stages = gzip ? [createGzip({ level: 6 }), createWriteStream(path)] : [createWriteStream(path)];
  await pipeline(lines, ...stages);
}

function hwmKb(pid) {
  try {
    const m = /VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

function runImport(file, dataDir, dryRun) {
  const args = [
    join(root, 'bin/futures.js'),
    'import',
    file,
    '--symbol',
    'ES',
    '--data-dir',
    dataDir,
    '--json',
  ];
  if (dryRun) args.push('--dry-run');
  const started = performance.now();
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let peak = 0;
  const timer = setInterval(() => {
    peak = Math.max(peak, hwmKb(child.pid));
  }, 50);
  let out = '';
  let err = '';
  child.stdout.on('data', (d) => {
    out += d;
  });
  child.stderr.on('data', (d) => {
    err += d;
  });
  return new Promise((resolve) => {
    child.on('close', (code) => {
      clearInterval(timer);
      const doc = code === 0 ? JSON.parse(out) : undefined;
      resolve({ code, err, peakMb: peak / 1024, seconds: (performance.now() - started) / 1000, doc });
    });
  });
}

function report(r) {
  const written = r.doc?.newRows ?? `exit ${r.code}`;
  console.log(
    `| ${r.input} | ${r.mode} | ${r.seconds.toFixed(1)} s | ${r.peakMb.toFixed(0)} MB | ${written} |`,
  );
}

console.log('| input | mode | wall | peak RSS | rows written / would write |');
console.log('|---|---|---|---|---|');
try {
  for (const n of rows) {
    const csv = join(work, `bars-${n}.csv`);
    await writeLines(csv, n, barLine);
    const mb = statSync(csv).size / 1048576;
    for (const dryRun of [true, false].filter((d) => modes.includes(d ? 'dry' : 'import'))) {
      const dataDir = join(work, `lake-${n}-${dryRun}`);
      const r = await runImport(csv, dataDir, dryRun);
      if (r.code !== 0) console.error(`import of ${n} rows exited ${r.code}: ${r.err}`);
      report({ input: `${n} rows, ${mb.toFixed(0)} MB CSV`, mode: dryRun ? 'dry run' : 'import', ...r });
      rmSync(dataDir, { recursive: true, force: true });
    }
    rmSync(csv, { force: true });
  }
  if (bombMb > 0) {
    const line = '2026-11-20T14:31:00Z,5800.25,5801.5,5799.75,5800.5,123\n';
    const n = Math.floor((bombMb * 1048576) / line.length);
    const gz = join(work, 'bomb.csv.gz');
    await writeLines(gz, n, () => line, true);
    const mb = statSync(gz).size / 1048576;
    const r = await runImport(gz, join(work, 'lake-bomb'), true);
    if (r.code !== 0) console.error(`bomb import exited ${r.code}: ${r.err}`);
    report({
      input: `gzip bomb: ${mb.toFixed(1)} MB, ${bombMb} MB inside (${n} identical rows)`,
      mode: 'dry run',
      ...r,
    });
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}
