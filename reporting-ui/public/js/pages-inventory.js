// Inventory (publishers, admins): requests, fills and fill rate per slot and day; why requests went unfilled.
import { api, barChart, csvUrl, h, num, query, rangeControls, state, table } from './ui.js';

export async function inventoryPage(root, params) {
  const { apps } = await api('/api/apps');
  const app = params.get('app') || 'all';
  const go = (p) => (location.hash = `#/inventory?${query(p)}`);
  const q = { from: params.get('from'), to: params.get('to'), tz: params.get('tz') || state.tz, app };
  const sel = h('select', { 'data-testid': 'app-picker', onchange: () => go({ ...q, app: sel.value }) }, h('option', { value: 'all' }, 'All apps'), ...apps.map((a) => h('option', { value: a.id }, `${a.name} (${a.id})`)));
  sel.value = app;
  root.append(h('h1', {}, 'Inventory'), rangeControls(params, (r) => go({ ...r, app }), [h('label', {}, 'app', sel)]));
  const d = await api(`/api/inventory?${query(q)}`);
  const total = d.slots.reduce((a, s) => ((a.requests += s.requests), (a.impressions += s.impressions), a), { requests: 0, impressions: 0 });
  const rate = total.requests ? `${Math.round((total.impressions / total.requests) * 1e4) / 100}%` : '–';
  root.append(
    h('p', { class: 'muted' }, `UTC days ${d.from_day} to ${d.to_day}; requests are counted per slot before any campaign is picked, fills are impressions`),
    h('div', { class: 'cards' },
      h('div', { class: 'card' }, h('div', { class: 'v', 'data-testid': 'inv-requests' }, num(total.requests)), h('div', { class: 'k' }, 'Ad requests')),
      h('div', { class: 'card' }, h('div', { class: 'v', 'data-testid': 'inv-fills' }, num(total.impressions)), h('div', { class: 'k' }, 'Fills (impressions)')),
      h('div', { class: 'card' }, h('div', { class: 'v', 'data-testid': 'inv-fill-rate' }, rate), h('div', { class: 'k' }, 'Fill rate'))),
    h('div', { class: 'grid2' },
      h('div', { class: 'panel' }, h('h2', {}, 'Per slot'), barChart(d.slots.map((s) => ({ ...s, label: s.slot_id ? (s.slot || s.slot_id) : `(no slot) · ${s.app_id}` })), { label: 'label', value: 'requests', testid: 'inv-bars' }), table(d.slots, { csv: csvUrl('/api/inventory', q, 'slots'), cols: ['app', 'slot', 'requests', 'impressions', 'fill_rate_pct'], testid: 'inv-slots' })),
      h('div', { class: 'panel' }, h('h2', {}, 'Why requests got no ad'), h('p', { class: 'muted' }, `source: ${d.no_fill_source}; per request, the furthest any line item of the slot got`),
        barChart(d.no_fill.map((x) => ({ ...x, label: `${x.slot_id}: ${x.reason.replaceAll('_', ' ')}` })), { label: 'label', value: 'count', testid: 'inv-nofill-bars' }), table(d.no_fill, { csv: csvUrl('/api/inventory', q, 'no_fill'), cols: ['slot', 'slot_id', 'reason', 'count'], testid: 'inv-nofill' }))),
    h('div', { class: 'panel' }, h('h2', {}, 'Per slot and day'), table(d.days, { csv: csvUrl('/api/inventory', q, 'days'), testid: 'inv-days' })),
  );
}
