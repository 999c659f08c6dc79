import { Registry, collectDefaultMetrics } from 'prom-client';

export { Counter, Gauge, Histogram, Registry } from 'prom-client';

/** A Prometheus registry for one tier, with process metrics, prefixed `sluice_`. */
export function createMetricsRegistry(tier: string, withDefaults = true): Registry {
  const registry = new Registry();
  registry.setDefaultLabels({ tier });
  if (withDefaults) collectDefaultMetrics({ register: registry, prefix: 'sluice_' });
  return registry;
}
