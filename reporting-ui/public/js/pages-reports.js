// Report pages: overview, app detail (breakdowns, custom events explorer), ads.
import { reachSection } from './campaign-reach.js';
import { filterControl } from './filter-chip.js';
import { appRevenue, campaignMoney } from './pages-money.js';
import { api, barChart, card, chart, csvUrl, daysBefore, errorBox, h, num, query, rangeControls, state, table, today } from './ui.js';

// Days are drawn at their UTC midnight on a UTC axis, hours at their instant on the report's zone.
const xOf = (t) => Date.parse(t.length === 10 ? `${t}T00:00:00Z` : t) / 1000;
const zoneOf = (bucket, tz) => (bucket === 'day' ? 'UTC' : tz);

function go(page, params) {
  location.hash = `#/${page}?${query(params)}`;
}

/** The app picker; `withAll` offers 'All apps' (and picks it by default), otherwise the first app is picked. */
export async function appPicker(params, page, withAll = true) {
  const { apps } = await api('/api/apps');
  const sel = h('select', { 'data-testid': 'app-picker', onchange: () => go(page, { ...Object.fromEntries(params), app: sel.value }) }, withAll ? h('option', { value: 'all' }, 'All apps') : null, ...apps.map((a) => h('option', { value: a.id }, `${a.name} (${a.id})`)));
  let app = params.get('app') || 'all';
  if (!withAll && (app === 'all' || !apps.some((a) => a.id === app))) app = apps[0]?.id;
  if (app) sel.value = app;
  return { sel: h('label', {}, 'app', sel), apps, app };
}

export async function overviewPage(root, params) {
  const { sel } = await appPicker(params, 'overview');
  const app = params.get('app') || 'all';
  const filter = params.get('filter') || '';
  root.append(h('h1', {}, 'Overview'), rangeControls(params, (r) => go('overview', { ...r, app, filter }), [sel]), filterControl(params, (f) => go('overview', { ...Object.fromEntries(params), app, filter: f })));
  const q = { from: params.get('from'), to: params.get('to'), tz: params.get('tz') || state.tz, filter };
  const path = `/api/apps/${encodeURIComponent(app)}/overview`;
  const d = await api(`${path}?${query(q)}`);
  const t = d.totals;
  // Devices are not kept per dimension value: under a filter the device cards say so instead of showing a wrong figure.
  const na = (k, testid) => h('div', { class: 'card', title: 'devices are counted per app and day, not per platform, country or version' }, h('div', { class: 'v muted', 'data-testid': testid }, 'n/a'), h('div', { class: 'k' }, `${k}: not available with a filter`));
  root.append(
    h('p', { class: 'muted' }, `${d.from} to ${d.to} in ${d.tz}, compared with ${d.previous.from} to ${d.previous.to}; devices by UTC day`, d.filter ? `; only ${d.filter.dim.replace('_', ' ')} = ${d.filter.value}` : ''),
    h('div', { class: 'cards' },
      ...(d.filter ? [na('DAU', 'dau'), na('WAU', 'wau'), na('MAU', 'mau')] : [card(`DAU (${t.dau_day ? `${t.dau_day}${t.dau_partial ? ', so far' : ''}` : 'no data'})`, t.dau, 'dau'), card('WAU', t.wau, 'wau'), card('MAU', t.mau, 'mau')]),
      card('Sessions', t.sessions, 'sessions', d.previous.sessions), card('Avg session (s)', t.avg_session_s, 'avg-session', d.previous.avg_session_s), card('Events', t.events, 'events', d.previous.events),
      card('Impressions', t.ad_impressions, 'impressions', d.previous.ad_impressions), card('Clicks', t.ad_clicks, 'clicks', d.previous.ad_clicks)),
  );
  const c1 = h('div', { class: 'panel', 'data-testid': 'series-chart' });
  const c2 = h('div', { class: 'panel', 'data-testid': 'dau-chart' });
  root.append(h('h2', {}, `Events and sessions per ${d.bucket}`), c1);
  if (!d.filter) root.append(h('h2', {}, 'Daily active devices'), c2);
  chart(c1, d.series.map((s) => xOf(s.t)), { events: d.series.map((s) => s.events), sessions: d.series.map((s) => s.sessions), impressions: d.series.map((s) => s.ad_impressions) }, { tz: zoneOf(d.bucket, d.tz) });
  if (!d.filter) chart(c2, d.dau.map((s) => xOf(s.day)), { devices: d.dau.map((s) => s.devices) }, { tz: 'UTC' });
  root.append(h('h2', {}, 'Series'), h('div', { class: 'panel' }, table(d.series, { csv: csvUrl(path, q, 'series'), testid: 'series-table' })));
  if (app !== 'all') root.append(h('p', {}, h('a', { href: `#/app?${query({ ...q, app })}` }, 'Breakdowns and custom events of this app →')));
}

const DIMS = ['platform', 'os_version', 'app_version', 'device_class', 'country'];

export async function appPage(root, params) {
  const { sel, app, apps } = await appPicker(params, 'app', false);
  if (!app) return root.append(h('p', {}, 'No apps.'));
  const filter = params.get('filter') || '';
  const q = { from: params.get('from'), to: params.get('to'), tz: params.get('tz') || state.tz };
  const fq = { ...q, filter };
  root.append(h('h1', { 'data-app': app }, `${apps.find((a) => a.id === app)?.name ?? 'App'} (${app})`), rangeControls(params, (r) => go('app', { ...r, app, filter }), [sel]), filterControl(params, (f) => go('app', { ...q, app, filter: f })));
  const grid = h('div', { class: 'grid2' });
  root.append(grid);
  // Panels in the fixed order of DIMS, whatever order the answers come in.
  const panels = DIMS.map(() => grid.appendChild(h('div', { class: 'panel' })));
  // Under a filter the breakdowns read the hourly facts (every dimension per hour): ranges of up to 3 days only.
  const to = q.to || today(q.tz);
  const days = Math.round((Date.parse(to) - Date.parse(q.from || daysBefore(to, 29))) / 86400000) + 1;
  if (filter && days > 3) {
    grid.replaceWith(h('p', { class: 'muted', 'data-testid': 'breakdowns-filter-note' }, `Breakdowns under a filter cover at most 3 days (this range has ${days}): pick a shorter range, or clear the filter.`));
    panels.length = 0;
  }
  await Promise.all(panels.map(async (_, i) => {
    const dim = DIMS[i];
    const path = `/api/apps/${encodeURIComponent(app)}/breakdown`;
    const d = await api(`${path}?${query({ ...fq, dim })}`);
    panels[i].append(h('h2', {}, `By ${dim.replace('_', ' ')}`), barChart(d.rows, { label: dim === 'country' ? 'name' : 'value', value: 'events', testid: `bars-${dim}` }), table(d.rows, { csv: csvUrl(path, { ...fq, dim }, 'rows'), cols: [...(dim === 'country' ? ['value', 'name'] : ['value']), 'events', 'sessions', 'avg_session_s', 'ad_impression', 'ad_click'], testid: `breakdown-${dim}` }));
  }));
  // Custom events explorer: name -> prop -> value.
  const name = params.get('name') || '';
  const prop = params.get('prop') || '';
  const path = `/api/apps/${encodeURIComponent(app)}/custom`;
  const cq = { ...q, name, prop };
  if (filter) root.append(h('p', { class: 'muted' }, 'Custom events are counted per app and day only: the filter does not apply to them.'));
  const d = await api(`${path}?${query(cq)}`);
  const crumbs = h('p', {}, h('a', { href: `#/app?${query({ ...q, app })}` }, 'all events'), name ? [' › ', h('a', { href: `#/app?${query({ ...q, app, name })}` }, name)] : null, prop ? [' › ', prop] : null);
  const drill = d.level === 'value' ? undefined : (r) => go('app', { ...q, app, name: name || r.name, prop: d.level === 'prop' ? r.prop : '' });
  root.append(h('h2', {}, 'Custom events'), h('div', { class: 'panel', 'data-testid': 'custom-explorer' }, crumbs, table(d.rows, { csv: csvUrl(path, cq, 'rows'), onRow: drill, testid: `custom-${d.level}` })));
}

export async function adsPage(root, params) {
  const q = { from: params.get('from'), to: params.get('to'), tz: params.get('tz') || state.tz };
  if (state.user.role === 'publisher') {
    const { sel } = await appPicker(params, 'ads');
    const app = params.get('app') || 'all';
    root.append(h('h1', {}, 'Ads on your apps'), rangeControls(params, (r) => go('ads', { ...r, app }), [sel]));
    await appRevenue(root, app, q);
    const grid = h('div', { class: 'grid2' });
    root.append(grid);
    for (const by of ['campaign_id', 'creative_id', 'slot_id', 'platform', 'country']) {
      const path = `/api/apps/${encodeURIComponent(app)}/ads`;
      const d = await api(`${path}?${query({ ...q, by })}`);
      grid.append(h('div', { class: 'panel' }, h('h2', {}, `By ${by.replace('_id', '')}`), barChart(d.rows, { label: by === 'campaign_id' || by === 'country' ? 'name' : by, value: 'impressions', testid: `ads-bars-${by}` }), table(d.rows, { csv: csvUrl(path, { ...q, by }, 'rows'), testid: `ads-${by}` })));
    }
    return;
  }
  const { campaigns } = await api('/api/campaigns');
  const id = params.get('campaign') || campaigns[0]?.id;
  const sel = h('select', { 'data-testid': 'campaign-picker', onchange: () => go('ads', { ...q, campaign: sel.value }) }, ...campaigns.map((c) => h('option', { value: c.id }, `${c.name} (${c.id})`)));
  if (id) sel.value = id;
  root.append(h('h1', {}, 'Campaigns'), rangeControls(params, (r) => go('ads', { ...r, campaign: id }), [h('label', {}, 'campaign', sel)]));
  if (!id) return root.append(h('p', {}, 'No campaigns.'));
  const dpath = `/api/campaigns/${encodeURIComponent(id)}/delivery`;
  const del = await api(`${dpath}?${query(q)}`);
  const c = h('div', { class: 'panel', 'data-testid': 'delivery-chart' });
  root.append(h('h2', {}, 'Delivery against the pacing target (cumulative)'), c);
  const hours = [...new Set(del.rows.map((r) => r.hour))];
  const series = {};
  for (const li of del.line_items) {
    const rows = del.rows.filter((r) => r.line_item_id === li.id);
    series[`${li.name} delivered`] = rows.map((r) => r.cumulative);
    series[`${li.name} target`] = rows.map((r) => r.target);
  }
  chart(c, hours.map(xOf), series, { tz: del.tz ?? q.tz });
  root.append(h('div', { class: 'panel' }, table(del.line_items.map((li) => ({ line_item: li.name, id: li.id, goal: li.goal, goal_type: li.goal_type, delivery: li.delivery, delivered_to_date: li.delivered_to_date, delivered_in_range: li.delivered_in_range })), { csv: csvUrl(dpath, q, 'line_items'), testid: 'line-items' })));
  await campaignMoney(root, id, q);
  const grid = h('div', { class: 'grid2' });
  root.append(grid);
  for (const by of ['creative_id', 'slot_id', 'platform', 'country']) {
    const path = `/api/campaigns/${encodeURIComponent(id)}/report`;
    const d = await api(`${path}?${query({ ...q, by })}`);
    grid.append(h('div', { class: 'panel' }, h('h2', {}, `By ${by.replace('_id', '')}`), barChart(d.rows, { label: by === 'campaign_id' || by === 'country' ? 'name' : by, value: 'impressions', testid: `campaign-bars-${by}` }), table(d.rows, { csv: csvUrl(path, { ...q, by }, 'rows'), testid: `campaign-${by}` })));
  }
  const cpath = `/api/campaigns/${encodeURIComponent(id)}/conversions`;
  const conv = await api(`${cpath}?${query(q)}`);
  root.append(h('h2', {}, `Conversions: ${num(conv.total)}`), h('p', { class: 'muted' }, "credited by each app's attribution model within its lookback window; UTC days of the conversion"),
    h('div', { class: 'grid2' },
      h('div', { class: 'panel' }, h('h2', {}, 'By app'), table(conv.by_app, { csv: csvUrl(cpath, q, 'by_app'), testid: 'conversions-by-app' })),
      h('div', { class: 'panel' }, h('h2', {}, 'By creative'), table(conv.by_creative, { csv: csvUrl(cpath, q, 'by_creative'), testid: 'conversions-by-creative' }))));
  await reachSection(root, id, q);
  const wpath = `/api/campaigns/${encodeURIComponent(id)}/why-not`;
  const w = await api(wpath).catch((e) => ({ rows: [], source: e.message }));
  root.append(h('h2', {}, 'Why not served'), h('div', { class: 'panel' }, h('p', { class: 'muted' }, `source: ${w.source}`), table(w.rows, { csv: csvUrl(wpath, {}, 'rows'), testid: 'why-not' })));
}

export { errorBox };
