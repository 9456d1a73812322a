/* The dashboard's strips and tables beyond the Tonight cards: session shading for the charts, the regime
 * timeline, the coverage heat strip and the scorecard. Loaded before dashboard.js, which calls them. */
(() => {
  const ET = 'America/New_York';
  const $ = (id) => document.getElementById(id);
  const etClock = new Intl.DateTimeFormat('en-US', {
    timeZone: ET,
    weekday: 'short',
    hour: '2-digit',
    minute: '2-digit',
    hour12: false,
  });
  const at = (ms) => etClock.format(new Date(ms));
  const pct = (x) => (x === null || x === undefined ? '–' : `${(x * 100).toFixed(0)}%`);
  const interval = (i) => (i ? ` [${pct(i.low)}–${pct(i.high)}]` : '');
  const isError = (doc) => doc && doc.schema === 'error/v1';
  const errorText = (doc) => `${doc.error.message}${doc.error.hint ? ` ${doc.error.hint}` : ''}`;

  function el(tag, text, cls) {
    const node = document.createElement(tag);
    if (text !== undefined) node.textContent = String(text);
    if (cls) node.className = cls;
    return node;
  }

  function table(node, head, rows) {
    node.replaceChildren();
    const tr = el('tr');
    for (const h of head) tr.append(el('th', h));
    node.append(tr);
    for (const row of rows) {
      const r = el('tr');
      for (const cell of row) r.append(el('td', cell));
      node.append(r);
    }
  }

  /** Session colours behind the price lines (translucent: the line stays the thing to read). */
  const SESSION_FILL = {
    overnight: 'rgba(88, 166, 255, 0.07)',
    rth: 'rgba(63, 185, 80, 0.10)',
    post: 'rgba(163, 113, 247, 0.10)',
    halt: 'rgba(139, 148, 158, 0.22)',
    weekend: 'rgba(139, 148, 158, 0.22)',
    holiday: 'rgba(139, 148, 158, 0.22)',
    early_close: 'rgba(139, 148, 158, 0.22)',
    closed: 'rgba(139, 148, 158, 0.22)',
  };
  const SESSION_LABEL = { overnight: 'overnight', rth: 'US cash (RTH)', post: 'post-close', halt: 'closed' };

  /** A uPlot plugin that fills each session band of [from, to) behind the series. */
  function sessionShading(bands) {
    return {
      hooks: {
        drawClear: [
          (u) => {
            const { ctx, bbox } = u;
            ctx.save();
            for (const band of bands) {
              const x0 = Math.max(bbox.left, u.valToPos(band.from / 1000, 'x', true));
              const x1 = Math.min(bbox.left + bbox.width, u.valToPos(band.to / 1000, 'x', true));
              if (!(x1 > x0)) continue;
              ctx.fillStyle = SESSION_FILL[band.kind] || SESSION_FILL.closed;
              ctx.fillRect(x0, bbox.top, x1 - x0, bbox.height);
            }
            ctx.restore();
          },
        ],
      },
    };
  }

  function sessionLegend(node) {
    node.replaceChildren(
      ...Object.entries(SESSION_LABEL).map(([kind, label]) => {
        const item = el('span', label, 'swatch');
        item.style.setProperty('--swatch', SESSION_FILL[kind].replace(/[\d.]+\)$/, '0.6)'));
        return item;
      }),
    );
  }

  /** The regime level over the week: one coloured block per step, its measures on hover. */
  function renderTimeline(doc) {
    const strip = $('timeline-strip');
    const detail = $('timeline-detail');
    strip.classList.remove('stale');
    if (isError(doc)) {
      strip.replaceChildren(el('p', errorText(doc), 'error'));
      detail.textContent = '';
      return;
    }
    const steps = doc.steps;
    if (steps.length === 0) {
      strip.replaceChildren(el('p', 'no checks in this week', 'muted'));
      return;
    }
    const first = steps[0].from;
    const span = steps.at(-1).to - first;
    const describe = (s) =>
      `${at(s.from)} – ${at(s.to)} ET · ${s.level ?? 'no check'}` +
      `${s.candidate && s.candidate !== s.level ? ` (candidate ${s.candidate})` : ''}` +
      `${s.breadth === null ? '' : ` · breadth ${s.breadth}`}` +
      `${s.worstWindowMin === null ? '' : ` · worst window ${s.worstWindowMin} min`} · ${s.checks} check(s)`;
    const blocks = steps.map((s) => {
      const block = el('div', undefined, `step ${s.level ?? 'none'}`);
      block.style.left = `${((s.from - first) / span) * 100}%`;
      block.style.width = `${Math.max(0.05, ((s.to - s.from) / span) * 100)}%`;
      block.dataset.level = s.level ?? 'none';
      block.title = `${describe(s)}\n${s.reasons.join('\n')}`;
      const show = () => {
        detail.replaceChildren(el('div', describe(s)), ...s.reasons.map((r) => el('div', r, 'muted')));
      };
      block.addEventListener('mouseenter', show);
      block.addEventListener('click', show);
      return block;
    });
    strip.replaceChildren(...blocks);
    // A tick where each ET day's checks begin.
    const ticks = [];
    let day = null;
    for (const s of steps) {
      const name = at(s.from).split(' ')[0];
      if (name === day) continue;
      day = name;
      const tick = el('span', name, 'tick');
      tick.style.left = `${((s.from - first) / span) * 100}%`;
      ticks.push(tick);
    }
    $('timeline-axis').replaceChildren(...ticks);
    const last = steps.at(-1);
    detail.replaceChildren(el('div', `latest: ${describe(last)}`));
  }

  /** The gap `futures status` reports for a symbol's hour, if any: its cause and recorded reason. */
  function gapOf(status, symbol, hour) {
    if (!status || isError(status) || !Array.isArray(status.gaps)) return null;
    return (
      status.gaps.find(
        (g) => g.symbol === symbol && Date.parse(g.from) < hour + 3_600_000 && Date.parse(g.to) >= hour,
      ) || null
    );
  }

  /** A gap's colour group: IB's side, the gateway, our collector, the lake (status's causes). */
  const CAUSE_GROUP = {
    ib_reset: 'ib',
    ib_outage: 'ib',
    competing_session: 'ib',
    pacing: 'ib',
    request_refused: 'ib',
    no_answer: 'ib',
    gateway_down: 'gateway',
    collector_down: 'collector',
    lost_commit: 'lake',
  };

  /** Per symbol, one cell per hour: collected against expected, closed hours with the calendar's reason. */
  function renderCoverage(doc, status) {
    const node = $('coverage');
    if (isError(doc)) {
      node.replaceChildren(el('p', errorText(doc), 'error'));
      return;
    }
    const rows = Object.entries(doc.symbols).map(([symbol, hours]) => {
      const row = el('div', undefined, 'coverage-row');
      row.append(el('span', symbol, 'coverage-symbol'));
      for (const h of hours) {
        const got = h.rows + h.backfilled;
        let state;
        let why = '';
        if (h.closed !== null) {
          state = 'closed';
          why = h.closed;
        } else if (h.expected === 0) state = 'closed';
        else if (h.rows >= 0.9 * h.expected) state = 'full';
        else if (got >= 0.9 * h.expected) state = 'backfilled';
        else {
          state = got > 0 ? 'partial' : 'missing';
          const gap = gapOf(status, symbol, h.hour);
          const cause = gap ? gap.cause || gap.kind : null;
          if (cause) state += ` cause-${CAUSE_GROUP[cause] || 'other'}`;
          why = cause
            ? `${cause.replaceAll('_', ' ')}${gap.reason ? ` (${gap.reason})` : ''}`
            : got > 0
              ? 'partial'
              : 'missed';
        }
        const cell = el('span', undefined, `cell ${state}`);
        cell.dataset.state = state.split(' ')[0];
        cell.title =
          `${symbol} ${at(h.hour)} ET: ${got}/${h.expected} slot(s)` +
          `${h.backfilled ? `, ${h.backfilled} backfilled` : ''}${why ? ` · ${why}` : ''}`;
        row.append(cell);
      }
      return row;
    });
    const hours = Object.values(doc.symbols)[0] || [];
    const axis = el('div', undefined, 'coverage-row');
    axis.append(el('span', 'ET', 'coverage-symbol muted'));
    hours.forEach((h, i) => {
      axis.append(el('span', i % 3 === 0 ? at(h.hour).split(' ')[1].slice(0, 2) : '', 'cell-label'));
    });
    node.replaceChildren(...rows, axis);
  }

  /** `signals evaluate` over the last quarter: hit rates by band against the naive rule; the early warning. */
  function renderScorecard(doc) {
    const summary = $('scorecard-summary');
    if (isError(doc)) {
      summary.replaceChildren(el('p', errorText(doc), 'error'));
      table($('scorecard-bands'), [], []);
      table($('scorecard-warning'), [], []);
      return;
    }
    const w = doc.window;
    const p = doc.premarket.overall;
    summary.replaceChildren(
      el(
        'div',
        `${w.from} → ${w.to}: ${w.sessions} session(s), call at ${w.at} ET, graded on ${w.reference}`,
      ),
      el(
        'div',
        `ours ${p.ours.hits}/${p.ours.graded} ${pct(p.ours.hitRate)}${interval(p.ours.hitInterval)} · ` +
          `naive ${p.naive.hits}/${p.naive.graded} ${pct(p.naive.hitRate)}${interval(p.naive.hitInterval)}`,
      ),
    );
    table(
      $('scorecard-bands'),
      ['band', 'calls', 'ours hit rate', 'naive hit rate'],
      doc.premarket.byBand.map((b) => [
        b.band,
        b.ours.count,
        `${b.ours.hits}/${b.ours.graded} ${pct(b.ours.hitRate)}${interval(b.ours.hitInterval)}`,
        `${b.naive.hits}/${b.naive.graded} ${pct(b.naive.hitRate)}${interval(b.naive.hitInterval)}`,
      ]),
    );
    const e = doc.earlyWarning;
    const lead = e.medianLeadMinutes === null ? '–' : `${e.medianLeadMinutes} min`;
    table(
      $('scorecard-warning'),
      ['drawdowns', 'precision', 'recall', 'median lead', 'alerts / 20 calm checks', 'checks'],
      [
        [
          `${e.events} of ≥ ${e.drawdownPct}%`,
          `${pct(e.precision)}${interval(e.precisionInterval)}`,
          `${pct(e.recall)}${interval(e.recallInterval)}`,
          lead,
          e.alertsPer20CalmChecks === null ? '–' : e.alertsPer20CalmChecks.toFixed(2),
          `${e.checks} (${e.skippedChecks} skipped)`,
        ],
      ],
    );
  }

  window.dashboardViews = {
    sessionShading,
    sessionLegend,
    renderTimeline,
    renderCoverage,
    renderScorecard,
    // The DOM helpers dashboard.js shares.
    el,
    table,
    isError,
    errorText,
  };
})();
