#!/usr/bin/env node
/**
 * Calibration study of `signals regime` (and `signals premarket`) over the real NQ 1-minute windows in
 * ../shared/market-data (internal use only: the data is read in place, never copied into the repo).
 *
 *   npm run build && node scripts/calibrate.mjs > calibration.md
 *
 * 1. Imports NQ 1-min bars, VIX and VIX3M daily into a temp lake with the built `futures import`
 *    (CAL_LAKE=dir reuses a lake imported before).
 * 2. Replays `signals regime --every 5m` through every CME session of each window (month by month) and
 *    `signals premarket` at 09:25 ET, with the config in CAL_CONFIG (default: breadthBasis 'available',
 *    because the data holds NQ only).
 * 3. Prints a Markdown report: warning-or-worse rate per calm session, and the first watch/warning/critical
 *    of the sessions with the worst overnight selloffs relative to the 09:30 ET cash open.
 *
 * Env: MARKET_DATA (default ../shared/market-data), CAL_LAKE, CAL_EVERY (5m), CAL_BREADTH (available|absolute),
 * CAL_WINDOWS (comma-separated names), CAL_WORST (8), CAL_DUMP (file: one compact JSON line per evaluation with
 * the NQ measure values and levels, for diagnosing what drives a level), CAL_SKIP_PREMARKET=1.
 */
import { spawnSync } from 'node:child_process';
import { appendFileSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const MARKET = path.resolve(process.env.MARKET_DATA ?? path.join(ROOT, '../shared/market-data'));
const EVERY = process.env.CAL_EVERY ?? '5m';
const BREADTH = process.env.CAL_BREADTH ?? 'available';
const WORST = Number(process.env.CAL_WORST ?? 8);
const DUMP = process.env.CAL_DUMP;
if (DUMP) writeFileSync(DUMP, '');
const LEVELS = ['normal', 'watch', 'warning', 'critical'];
const rank = (level) => LEVELS.indexOf(level);

const WINDOWS = [
  { name: 'volmageddon_2018', from: '2018-01-22', to: '2018-02-16', kind: 'stress' },
  { name: 'calm_2019', from: '2019-06-03', to: '2019-06-28', kind: 'calm' },
  { name: 'calm_2021', from: '2021-06-01', to: '2021-06-30', kind: 'calm' },
  { name: 'full_2022', from: '2022-01-03', to: '2022-12-30', kind: 'year' },
  { name: 'svb_2023', from: '2023-03-01', to: '2023-03-24', kind: 'stress' },
].filter((w) => !process.env.CAL_WINDOWS || process.env.CAL_WINDOWS.split(',').includes(w.name));

function cli(bin, args) {
  const result = spawnSync(process.execPath, [path.join(ROOT, 'bin', `${bin}.js`), ...args], {
    encoding: 'utf8',
    maxBuffer: 1 << 30,
  });
  if (result.status !== 0 && result.status !== 10) {
    throw new Error(`${bin} ${args.join(' ')} exited ${result.status}: ${result.stderr}`);
  }
  return result.stdout;
}

const etFormat = new Intl.DateTimeFormat('en-CA', {
  timeZone: 'America/New_York',
  year: 'numeric',
  month: '2-digit',
  day: '2-digit',
  hour: '2-digit',
  minute: '2-digit',
  hourCycle: 'h23',
});
function et(iso) {
  const parts = Object.fromEntries(etFormat.formatToParts(new Date(iso)).map((p) => [p.type, p.value]));
  return { date: `${parts.year}-${parts.month}-${parts.day}`, time: `${parts.hour}:${parts.minute}` };
}
function addDays(date, n) {
  return new Date(Date.parse(`${date}T00:00:00Z`) + n * 86_400_000).toISOString().slice(0, 10);
}
/** CME trade date of an instant: the 18:00 ET reopen starts the next one. */
function tradeDate(iso) {
  const { date, time } = et(iso);
  return time >= '18:00' ? addDays(date, 1) : date;
}
function months(from, to) {
  const out = [];
  for (let start = from; start <= to; ) {
    const next = `${addDays(`${start.slice(0, 7)}-28`, 4).slice(0, 7)}-01`;
    const end = [addDays(next, -1), to].sort()[0];
    out.push([start, end]);
    start = next;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// 1. Lake

const lake = process.env.CAL_LAKE ?? mkdtempSync(path.join(tmpdir(), 'signals-calibration-'));
const ownsLake = process.env.CAL_LAKE === undefined;
const log = (m) => process.stderr.write(`${m}\n`);
if (!existsSync(path.join(lake, 'lake', 'futures_bars'))) {
  for (const [file, args] of [
    ['nq-1min-calibration-windows.csv.gz', ['--symbol', 'NQ', '--bar-size', '1 min']],
    ['vix-daily.csv', ['--symbol', 'VIX']],
    ['vix3m-daily.csv', ['--symbol', 'VIX3M']],
  ]) {
    log(`importing ${file} …`);
    const report = JSON.parse(
      cli('futures', ['import', path.join(MARKET, file), ...args, '--data-dir', lake, '--json']),
    );
    log(`  ${report.written} rows written, ${report.bad} bad, ${report.tradeDates} trade dates`);
  }
}
// One config file per run: concurrent studies on one lake (e.g. CAL_BREADTH variants) must not share it.
const config = path.join(lake, `calibration.${process.pid}.config.json`);
writeFileSync(config, JSON.stringify({ signals: { earlyWarning: { breadthBasis: BREADTH } } }));

// ---------------------------------------------------------------------------------------------
// 2. Replays

const sessions = new Map(); // trade date → { window, kind, max, firstAt: {watch, warning, critical}, onPct, evaluations, skips }
const premarket = new Map(); // NYSE date → doc summary
const escalations = []; // { asOf, level } of every escalation to warning or critical, in replay order
let evaluations = 0;
let skips = 0;
const skipReasons = new Map();
const started = Date.now();
for (const w of WINDOWS) {
  for (const [from, to] of months(w.from, w.to)) {
    log(`regime ${w.name} ${from}..${to} …`);
    const out = cli('signals', [
      'regime',
      '--from',
      from,
      '--to',
      to,
      '--every',
      EVERY,
      '--data-dir',
      lake,
      '--config',
      config,
    ]);
    for (const line of out.split('\n')) {
      if (line.trim() === '') continue;
      const doc = JSON.parse(line);
      const day = tradeDate(doc.asOf);
      const s = sessions.get(day) ?? {
        window: w.name,
        kind: w.kind,
        max: 'normal',
        firstAt: {},
        at0925: null,
        carried: 'normal',
        onPct: null,
        evaluations: 0,
        skips: 0,
      };
      sessions.set(day, s);
      if (doc.schema !== 'signals.regime/v3') {
        skips++;
        s.skips++;
        const reason = doc.error.message.replace(/[-\d.:TZ]{10,}/g, '…').slice(0, 90);
        skipReasons.set(reason, (skipReasons.get(reason) ?? 0) + 1);
        continue;
      }
      evaluations++;
      // The first evaluation of a CME session shows the level carried over from the previous one.
      if (s.evaluations === 0) s.carried = doc.level;
      s.evaluations++;
      // A new detection is an escalation (not a level carried over from earlier checks).
      if (doc.transition === 'escalated' && rank(doc.level) >= rank('warning')) {
        escalations.push({ asOf: doc.asOf, level: doc.level });
      }
      if (DUMP) {
        const nq = doc.measures.perIndex.NQ;
        const r = (v) => (v === null || v === undefined ? null : Math.round(v * 100) / 100);
        appendFileSync(
          DUMP,
          `${JSON.stringify({
            t: doc.asOf,
            day,
            w: w.name,
            lvl: doc.level,
            cand: doc.candidate,
            tr: doc.transition,
            m1: nq ? [r(nq.m1.value), r(nq.m1.pct), nq.m1.level] : null,
            m2: nq ? [r(nq.m2.value), r(nq.m2.pct), nq.m2.windowMin, nq.m2.level] : null,
            m3: nq ? [r(nq.m3.value), r(nq.m3.pct), nq.m3.level] : null,
            m4: [doc.measures.m4.breadth, doc.measures.m4.level],
            m5: nq ? [r(nq.m5.value), r(nq.m5.rv60), nq.m5.level] : null,
            m7: [r(doc.measures.m7.value), doc.measures.m7.level],
            m8: nq ? [r(nq.m8.declinePct), r(nq.m8.decline60Pct), nq.m8.level] : null,
            vix: doc.inputs.vix.level,
            counts: doc.measures.counts,
          })}\n`,
        );
      }
      if (rank(doc.level) > rank(s.max)) s.max = doc.level;
      for (const level of ['watch', 'warning', 'critical']) {
        if (rank(doc.level) >= rank(level) && s.firstAt[level] === undefined) s.firstAt[level] = doc.asOf;
      }
      const t = et(doc.asOf);
      if (t.time === '09:30' && doc.measures.perIndex.NQ) s.onPct = doc.measures.perIndex.NQ.m1.pct;
      if (t.time === '09:25') s.at0925 = doc.level;
    }
  }
  if (process.env.CAL_SKIP_PREMARKET === '1') continue;
  log(`premarket ${w.name} …`);
  const out = cli('signals', [
    'premarket',
    '--from',
    w.from,
    '--to',
    w.to,
    '--data-dir',
    lake,
    '--config',
    config,
  ]);
  for (const line of out.split('\n')) {
    if (line.trim() === '') continue;
    const doc = JSON.parse(line);
    if (doc.schema !== 'signals.premarket/v3') continue;
    premarket.set(doc.sessionDate, {
      pct: doc.measures.perIndex.NQ?.pct ?? null,
      z: doc.measures.composite.z,
      bias: doc.decision.bias,
      mode: doc.decision.mode,
      confidence: doc.decision.confidence,
      bucket: doc.decision.vixBucket,
    });
  }
}
const seconds = Math.round((Date.now() - started) / 1000);

// ---------------------------------------------------------------------------------------------
// 3. Report

const fmtPct = (v) => (v === null || v === undefined ? '–' : `${v >= 0 ? '+' : ''}${v.toFixed(2)}%`);
const rel = (iso, day) => {
  if (iso === undefined) return '–';
  const t = et(iso);
  const before = t.date < day || t.time < '09:30';
  return `${t.date === day ? '' : `${t.date.slice(5)} `}${t.time}${before ? ' (before open)' : ''}`;
};
const lines = [];
lines.push(
  `Replay: \`signals regime --every ${EVERY}\` through every CME session, \`signals premarket\` at 09:25 ET;`,
);
lines.push(`config \`signals.earlyWarning.breadthBasis: '${BREADTH}'\` (NQ is the only index in the data).`);
lines.push(`${evaluations} regime evaluations, ${skips} skipped (no document), ${seconds} s.`);
lines.push('');
lines.push('| window | sessions | ≥ watch | ≥ warning | critical | warning-or-worse per 20 sessions |');
lines.push('|---|---|---|---|---|---|');
for (const w of WINDOWS) {
  const days = [...sessions.entries()].filter(([, s]) => s.window === w.name && s.evaluations > 0);
  const n = days.length;
  const count = (level) => days.filter(([, s]) => rank(s.max) >= rank(level)).length;
  lines.push(
    `| ${w.name} (${w.kind}) | ${n} | ${count('watch')} | ${count('warning')} | ${count('critical')} | ${n > 0 ? ((20 * count('warning')) / n).toFixed(2) : '–'} |`,
  );
}
lines.push('');
const worst = [...sessions.entries()]
  .filter(([, s]) => s.onPct !== null)
  .sort((a, b) => a[1].onPct - b[1].onPct)
  .slice(0, WORST);
lines.push(
  `Worst ${WORST} overnight moves (NQ at 09:30 ET vs the prior 16:00 close) and the first level reached in that CME session:`,
);
lines.push('');
lines.push(
  'Columns: the level carried in over the 18:00 ET reopen; the first new escalation to warning / critical between the previous 16:00 ET reference (the post-close hour included: the overnight move is measured from it) and 09:30 ET; the level at 09:25 ET.',
);
lines.push('');
lines.push(
  '| session | window | overnight | carried in at 18:00 | new warning since the 16:00 ref | new critical since the 16:00 ref | level at 09:25 | warning before 09:30 | premarket bias / mode |',
);
lines.push('|---|---|---|---|---|---|---|---|---|');
const sessionDays = [...sessions.entries()]
  .filter(([, s]) => s.evaluations > 0)
  .map(([d]) => d)
  .sort();
/** asOf lies in [16:00 ET of the previous session day, 09:30 ET of day). */
const inOvernight = (iso, prevDay, day) => {
  const t = et(iso);
  if (t.date === prevDay) return t.time >= '16:00';
  return t.date > prevDay && (t.date < day || (t.date === day && t.time < '09:30'));
};
let warnedBefore = 0;
let newBefore = 0;
for (const [day, s] of worst) {
  const p = premarket.get(day);
  const prevDay = sessionDays[sessionDays.indexOf(day) - 1] ?? addDays(day, -1);
  const fresh = escalations.filter((e) => inOvernight(e.asOf, prevDay, day));
  const newWarning = fresh[0]?.asOf;
  const newCritical = fresh.find((e) => e.level === 'critical')?.asOf;
  // A level carried in counts only while it is still in effect at the open, not when it stepped down first.
  const carriedWarning = rank(s.at0925 ?? 'normal') >= rank('warning');
  const verdict = newWarning !== undefined ? 'yes, new' : carriedWarning ? 'yes, carried only' : 'no';
  if (verdict !== 'no') warnedBefore++;
  if (newWarning !== undefined) newBefore++;
  lines.push(
    `| ${day} | ${s.window} | ${fmtPct(s.onPct)} | ${s.carried} | ${rel(newWarning, day)} | ${rel(newCritical, day)} | ${s.at0925 ?? '–'} | ${verdict} | ${p ? `${p.bias} / ${p.mode}` : '–'} |`,
  );
}
lines.push('');
lines.push(
  `Warning before 09:30 ET on ${warnedBefore} of ${worst.length} worst overnight selloffs; a new detection (an escalation to ≥ warning after the previous 16:00 ET reference) on ${newBefore} of ${worst.length}.`,
);
lines.push('');
const calm = [...sessions.entries()].filter(([, s]) => s.kind === 'calm' && rank(s.max) >= rank('warning'));
lines.push(
  `Calm sessions at warning or worse: ${calm.length === 0 ? 'none' : calm.map(([d, s]) => `${d} (${s.max}${rank(s.carried) >= rank('warning') ? `, carried in at ${s.carried}` : ''})`).join(', ')}.`,
);
const byBias = new Map();
for (const p of premarket.values()) byBias.set(p.bias, (byBias.get(p.bias) ?? 0) + 1);
lines.push(
  `Premarket decisions over ${premarket.size} sessions: ${[...byBias.entries()]
    .sort((a, b) => b[1] - a[1])
    .map(([b, n]) => `${b} ${n}`)
    .join(', ')}.`,
);
if (skipReasons.size > 0) {
  lines.push('');
  lines.push('Skipped evaluations by reason (first 5):');
  for (const [reason, n] of [...skipReasons.entries()].sort((a, b) => b[1] - a[1]).slice(0, 5)) {
    lines.push(`- ${n} × ${reason}`);
  }
}
process.stdout.write(`${lines.join('\n')}\n`);
rmSync(config, { force: true });
if (ownsLake && process.env.CAL_KEEP !== '1') rmSync(lake, { recursive: true, force: true });
else log(`lake kept at ${lake}`);
