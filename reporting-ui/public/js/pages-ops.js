// Operations pages: data health, live events, monitoring.
import { api, chart, csvUrl, h, query, rangeControls, state, table } from './ui.js';

export async function healthPage(root, params) {
  const q = { from: params.get('from'), to: params.get('to'), tz: params.get('tz') || state.tz };
  root.append(h('h1', {}, 'Data health'), rangeControls(params, (r) => (location.hash = `#/health?${query(r)}`)));
  const d = await api(`/api/health?${query(q)}`);
  const p = (title, rows, name) => h('div', { class: 'panel' }, h('h2', {}, title), table(rows, { csv: csvUrl('/api/health', q, name), testid: `health-${name}` }));
  root.append(
    p('Ingest lag', d.ingest_lag, 'ingest_lag'),
    p('Completeness (events lost on devices, from seq gaps) and duplicates removed', d.completeness, 'completeness'),
    p('Late-data restatements', d.restatements, 'restatements'),
    p('Quarantined rows (the pipeline or the jobs could not store them; the rest loaded)', d.quarantined.map((x) => ({ at: x.at, source: x.source, app_id: x.app_id, day: x.day, reason: x.reason, rows: x.row_count, detail: x.detail, lake_key: x.lake_key })), 'quarantined'),
  );
  if (state.user.role === 'admin') root.append(p('Job runs', d.job_runs.map((r) => ({ workflow: r.workflow, partition: r.partition_key, status: r.status, started_at: r.started_at, duration_ms: r.duration_ms, rows: r.row_count, error: r.error })), 'job_runs'));
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
