// Operations pages: data health, live events, monitoring.
import { api, chart, csvUrl, h, num, query, rangeControls, state, table } from './ui.js';

/** Raw figures behind one score, shown under its row on click. */
function scoreDetails(r) {
  const line = (k, v, p) => h('tr', {}, h('td', {}, k), h('td', { class: 'n' }, num(v)), h('td', { class: 'n' }, p === undefined ? '' : `${p}%`));
  return h('div', { 'data-testid': 'score-details' },
    h('table', {}, h('thead', {}, h('tr', {}, h('th', {}, 'figure'), h('th', { class: 'n' }, 'value'), h('th', { class: 'n' }, 'share'))),
      h('tbody', {}, line('events (after dedupe)', r.events), line('duplicates removed', r.duplicates, r.duplicate_pct), line('events lost on devices (seq gaps)', r.seq_gaps, r.gap_pct), line('rows quarantined', r.quarantined_rows, r.quarantine_pct), line('hours restated by late data', r.restated_hours))),
    h('p', { class: 'muted' }, `penalties: gaps −${r.penalty_gaps}, quarantined −${r.penalty_quarantined}, duplicates −${r.penalty_duplicates}, restatements −${r.penalty_restatements}`));
}

export async function healthPage(root, params) {
  const q = { from: params.get('from'), to: params.get('to'), tz: params.get('tz') || state.tz };
  root.append(h('h1', {}, 'Data health'), rangeControls(params, (r) => (location.hash = `#/health?${query(r)}`)));
  const big = { ...q, limit: 1000 };
  const admin = state.user.role === 'admin';
  const [d, sc, rs, qr, jr] = await Promise.all([api(`/api/health?${query(q)}`), api(`/api/health/scores?${query(big)}`), api(`/api/health/restatements?${query(big)}`), api(`/api/health/quarantined?${query(big)}`), admin ? api('/api/health/job-runs?limit=1000') : null]);
  // Lists longer than one answer say so; their CSV has every row.
  const more = (x) => (x.total > x.rows.length ? h('p', { class: 'muted' }, `the first ${num(x.rows.length)} of ${num(x.total)}; the CSV has all`) : null);
  const p = (title, rows, name, path = '/api/health', testid = name) => h('div', { class: 'panel' }, h('h2', {}, title), table(rows, { csv: csvUrl(path, q, name), testid: `health-${testid}` }));
  const scorePanel = h('div', { class: 'panel' },
    h('h2', {}, 'Health score per app and UTC day (worst first; click a row for its figures)'),
    h('p', { class: 'muted', title: sc.formula }, '100 minus up to 40 for events lost on devices (full at 10%), 30 for quarantined rows (full at 1%), 20 for duplicates (full at 25%), 10 for restated hours (full at 24)'),
    table(sc.rows, { csv: csvUrl('/api/health/scores', q, 'rows'), testid: 'health-scores', cols: ['score', 'app_id', 'day', 'events', 'gap_pct', 'duplicate_pct', 'quarantined_rows', 'restated_hours'], expand: scoreDetails, cellClass: (k, r) => (k !== 'score' ? '' : r.score < 60 ? 'score-bad' : r.score >= 90 ? 'score-ok' : '') }), more(sc));
  root.append(
    scorePanel,
    p('Ingest lag', d.ingest_lag, 'ingest_lag'),
    p('Completeness (events lost on devices, from seq gaps) and duplicates removed', d.completeness, 'completeness'),
    h('div', {}, p(`Late-data restatements (${num(rs.total)})`, rs.rows, 'rows', '/api/health/restatements', 'restatements'), more(rs)),
    h('div', {}, p(`Quarantined rows (${num(qr.total)}; the pipeline or the jobs could not store them; the rest loaded)`, qr.rows.map((x) => ({ at: x.at, source: x.source, app_id: x.app_id, day: x.day, reason: x.reason, rows: x.row_count, detail: x.detail, lake_key: x.lake_key })), 'rows', '/api/health/quarantined', 'quarantined'), more(qr)),
  );
  if (jr) root.append(h('div', {}, p(`Job runs (${num(jr.total)})`, jr.rows.map((r) => ({ workflow: r.workflow, partition: r.partition_key, status: r.status, started_at: r.started_at, duration_ms: r.duration_ms, rows: r.row_count, error: r.error })), 'rows', '/api/health/job-runs', 'job_runs'), more(jr)));
}

export async function livePage(root) {
  root.append(h('h1', {}, 'Live'));
  const eps = h('div', { class: 'v', 'data-testid': 'live-eps' }, '–');
  const status = h('p', { class: 'muted', 'data-testid': 'live-status' }, 'connecting…');
  const chartEl = h('div', { class: 'panel' });
  const list = h('div', { class: 'panel' });
  root.append(h('div', { class: 'cards' }, h('div', { class: 'card' }, eps, h('div', { class: 'k' }, 'events/s'))), status, chartEl, h('h2', {}, 'Latest events per app'), list);
  const xs = [];
  const ys = [];
  let latest = [];
  const ws = new WebSocket(`${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/api/live`);
  const render = () => {
    const byApp = new Map();
    for (const e of latest) byApp.set(e.app_id, [...(byApp.get(e.app_id) ?? []).slice(-4), e]);
    list.replaceChildren(table([...byApp.values()].flat().reverse().map((e) => ({ app_id: e.app_id, type: e.type, name: e.name, platform: e.platform, country: e.country, app_version: e.app_version, device_time: new Date(e.ts).toISOString() })), { testid: 'live-events' }));
  };
  ws.onmessage = (m) => {
    const msg = JSON.parse(m.data);
    if (msg.kind === 'hello') {
      status.textContent = msg.enabled ? 'connected' : msg.error;
      latest = msg.events;
    } else {
      eps.textContent = String(msg.events_per_second);
      latest = [...latest, ...msg.events].slice(-200);
      xs.push(msg.at / 1000);
      ys.push(msg.events_per_second);
      if (xs.length > 120) xs.shift(), ys.shift();
      chart(chartEl, xs, { 'events/s': ys }, { height: 180 });
    }
    render();
  };
  ws.onclose = () => (status.textContent = 'disconnected');
  // The router calls this when the page changes.
  return () => ws.close();
}

export async function monitoringPage(root) {
  root.append(h('h1', {}, 'Monitoring'));
  const d = await api('/api/monitoring');
  root.append(
    h('div', { class: 'panel' }, h('h2', {}, 'Alert rules'), h('table', { 'data-testid': 'rules' },
      h('thead', {}, h('tr', {}, h('th', {}, 'rule'), h('th', {}, 'state'), h('th', { class: 'n' }, 'value'), h('th', {}, 'since'))),
      h('tbody', {}, ...d.rules.map((r) => h('tr', {}, h('td', { title: r.description }, `${r.name} — ${r.description}`), h('td', { class: r.state === 'firing' ? 'firing' : r.state === 'ok' ? 'ok' : 'muted' }, r.state), h('td', { class: 'n' }, r.value ?? ''), h('td', {}, r.since ?? '')))))),
    h('div', { class: 'panel' }, h('h2', {}, 'Scrape targets'), table(d.targets, { csv: csvUrl('/api/monitoring', {}, 'targets') })),
    h('div', { class: 'panel' }, h('h2', {}, 'History'), table(d.history, { csv: csvUrl('/api/monitoring', {}, 'history') })),
  );
  const t = setTimeout(() => window.dispatchEvent(new HashChangeEvent('hashchange')), 5000);
  return () => clearTimeout(t);
}
