// Money sections of the ads page: a campaign's spend, budget and pacing (advertisers, admins),
// a publisher's revenue and eCPM (publishers, admins). Amounts come formatted from the API
// (integer micros, shown with the currency); nothing is computed on floats here.
import { api, card, chart, csvUrl, h, query, table } from './ui.js';

const xOfDay = (day) => Date.parse(`${day}T00:00:00Z`) / 1000;

/** Spend per line item and day, budget, spend to date and the even pacing line of the budget. */
export async function campaignMoney(root, id, q) {
  const path = `/api/campaigns/${encodeURIComponent(id)}/money`;
  const m = await api(`${path}?${query(q)}`);
  const t = m.totals;
  root.append(
    h('h2', {}, `Spend (${m.currency})`),
    h('div', { class: 'cards', 'data-testid': 'money-cards' },
      card('spend in range', t.spend, 'money-spend'), card('spend to date', m.spend_to_date, 'money-to-date'),
      card('budget', m.budget, 'money-budget'), card('budget used', m.budget_used_pct === null ? '–' : `${m.budget_used_pct}%`, 'money-used'),
      card('effective CPM', t.ecpm, 'money-ecpm'), card('effective CPC', t.cpc, 'money-cpc')),
  );
  const c = h('div', { class: 'panel', 'data-testid': 'spend-chart' });
  root.append(h('h2', {}, m.budget_micros > 0 ? 'Spend to date against even pacing of the budget' : 'Spend to date (no budget)'), c);
  // Units for the axis only (micros / 10^6); the tables carry the exact amounts.
  const series = { 'spend to date': m.days.map((d) => d.cumulative_micros / 1e6) };
  if (m.budget_micros > 0) series['even pacing'] = m.days.map((d) => d.pacing_micros / 1e6);
  chart(c, m.days.map((d) => xOfDay(d.day)), series, { tz: 'UTC' });
  root.append(
    h('div', { class: 'panel' }, h('h2', {}, 'Spend by line item'), table(m.line_items.map((li) => ({ line_item: li.name, id: li.id, price_model: li.price_model, price: li.price, impressions: li.impressions, clicks: li.clicks, spend: li.spend, spend_to_date: li.spend_to_date, ecpm: li.ecpm, cpc: li.cpc })), { csv: csvUrl(path, q, 'line_items'), testid: 'money-line-items' })),
    h('div', { class: 'panel' }, h('h2', {}, 'Spend by day'), table(m.days.map((d) => ({ day: d.day, spend: d.spend, spend_to_date: d.cumulative, even_pacing: d.pacing })), { csv: csvUrl(path, q, 'days'), testid: 'money-days' })));
}

/** The publisher's revenue (its share of the spend on its apps) and eCPM per campaign, slot and app. */
export async function appRevenue(root, app, q) {
  const path = `/api/apps/${encodeURIComponent(app)}/revenue`;
  const byCampaign = await api(`${path}?${query({ ...q, by: 'campaign_id' })}`);
  root.append(h('h2', {}, 'Revenue'), h('div', { class: 'cards', 'data-testid': 'revenue-cards' },
    ...(byCampaign.totals.length ? byCampaign.totals.flatMap((t) => [card(`revenue (${t.currency})`, t.revenue, `revenue-${t.currency}`), card(`eCPM (${t.currency})`, t.ecpm, `ecpm-${t.currency}`)]) : [card('revenue', '–', 'revenue-none')])));
  const grid = h('div', { class: 'grid2' });
  root.append(grid);
  for (const by of ['campaign_id', 'slot_id', 'app_id']) {
    const d = by === 'campaign_id' ? byCampaign : await api(`${path}?${query({ ...q, by })}`);
    // The currency is in each amount; ids and codes stay in the CSV.
    const rows = d.rows.map((r) => ({ [by.replace('_id', '')]: r.name, impressions: r.impressions, clicks: r.clicks, revenue: r.revenue, ecpm: r.ecpm }));
    grid.append(h('div', { class: 'panel' }, h('h2', {}, `Revenue by ${by.replace('_id', '')}`), table(rows, { csv: csvUrl(path, { ...q, by }, 'rows'), testid: `revenue-${by}` })));
  }
}
