#!/usr/bin/env node
/**
 * The acceptance table of issue 24 from a lake (in-process, on the built dist/):
 *
 *   npm run build && node scripts/signals-acceptance.mjs --data-dir /tmp/cal --config cal.config.json
 *
 * 1. The 09:25 ET pre-market call of every NYSE session of --year (default 2022), with the one-shot early
 *    warning (state derived from the lake) it carries; the overnight move is the call's own measure of
 *    --symbol (default NQ): 16:00 ET of the previous session → 09:25 ET, same contract.
 * 2. The --worst (10) largest declines: the call must be bearish (any strength, any mode), the early warning
 *    at least watch, and at least warning where the decline is ≥ 2.5 %. The largest rises: no bear/strong_bear.
 * 3. Calm months (--calm, default 2019-06,2021-06): 09:25 one-shot warnings per 20 sessions, and regime
 *    checks every 5 minutes 04:00–16:00 ET (a replay carrying its state) at warning or worse per 20 checks.
 * Prints Markdown on stdout; exit 1 when a row fails.
 */
import { parseArgs } from 'node:util';
import {
  loadPremarketWindow,
  PREMARKET_WINDOW_SESSIONS,
  premarketInstants,
  premarketInWindow,
} from '../dist/app/evaluate/premarket.js';
import { regimeStrategy } from '../dist/app/evaluate/regime.js';
import { addDays, etInstant, etParts } from '../dist/market/index.js';
import { openSession } from './signals-session.mjs';

const { values } = parseArgs({
  options: {
    'data-dir': { type: 'string' },
    config: { type: 'string' },
    year: { type: 'string', default: '2022' },
    symbol: { type: 'string', default: 'NQ' },
    worst: { type: 'string', default: '10' },
    calm: { type: 'string', default: '2019-06,2021-06' },
  },
});
if (!values['data-dir']) {
  process.stderr.write(
    'usage: node scripts/signals-acceptance.mjs --data-dir DIR [--config FILE] [--year 2022]\n',
  );
  process.exit(2);
}
const SYMBOL = values.symbol;
const WORST = Number(values.worst);
const LEVELS = ['normal', 'watch', 'warning', 'critical'];
const rank = (l) => LEVELS.indexOf(l ?? 'normal');
const log = (m) => process.stderr.write(`${m}\n`);

const { session, close } = await openSession(values['data-dir'], values.config);
const now = new Date();

async function premarketCalls(from, to) {
  const instants = premarketInstants(from, to, now, session);
  const docs = [];
  for (let i = 0; i < instants.length; i += PREMARKET_WINDOW_SESSIONS) {
    const chunk = instants.slice(i, i + PREMARKET_WINDOW_SESSIONS);
    const window = await loadPremarketWindow(session, chunk);
    for (const asOf of chunk) {
      try {
        docs.push(await premarketInWindow(session, window, asOf));
      } catch (error) {
        log(`skipped ${asOf.toISOString()}: ${error.message}`);
      }
    }
  }
  return docs;
}

function monthEnd(month) {
  return addDays(`${addDays(`${month}-28`, 4).slice(0, 7)}-01`, -1);
}

/** Regime checks every 5 min through each trade date of the month, counted 04:00–16:00 ET. */
async function calmChecks(month) {
  const strategy = regimeStrategy(5 * 60_000);
  const groups = strategy.replayInstants({ from: `${month}-01`, to: monthEnd(month) }, now, session);
  let checks = 0;
  let warnings = 0;
  let previous;
  for (const instants of groups) {
    const slice = await strategy.loadGroup(session, instants);
    for (const asOf of instants) {
      try {
        previous = await strategy.evaluateInReplay(session, slice, asOf, previous);
      } catch {
        continue;
      }
      const { minuteOfDay } = etParts(asOf);
      if (minuteOfDay < 240 || minuteOfDay > 960) continue;
      checks++;
      if (rank(previous.level) >= 2) warnings++;
    }
  }
  return { checks, warnings };
}

const started = performance.now();
const year = await premarketCalls(`${values.year}-01-01`, `${values.year}-12-31`);
const perCall = (performance.now() - started) / Math.max(1, year.length);
const withMove = year
  .map((d) => ({ d, pct: d.measures.perIndex[SYMBOL]?.pct }))
  .filter((x) => typeof x.pct === 'number');
const declines = [...withMove].sort((a, b) => a.pct - b.pct).slice(0, WORST);
const rises = [...withMove].sort((a, b) => b.pct - a.pct).slice(0, WORST);

let failures = 0;
const row = ({ d, pct }, checks) => {
  const ew = d.earlyWarning;
  const problems = checks(d, pct);
  if (problems.length > 0) failures++;
  return `| ${d.sessionDate} | ${pct >= 0 ? '+' : ''}${pct.toFixed(2)} % | ${d.decision.bias} | ${d.decision.mode} | ${d.decision.strength} | ${d.inputs.regime.value} (${d.inputs.regime.source}) | ${ew?.level ?? '–'} | ${ew?.candidate ?? '–'} | ${problems.length === 0 ? 'ok' : `**${problems.join('; ')}**`} |`;
};
const header =
  '| session | overnight | bias | mode | strength | regime | early warning | candidate | check |\n|---|---|---|---|---|---|---|---|---|';

const out = [];
out.push(`## ${values.year}: the ${WORST} largest ${SYMBOL} overnight declines (16:00 → 09:25 ET)\n`);
out.push(header);
for (const x of declines) {
  out.push(
    row(x, (d, pct) => {
      const p = [];
      if (!d.decision.bias.endsWith('bear')) p.push(`bias ${d.decision.bias} is not bearish`);
      const need = pct <= -2.5 ? 'warning' : 'watch';
      if (rank(d.earlyWarning?.level) < rank(need)) p.push(`early warning below ${need}`);
      return p;
    }),
  );
}
out.push(`\n## ${values.year}: the ${WORST} largest ${SYMBOL} overnight rises\n`);
out.push(header);
for (const x of rises) {
  out.push(
    row(x, (d) =>
      d.decision.bias === 'bear' || d.decision.bias === 'strong_bear' ? [`bias ${d.decision.bias}`] : [],
    ),
  );
}
out.push('\n## Calm months\n');
out.push(
  '| month | 09:25 calls | early warning ≥ warning at 09:25 | per 20 | 5-min checks 04:00–16:00 | ≥ warning | per 20 | check |\n|---|---|---|---|---|---|---|---|',
);
for (const month of values.calm.split(',')) {
  const calls = await premarketCalls(`${month}-01`, monthEnd(month));
  const warned = calls.filter((d) => rank(d.earlyWarning?.level) >= 2).length;
  const { checks, warnings } = await calmChecks(month);
  const per20a = calls.length === 0 ? 0 : (20 * warned) / calls.length;
  const per20b = checks === 0 ? 0 : (20 * warnings) / checks;
  const ok = per20a <= 1 && per20b <= 1;
  if (!ok) failures++;
  out.push(
    `| ${month} | ${calls.length} | ${warned} | ${per20a.toFixed(2)} | ${checks} | ${warnings} | ${per20b.toFixed(2)} | ${ok ? 'ok' : '**more than 1 per 20**'} |`,
  );
}
out.push(
  `\n${year.length} calls of ${values.year} in ${((performance.now() - started) / 1000).toFixed(1)} s in all; ${perCall.toFixed(1)} ms per pre-market call with its early warning (${etInstant(`${values.year}-01-03`, '09:25').toISOString().slice(0, 4)} replay, windows of ${PREMARKET_WINDOW_SESSIONS} sessions). Rows failing: ${failures}.`,
);
process.stdout.write(`${out.join('\n')}\n`);
close();
process.exit(failures === 0 ? 0 : 1);
