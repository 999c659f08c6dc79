// Audience: retention cohorts by first-seen day, new vs returning devices, app-version adoption.
import { appPicker } from './pages-reports.js';
import { api, chart, csvUrl, h, num, query, rangeControls, state, table } from './ui.js';

const xOf = (day) => Date.parse(`${day}T00:00:00Z`) / 1000;
const OFFSETS = ['d1', 'd7', 'd30'];
const TOP_VERSIONS = 5;

function go(params) {
  location.hash = `#/audience?${query(params)}`;
}

/** A retention cell: count and percent, shaded by the percent; a day not reached yet is a dash, not 0%. */
function cell(count, pct) {
  if (count === null || pct === null) return h('td', { class: 'n muted', title: 'not reached yet' }, '–');
  const td = h('td', { class: 'n', title: `${num(count)} devices` }, `${pct}%`, h('span', { class: 'muted' }, ` ${num(count)}`));
  // Shade from white to the accent colour; dark text stays readable up to about 60% alpha.
  td.style.backgroundColor = `rgba(47, 111, 237, ${(Math.min(100, pct) / 100) * 0.6})`;
  return td;
}

function cohortTable(cohorts, csv) {
  const head = h('tr', {}, h('th', {}, 'first seen (UTC)'), h('th', { class: 'n' }, 'devices'), ...OFFSETS.map((k) => h('th', { class: 'n' }, `day ${k.slice(1)}`)));
  const rows = cohorts.map((c) => h('tr', {}, h('td', {}, c.day), h('td', { class: 'n' }, num(c.devices)), ...OFFSETS.map((k) => cell(c[k], c[`${k}_pct`]))));
  const t = h('table', { class: 'cohorts', 'data-testid': 'cohort-table' }, h('thead', {}, head), h('tbody', {}, ...rows));
  return h('div', {}, h('a', { class: 'csv', href: csv, download: '' }, 'CSV'), cohorts.length ? t : h('p', { class: 'muted' }, 'No devices first seen in this range.'));
}

/** Share per day of the most used versions (the rest as 'other'), and the latest day's devices per version. */
function versionViews(d) {
  const totals = new Map();
  for (const v of d.versions) totals.set(v.app_version, (totals.get(v.app_version) ?? 0) + v.devices);
  const top = [...totals].sort((a, b) => b[1] - a[1]).slice(0, TOP_VERSIONS).map(([v]) => v);
  const days = d.days.map((x) => x.day);
  const at = new Map(days.map((day, i) => [day, i]));
  // A day without active devices has no share: a gap in the lines, not 0%.
  const blank = () => d.days.map((x) => (x.active > 0 ? 0 : null));
  const series = Object.fromEntries(top.map((v) => [v || '(none)', blank()]));
  const other = blank();
  for (const v of d.versions) {
    const i = at.get(v.day);
    if (i === undefined) continue;
    const k = v.app_version || '(none)';
    if (top.includes(v.app_version)) series[k][i] = v.share_pct ?? 0;
    else other[i] += v.share_pct ?? 0;
  }
  if (totals.size > top.length) series.other = other.map((x) => (x === null ? null : Math.round(x * 10) / 10));
  const lastDay = [...d.versions].map((v) => v.day).sort().at(-1);
  const latest = d.versions.filter((v) => v.day === lastDay).sort((a, b) => b.devices - a.devices).map((v) => ({ app_version: v.app_version, devices: v.devices, share_pct: v.share_pct }));
  return { days, series, latest, lastDay };
}

export async function audiencePage(root, params) {
  const { sel, app, apps } = await appPicker(params, 'audience');
  const q = { from: params.get('from'), to: params.get('to'), tz: params.get('tz') || state.tz };
  const name = app === 'all' ? 'All apps' : `${apps.find((a) => a.id === app)?.name ?? 'App'} (${app})`;
  root.append(h('h1', {}, `Audience: ${name}`), rangeControls(params, (r) => go({ ...r, app }), [sel]));
  const path = `/api/apps/${encodeURIComponent(app)}/audience`;
  const d = await api(`${path}?${query(q)}`);
  root.append(h('p', { class: 'muted' }, `${d.from} to ${d.to}; devices by UTC day (a device is new on the first day it has events in the app); data up to ${d.last_day ?? 'no day yet'}`));

  root.append(h('h2', {}, 'Retention by first-seen day'), h('div', { class: 'panel' }, cohortTable(d.cohorts, `${csvUrl(path, q, 'cohorts')}`)));

  const c1 = h('div', { class: 'panel', 'data-testid': 'new-returning-chart' });
  root.append(h('h2', {}, 'New and returning devices per day'), c1);
  chart(c1, d.days.map((x) => xOf(x.day)), { new: d.days.map((x) => x.new), returning: d.days.map((x) => x.returning), active: d.days.map((x) => x.active) }, { tz: 'UTC' });

  const v = versionViews(d);
  const c2 = h('div', { class: 'panel', 'data-testid': 'version-chart' });
  root.append(h('h2', {}, 'App-version adoption (% of active devices)'), c2);
  chart(c2, v.days.map(xOf), v.series, { tz: 'UTC' });
  root.append(
    h('h2', {}, `Versions on ${v.lastDay ?? 'the last day'}`),
    h('div', { class: 'panel' }, table(v.latest, { csv: csvUrl(path, q, 'versions'), cols: ['app_version', 'devices', 'share_pct'], testid: 'version-table' })),
    h('h2', {}, 'New and returning per day'),
    h('div', { class: 'panel' }, table(d.days, { csv: csvUrl(path, q, 'days'), testid: 'audience-days' })),
  );
}
