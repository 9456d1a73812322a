/* The dashboard page: fetches the CLI's documents from /api/* (or reads them inlined by
 * `futures report --html`) and draws them with uPlot. No framework, no build step. */
(() => {
  // ?refresh=N polls every N seconds (tests); a trader's default is a collection round's pace.
  const params = new URLSearchParams(location.search);
  const asked = Number(params.get('refresh'));
  const REFRESH_MS = asked >= 1 ? asked * 1000 : 30_000;
  const INDICES = ['ES', 'NQ', 'RTY'];
  const ET = 'America/New_York';
  const GAP_MS = 30 * 60_000;
  const inlined = document.getElementById('dashboard-data');
  const STATIC = inlined ? JSON.parse(inlined.textContent) : null;
  // ?date=YYYY-MM-DD opens on a past session (a link to share).
  const state = { date: STATIC ? STATIC.date : params.get('date'), timer: null, seq: 0, charts: {} };
  const $ = (id) => document.getElementById(id);
  const views = window.dashboardViews;
  const { el, table, isError, errorText } = views;

  const etTime = (iso) =>
    iso === null || iso === undefined
      ? '–'
      : new Intl.DateTimeFormat('en-US', {
          timeZone: ET,
          month: 'short',
          day: 'numeric',
          hour: '2-digit',
          minute: '2-digit',
          hour12: false,
        }).format(new Date(iso));
  const pct = (x) => (x === null || x === undefined ? '–' : `${x >= 0 ? '+' : ''}${x.toFixed(2)}%`);
  const num = (x, d = 2) => (x === null || x === undefined ? '–' : Number(x).toFixed(d));
  const age = (s) => {
    if (s === null || s === undefined) return '–';
    if (s < 120) return `${s}s`;
    if (s < 7200) return `${Math.round(s / 60)}m`;
    return s < 172_800 ? `${(s / 3600).toFixed(1)}h` : `${(s / 86_400).toFixed(1)}d`;
  };

  function list(node, items) {
    node.replaceChildren(...items.map((item) => el('li', item)));
  }

  async function fetchJson(path) {
    const res = await fetch(path, { cache: 'no-store' });
    return res.json();
  }

  /** Fetches the documents and draws each as it arrives (the signals take longest); resolves to status. */
  async function load(current) {
    if (STATIC) {
      renderCall(STATIC.premarket);
      renderRegime(STATIC.regime);
      renderCharts(STATIC.premarket, STATIC.series);
      renderHealth(STATIC.status);
      if (STATIC.timeline) views.renderTimeline(STATIC.timeline);
      if (STATIC.coverage) views.renderCoverage(STATIC.coverage, STATIC.status);
      return STATIC.status;
    }
    const q = state.date ? `?date=${state.date}` : '';
    const draw = (render) => (doc) => {
      if (current()) render(doc);
      return doc;
    };
    // All four at once: the charts' window is the session's (the server knows it), not the call's answer.
    const got = { premarket: null, series: null };
    const charts = (name) => (doc) => {
      got[name] = doc;
      if (current() && got.series) renderCharts(got.premarket, got.series);
      return doc;
    };
    const status = fetchJson('api/status').then(draw(renderHealth));
    const regime = fetchJson(`api/regime${q}`).then(draw(renderRegime));
    const series = fetchJson(`api/series${q}`).then(charts('series'));
    const premarket = fetchJson(`api/premarket${q}`).then(draw(renderCall)).then(charts('premarket'));
    // The week's regime, the coverage and the quarter's scorecard are asked once the cards and charts are
    // drawn: on two cores they would otherwise slow the first paint down.
    await Promise.all([regime, series, premarket]);
    if (!current()) return status;
    const timeline = fetchJson(`api/timeline${q}`).then(draw(views.renderTimeline));
    const coverage = Promise.all([fetchJson(`api/coverage${q}`), status]).then(([doc, st]) => {
      if (current()) views.renderCoverage(doc, st);
    });
    if (state.scorecardFor !== q) {
      state.scorecardFor = q;
      fetchJson(`api/scorecard${q}`).then(draw(views.renderScorecard));
    }
    await Promise.all([timeline, coverage]);
    return status;
  }

  function renderCall(doc) {
    const bias = $('call-bias');
    if (isError(doc)) {
      bias.textContent = 'no call';
      bias.className = 'error';
      $('call-mode').textContent = '';
      $('call-meta').textContent = errorText(doc);
      table($('call-guidance'), [], []);
      list($('call-reasons'), []);
      return;
    }
    const d = doc.decision;
    bias.textContent = d.bias;
    bias.className = d.bias;
    $('call-mode').textContent = `${d.mode} · ${d.strength}`;
    $('call-meta').textContent =
      `confidence ${num(d.confidence)} · band ${d.band} · VIX ${num(doc.inputs.vix.level, 1)} · as of ${etTime(doc.asOf)} ET`;
    $('session').textContent =
      `session ${doc.sessionDate}, since the ${etTime(doc.reference.time)} ET reference`;
    table(
      $('call-guidance'),
      ['ETF', 'direction', 'conviction', 'entry', 'gap', 'posture'],
      Object.values(doc.guidance).map((g) => [
        g.etf,
        g.direction,
        num(g.conviction),
        g.entry,
        pct(g.gapPct),
        g.riskPosture,
      ]),
    );
    list($('call-reasons'), doc.reasons);
  }

  function renderRegime(doc) {
    $('regime').classList.remove('stale');
    const level = $('regime-level');
    if (isError(doc)) {
      level.textContent = 'unknown';
      level.className = 'error';
      $('regime-meta').textContent = errorText(doc);
      list($('regime-reasons'), []);
      return;
    }
    level.textContent = doc.level;
    level.className = doc.level;
    $('regime-meta').textContent =
      `candidate ${doc.candidate} · ${doc.transition} · since ${etTime(doc.since)} ET`;
    list($('regime-reasons'), doc.reasons);
  }

  const AXIS = { stroke: '#8b949e', grid: { stroke: '#30363d', width: 1 }, ticks: { stroke: '#30363d' } };

  function chartOf(symbol, path, reference, title, stretch) {
    let box = $(`chart-${symbol}`);
    if (!box) {
      box = el('div', undefined, 'chart');
      box.id = `chart-${symbol}`;
      box.append(el('h3'));
      $('charts').append(box);
    }
    box.querySelector('h3').replaceChildren(...title);
    if (state.charts[symbol]) state.charts[symbol].destroy();
    // A stretch with no snapshots (the daily halt, a weekend, an outage) is a gap, not a straight line.
    const xs = [];
    const ys = [];
    path.ts.forEach((t, i) => {
      if (i > 0 && t - path.ts[i - 1] > GAP_MS) {
        xs.push((path.ts[i - 1] + 1000) / 1000);
        ys.push(null);
      }
      xs.push(t / 1000);
      ys.push(path.price[i]);
    });
    const data = [xs, ys];
    const series = [{}, { label: symbol, stroke: '#58a6ff', width: 1.5 }];
    if (reference !== null) {
      data.push(xs.map(() => reference));
      series.push({ label: '16:00 ref', stroke: '#d29922', width: 1, dash: [6, 4] });
    }
    const width = Math.max(280, box.clientWidth - 16);
    state.charts[symbol] = new uPlot(
      {
        width,
        height: 200,
        series,
        axes: [AXIS, { ...AXIS, size: 70 }],
        // The whole window, data or not: the session shading shows what the market was doing meanwhile.
        scales: { x: stretch.range ? { time: true, range: () => stretch.range } : { time: true } },
        plugins: [views.sessionShading(stretch.sessions)],
        tzDate: (ts) => uPlot.tzDate(new Date(ts * 1000), ET),
        legend: { show: true },
      },
      data,
      box,
    );
  }

  function renderCharts(premarket, seriesDoc) {
    const ok = premarket !== null && !isError(premarket);
    $('charts').classList.remove('stale');
    $('charts').dataset.session = ok ? premarket.sessionDate : '';
    const empty = { ts: [], price: [] };
    const series = isError(seriesDoc) ? {} : seriesDoc.series;
    const stretch = isError(seriesDoc)
      ? { range: null, sessions: [] }
      : {
          range: [Date.parse(seriesDoc.from) / 1000, Date.parse(seriesDoc.to) / 1000],
          sessions: seriesDoc.sessions || [],
        };
    views.sessionLegend($('session-legend'));
    for (const symbol of INDICES) {
      const path = series[symbol] || empty;
      const input = ok ? premarket.inputs.perIndex[symbol] : null;
      const measure = ok ? premarket.measures.perIndex[symbol] : null;
      const title = [el('span', symbol), ` ${path.ts.length} points`];
      if (measure) {
        title.push(el('span', ` ${pct(measure.pct)}`, measure.pct >= 0 ? 'up' : 'down'));
        title.push(` · high ${num(measure.path.high)} · low ${num(measure.path.low)}`);
      }
      chartOf(symbol, path, input ? input.reference.price : null, title, stretch);
    }
    const vix = series.VIX || empty;
    const level = ok ? premarket.inputs.vix : null;
    const vixTitle = [el('span', 'VIX'), ` ${level ? num(level.level, 1) : '–'}`];
    if (level && level.priorClose !== null) vixTitle.push(` (prior close ${num(level.priorClose, 1)})`);
    chartOf('VIX', vix, level ? level.priorClose : null, vixTitle, stretch);
  }

  function renderHealth(doc) {
    if (isError(doc)) {
      $('health-summary').replaceChildren(el('p', errorText(doc), 'error'));
      return;
    }
    const m = doc.market;
    const counts = doc.queue.counts;
    const lines = [
      m.open ? `market open (${m.segment}, trade date ${m.tradeDate})` : `market closed: ${m.reason}`,
      `freshness: ${doc.freshness.reason}`,
      counts === null
        ? 'queue: none yet (no collector has run)'
        : `queue: ${Object.entries(counts.byStatus)
            .map(([k, v]) => `${k} ${v}`)
            .join(', ')}`,
      `collector: ${doc.locks.collect ? `pid ${doc.locks.collect.pid} (${doc.locks.collect.state})` : 'free'}` +
        ` · compactor: ${doc.locks.compact ? `pid ${doc.locks.compact.pid}` : 'free'}`,
      `gaps in the last ${doc.gapWindowHours} h: ${doc.gaps.reduce((n, g) => n + g.slots, 0)} slot(s)`,
    ];
    if (doc.lake.problem !== null) lines.unshift(`PROBLEM: ${doc.lake.problem}`);
    $('health-summary').replaceChildren(
      ...lines.map((line) => el('div', line, line.startsWith('PROBLEM') ? 'error' : '')),
    );
    table(
      $('health-instruments'),
      ['symbol', 'last snapshot (ET)', 'age', 'contract', 'source', 'quality'],
      doc.instruments.map((i) => [
        i.symbol,
        etTime(i.lastTs),
        age(i.ageSeconds),
        i.localSymbol ?? '–',
        i.source ?? '–',
        i.quality.join(',') || '–',
      ]),
    );
    table(
      $('health-tables'),
      ['table', 'version', 'files', 'bytes', 'last commit (ET)'],
      doc.tables.map((t) => [t.name, t.version ?? 'absent', t.files, t.bytes, etTime(t.lastCommitAt)]),
    );
  }

  async function refresh() {
    const seq = ++state.seq;
    // A refresh overtaken by a newer one (the date changed meanwhile) draws nothing more.
    const current = () => seq === state.seq;
    try {
      const status = await load(current);
      if (!current()) return;
      const stamp = STATIC
        ? `report of ${etTime(status.now)} ET`
        : `updated ${etTime(new Date().toISOString())}`;
      $('updated').textContent = stamp;
      $('updated').className = 'muted';
      if (!state.date && !STATIC && !isError(status)) $('date').value = status.market.tradeDate;
    } catch (error) {
      $('updated').textContent = `refresh failed: ${error.message}`;
      $('updated').className = 'error';
    }
  }

  /** Polls the live view: the next refresh starts a period after the last one ended, never on top of it. */
  function schedule() {
    clearTimeout(state.timer);
    if (STATIC || state.date !== null) return; // a past session does not change
    state.timer = setTimeout(async () => {
      await refresh();
      if (state.date === null) schedule();
    }, REFRESH_MS);
  }

  /** Another session was asked for: what still shows the previous one is dimmed until replaced. */
  function markStale() {
    $('charts').classList.add('stale');
    $('regime').classList.add('stale');
    $('timeline-strip').classList.add('stale');
  }

  $('date').addEventListener('change', () => {
    state.date = $('date').value || null;
    markStale();
    refresh().then(schedule);
  });
  $('live').addEventListener('click', () => {
    state.date = null;
    markStale();
    refresh().then(schedule);
  });
  /** Live refresh: the server says when a commit lands (a collection round, a backfill, a compaction). */
  function listen() {
    if (STATIC || typeof EventSource !== 'function') return;
    const source = new EventSource('api/events');
    let seen = null;
    source.addEventListener('lake', (event) => {
      // The first event is the lake as it is (and again after a reconnect): redraw only on a change.
      if (seen !== null && event.data !== seen && state.date === null) {
        clearTimeout(state.timer);
        refresh().then(schedule);
      }
      seen = event.data;
      document.body.dataset.lake = event.data;
    });
  }

  if (state.date) $('date').value = state.date;
  if (STATIC) {
    $('date').value = STATIC.date ?? '';
    $('date').disabled = true;
    $('live').hidden = true;
    $('scorecard').hidden = true; // a quarter's grading is not part of a night's report
  }
  listen();
  refresh().then(schedule);
})();
