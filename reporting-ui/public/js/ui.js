// Shared helpers of the pages: API calls, range controls, tables with CSV links, charts.
export const state = { user: null, tz: Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC' };

export class ApiError extends Error {
  constructor(status, body) {
    super(body?.message ?? `HTTP ${status}`);
    this.status = status;
    this.code = body?.code;
    this.details = body?.details;
  }
}

export async function api(path, opts = {}) {
  const res = await fetch(path, { credentials: 'same-origin', headers: opts.body ? { 'content-type': 'application/json' } : {}, ...opts, body: opts.body ? JSON.stringify(opts.body) : undefined });
  if (res.status === 204) return null;
  const body = await res.json().catch(() => null);
  if (!res.ok) {
    if (res.status === 401 && !path.startsWith('/api/login')) location.hash = '#/login';
    throw new ApiError(res.status, body);
  }
  return body;
}

export function h(tag, attrs = {}, ...kids) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else if (k === 'text') el.textContent = v;
    else el.setAttribute(k, v === true ? '' : v);
  }
  for (const c of kids.flat()) if (c !== null && c !== undefined && c !== false) el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  return el;
}

const fmt = new Intl.NumberFormat('en');
export const num = (v) => (typeof v === 'number' ? fmt.format(v) : v ?? '');

export function today(tz = state.tz) {
  return new Intl.DateTimeFormat('en-CA', { timeZone: tz, year: 'numeric', month: '2-digit', day: '2-digit' }).format(new Date());
}
export function daysBefore(day, n) {
  return new Date(Date.parse(`${day}T00:00:00Z`) - n * 86400000).toISOString().slice(0, 10);
}

/** From/to/time zone controls; values persist in the URL query of the hash. */
export function rangeControls(params, onChange, extra = []) {
  const tz = params.get('tz') || state.tz;
  // The server's default range ends today in the report's zone, which need not be the browser's.
  const to = params.get('to') || today(tz);
  const from = params.get('from') || daysBefore(to, 29);
  const f = h('input', { type: 'date', value: from, 'data-testid': 'range-from' });
  const t = h('input', { type: 'date', value: to, 'data-testid': 'range-to' });
  const z = h('input', { value: tz, size: 18, 'data-testid': 'range-tz' });
  const go = () => onChange({ from: f.value, to: t.value, tz: z.value });
  const quick = (n) => h('button', { class: 'secondary', onclick: () => ((t.value = today(z.value)), (f.value = daysBefore(t.value, n - 1)), go()) }, `${n}d`);
  return h('div', { class: 'controls' }, ...extra, h('label', {}, 'from', f), h('label', {}, 'to', t), h('label', {}, 'time zone', z), h('button', { onclick: go, 'data-testid': 'range-apply' }, 'Apply'), quick(1), quick(7), quick(30), quick(90));
}

export function query(obj) {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(obj)) if (v !== undefined && v !== null && v !== '') p.set(k, v);
  return p.toString();
}

export const PAGE_ROWS = 25;

/**
 * A table of rows (array of flat objects) with a CSV download of the same report (the CSV is
 * the whole report, never one page). Pages of PAGE_ROWS rows, with controls and "rows X–Y of N".
 */
export function table(rows, { csv, cols, onRow, testid, expand, cellClass } = {}) {
  const keys = cols ?? (rows[0] ? Object.keys(rows[0]) : []);
  const head = h('tr', {}, ...keys.map((k) => h('th', { class: typeof rows[0]?.[k] === 'number' ? 'n' : '' }, k)));
  const tbody = h('tbody', {});
  const pages = Math.max(1, Math.ceil(rows.length / PAGE_ROWS));
  let page = 0;
  const info = h('span', { class: 'muted', 'data-testid': testid && `${testid}-pageinfo` });
  const prev = h('button', { class: 'secondary', 'data-testid': testid && `${testid}-prev`, onclick: () => show(page - 1) }, '‹ prev');
  const next = h('button', { class: 'secondary', 'data-testid': testid && `${testid}-next`, onclick: () => show(page + 1) }, 'next ›');
  // `expand(row)` answers a node shown in a full-width row under the clicked row (details on demand).
  const rowOf = (r) => {
    const tr = h('tr', { class: onRow || expand ? 'click' : '' }, ...keys.map((k) => h('td', { class: `${typeof r[k] === 'number' ? 'n' : ''} ${cellClass?.(k, r) ?? ''}`.trim() }, num(r[k]))));
    tr.addEventListener('click', () => {
      if (onRow) return onRow(r);
      if (!expand) return;
      if (tr.nextSibling?.classList?.contains('details')) return tr.nextSibling.remove();
      tr.after(h('tr', { class: 'details' }, h('td', { colspan: keys.length }, expand(r))));
    });
    return tr;
  };
  function show(p) {
    page = Math.min(Math.max(0, p), pages - 1);
    const a = page * PAGE_ROWS;
    const b = Math.min(rows.length, a + PAGE_ROWS);
    tbody.replaceChildren(...rows.slice(a, b).map(rowOf));
    info.textContent = `rows ${a + 1}–${b} of ${num(rows.length)}`;
    prev.disabled = page === 0;
    next.disabled = page >= pages - 1;
  }
  show(0);
  const t = h('table', { 'data-testid': testid }, h('thead', {}, head), tbody);
  const pager = rows.length > PAGE_ROWS ? h('div', { class: 'pager' }, prev, next, info) : null;
  return h('div', {}, csv ? h('a', { class: 'csv', href: csv, download: '' }, 'CSV') : null, rows.length ? [t, pager] : h('p', { class: 'muted' }, 'No data in this range.'));
}

/**
 * Horizontal bars of one figure per label (plain DOM, no chart library): the `top` largest,
 * the rest summed as "other", each bar's width relative to the largest.
 */
export function barChart(rows, { label, value, top = 10, testid } = {}) {
  const sorted = rows.filter((r) => typeof r[value] === 'number' && r[value] > 0).sort((a, b) => b[value] - a[value]);
  const shown = sorted.slice(0, top).map((r) => ({ k: String(r[label] === '' ? '(none)' : r[label]), v: r[value] }));
  const rest = sorted.slice(top).reduce((n, r) => n + r[value], 0);
  if (rest > 0) shown.push({ k: `other (${sorted.length - top})`, v: rest });
  const max = Math.max(1, ...shown.map((x) => x.v));
  if (shown.length === 0) return h('div', {});
  return h('div', { class: 'bars', 'data-testid': testid, title: value },
    h('div', { class: 'bars-title muted' }, value.replace('_', ' ')),
    ...shown.map((x) => h('div', { class: 'bar' }, h('span', { class: 'bar-k', title: x.k }, x.k), h('span', { class: 'bar-track' }, h('span', { class: 'bar-fill', style: `width:${((x.v / max) * 100).toFixed(1)}%` })), h('span', { class: 'bar-v' }, num(x.v)))));
}

export const csvUrl = (path, params, tableName) => `${path}?${query({ ...params, format: 'csv', table: tableName })}`;

/** Room for the widest y label (uPlot's fixed default cuts off numbers like 1,000,000). */
const ySize = (self, values) => 16 + 8 * Math.max(3, ...(values ?? []).map((v) => String(v).length));

/**
 * A uPlot line chart: x as seconds or categories, one series per name. Time axes are drawn in
 * `tz`: the report's time zone for hours, 'UTC' for days (a day's point sits at its own date,
 * not at UTC midnight seen from the browser's zone).
 */
export function chart(el, xs, series, { width = 1180, height = 260, timeX = true, tz = 'UTC' } = {}) {
  const colors = ['#2f6fed', '#e0702b', '#1f8a4c', '#a03fd1', '#c62f2f', '#6b7384'];
  const opts = {
    width: Math.min(width, (el.clientWidth || width) - 10), height,
    scales: { x: { time: timeX } },
    // eslint-disable-next-line no-undef
    tzDate: (ts) => uPlot.tzDate(new Date(ts * 1000), tz),
    series: [{}, ...Object.keys(series).map((label, i) => ({ label, stroke: colors[i % colors.length], width: 2 }))],
    axes: [{}, { size: ySize }],
  };
  el.replaceChildren();
  if (xs.length === 0) return el.append(h('p', { class: 'muted' }, 'No data in this range.'));
  // eslint-disable-next-line no-undef
  const u = new uPlot(opts, [xs, ...Object.values(series)], el);
  // Kept on the element so a test can hover a point and read the legend a person would see.
  el.uplot = u;
  return u;
}

/** A figure; with `before` (the previous period's), its change in percent, green up and red down. */
export function card(k, v, testid, before) {
  let delta = null;
  if (typeof before === 'number' && typeof v === 'number') {
    const pct = before === 0 ? null : Math.round(((v - before) / before) * 1000) / 10;
    // Past 10x the exact figure says nothing more (a period before launch has almost nothing).
    const size = Math.abs(pct) > 999 ? '>999' : String(Math.abs(pct));
    const text = pct === null ? (v === 0 ? '– vs previous' : 'new vs previous') : `${pct > 0 ? '▲' : pct < 0 ? '▼' : '='} ${size}% vs previous`;
    delta = h('div', { class: `delta ${pct > 0 ? 'up' : pct < 0 ? 'down' : ''}`, 'data-testid': testid && `${testid}-delta`, title: `previous period: ${num(before)}` }, text);
  }
  return h('div', { class: 'card' }, h('div', { class: 'v', 'data-testid': testid }, num(v)), h('div', { class: 'k' }, k), delta);
}

export function errorBox(err) {
  return h('p', { class: 'error', 'data-testid': 'error' }, `${err.code ?? 'error'}: ${err.message}`);
}
