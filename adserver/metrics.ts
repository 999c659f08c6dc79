import { createMetricsRegistry, type Registry } from '../common/metrics.js';
import type { CampaignIndex } from './campaign-index.js';
import { NO_FILL_NAMES, WHY_NOT_NAMES, type DecisionStats } from './decide.js';

const BUCKETS_S = [0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.05];
export const Outcome = { Served: 0, NoFill: 1, UnknownSlot: 2, BadRequest: 3, Error: 4 } as const;
const OUTCOMES = ['served', 'no_fill', 'unknown_slot', 'bad_request', 'error'];

/**
 * Hot-path metrics as plain numbers (a labelled prom-client call per request costs more
 * than the decision); turned into Prometheus text only when /metrics is scraped.
 */
export class AdMetrics {
  readonly registry: Registry = createMetricsRegistry('adserver');
  readonly outcomes = { ad: new Float64Array(5), prefetch: new Float64Array(5), vast: new Float64Array(5) };
  readonly latency = new Float64Array(BUCKETS_S.length + 1);
  latencySum = 0;
  latencyCount = 0;
  reloads = 0;
  reloadErrors = 0;
  slotCacheHits = 0;
  slotCacheMisses = 0;

  observe(seconds: number): void {
    let i = 0;
    while (i < BUCKETS_S.length && seconds > BUCKETS_S[i]!) i++;
    this.latency[i]! += 1;
    this.latencySum += seconds;
    this.latencyCount++;
  }

  async text(ix: CampaignIndex, stats: DecisionStats, extra: Record<string, number>): Promise<string> {
    const L: string[] = [];
    L.push('# HELP sluice_adserver_requests_total ad requests by route and outcome', '# TYPE sluice_adserver_requests_total counter');
    for (const [route, arr] of Object.entries(this.outcomes)) OUTCOMES.forEach((o, i) => L.push(`sluice_adserver_requests_total{route="${route}",outcome="${o}"} ${arr[i]}`));
    L.push('# HELP sluice_adserver_decision_seconds time to decide and answer', '# TYPE sluice_adserver_decision_seconds histogram');
    let cum = 0;
    BUCKETS_S.forEach((b, i) => L.push(`sluice_adserver_decision_seconds_bucket{le="${b}"} ${(cum += this.latency[i]!)}`));
    L.push(`sluice_adserver_decision_seconds_bucket{le="+Inf"} ${cum + this.latency[BUCKETS_S.length]!}`);
    L.push(`sluice_adserver_decision_seconds_sum ${this.latencySum}`, `sluice_adserver_decision_seconds_count ${this.latencyCount}`);
    L.push('# HELP sluice_adserver_not_served_total why a line item eligible by slot did not serve', '# TYPE sluice_adserver_not_served_total counter');
    ix.lineItems.forEach((li, idx) => WHY_NOT_NAMES.forEach((why, k) => {
      const v = stats.whyNot[idx * 5 + k] ?? 0;
      if (v > 0) L.push(`sluice_adserver_not_served_total{line_item="${li.id}",reason="${why}"} ${v}`);
    }));
    L.push('# HELP sluice_adserver_no_fill_total ad requests of a known slot answered with no ad, by slot and why (the furthest any line item got)', '# TYPE sluice_adserver_no_fill_total counter');
    for (const [slot, row] of stats.noFill) NO_FILL_NAMES.forEach((why, k) => {
      if (row[k]! > 0) L.push(`sluice_adserver_no_fill_total{slot="${slot.replace(/[\\"\n]/g, '_')}",reason="${why}"} ${row[k]}`);
    });
    const total = this.slotCacheHits + this.slotCacheMisses;
    L.push('# HELP sluice_adserver_slot_cache_hit_ratio hit ratio of the lru cache over slot look-ups in the store', '# TYPE sluice_adserver_slot_cache_hit_ratio gauge', `sluice_adserver_slot_cache_hit_ratio ${total ? this.slotCacheHits / total : 0}`);
    L.push(`sluice_adserver_reloads_total ${this.reloads}`, `sluice_adserver_reload_errors_total ${this.reloadErrors}`, `sluice_adserver_index_revision ${ix.revision}`, `sluice_adserver_line_items_live ${ix.lineItems.length}`);
    for (const [k, v] of Object.entries(extra)) L.push(`sluice_adserver_${k} ${v}`);
    return L.join('\n') + '\n' + (await this.registry.metrics());
  }
}
