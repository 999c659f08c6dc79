// Reach and frequency of a campaign on the advertiser's page: cards and a per-day chart.
import { api, card, chart, csvUrl, h, query, table } from './ui.js';

const xOf = (day) => Date.parse(`${day}T00:00:00Z`) / 1000;

/** Appends the reach section of campaign `id` for the range `q` (UTC days) to `root`. */
export async function reachSection(root, id, q) {
  const path = `/api/campaigns/${encodeURIComponent(id)}/reach`;
  const rq = { from: q.from, to: q.to };
  const d = await api(`${path}?${query(rq)}`);
  const c = h('div', { class: 'panel', 'data-testid': 'reach-chart' });
  root.append(
    h('h2', {}, 'Reach and frequency'),
    h('p', { class: 'muted' }, `reach is estimated (±2%) from HyperLogLog sketches of the devices with an impression; UTC days ${d.from} to ${d.to}`),
    h('div', { class: 'cards' }, card('Reach (estimated ±2%)', d.reach, 'reach'), card('Impressions', d.impressions, 'reach-impressions'), card('Avg frequency', d.avg_frequency, 'avg-frequency')),
    h('h2', {}, 'Reach per UTC day (estimated ±2%)'), c,
    h('div', { class: 'panel' }, table(d.by_day, { csv: csvUrl(path, rq, 'by_day'), testid: 'reach-by-day' })),
  );
  chart(c, d.by_day.map((r) => xOf(r.day)), { 'reach (estimated)': d.by_day.map((r) => r.reach) }, { tz: 'UTC' });
}
