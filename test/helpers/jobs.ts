import { createLogger } from '../../common/logger.js';
import { LocalLake } from '../../lake/local-lake.js';
import { jobsSchema, type JobsOptions } from '../../jobs/options.js';
import { startJobs } from '../../jobs/run.js';
import type { GroundTruth } from '../../sdk-mock/ground-truth.js';
import type { ReportStore } from '../../store/store.js';
import { Value } from '@sinclair/typebox/value';

/** The jobs options with their defaults, as the CLI would build them, plus overrides. */
export function jobsOptions(over: Partial<JobsOptions>): JobsOptions {
  return { ...(Value.Default(jobsSchema, {}) as JobsOptions), port: 0, logLevel: 'silent', progress: false, ...over };
}

/** Runs one workflow of the jobs tier over a local lake and a store. */
export async function runJobs(lakeDir: string, store: ReportStore, over: Partial<JobsOptions> & { stateDir: string }, workflow = 'events', range: { from: string; to: string } | null = null) {
  const lake = new LocalLake({ dir: lakeDir });
  const tier = await startJobs({ ...jobsOptions(over), scheduled: false }, { lake: 'local', lakeDir }, lake, store, createLogger('jobs', 'silent'));
  try {
    return await tier.run(workflow, range);
  } finally {
    await tier.close();
    await lake.close();
  }
}

export interface TruthComparison {
  /** Differences, one line each; empty when everything matches. */
  mismatches: string[];
  appDays: number;
  /** Largest relative error of a daily HyperLogLog against the exact devices. */
  worstHll: number;
}

/** Compares the store's facts with the fleet's ground truth: per app/day/platform, per campaign/day, per custom value. */
export async function compareWithTruth(store: ReportStore, truth: GroundTruth, apps: readonly string[], fromDay: string, toDay: string): Promise<TruthComparison> {
  const { Hll } = await import('../../common/hll.js');
  const mismatches: string[] = [];
  let worstHll = 0;
  const got = new Map<string, Record<string, number>>();
  const campaigns = new Map<string, { impressions: number; clicks: number }>();
  const custom = new Map<string, number>();
  const names = new Map<string, number>();
  for (const app of apps) {
    for (const r of await store.appDaily(app, fromDay, toDay)) {
      const events: Record<string, number> = {};
      for (const t of ['app_open', 'app_close', 'app_background', 'app_foreground', 'ad_request', 'ad_impression', 'ad_click', 'ad_interaction', 'custom'] as const) if (r[t] > 0) events[t] = r[t];
      got.set(`${app}|${r.day}|${r.platform}`, { ...events, events_total: r.events, unique_devices: r.devices, sessions: r.sessions, session_ms: r.session_ms, seq_gaps: r.seq_gaps });
      if (r.devices > 0) worstHll = Math.max(worstHll, Math.abs(Hll.fromBase64(r.devices_hll).estimate() - r.devices) / r.devices);
    }
    const from = Date.parse(`${fromDay}T00:00:00Z`);
    const to = Date.parse(`${toDay}T23:00:00Z`);
    for (const r of await store.campaignHourly({ app_id: app, fromHour: from, toHour: to })) {
      const k = `${r.campaign_id}|${r.day}`;
      const c = campaigns.get(k) ?? { impressions: 0, clicks: 0 };
      c.impressions += r.impressions;
      c.clicks += r.clicks;
      campaigns.set(k, c);
    }
    for (const r of await store.customDaily(app, fromDay, toDay)) {
      // prop '' rows count events by name (the reports' first level); the truth has them below.
      if (r.prop === '') {
        const k = `${app}|${r.name}`;
        names.set(k, (names.get(k) ?? 0) + r.count);
        continue;
      }
      const k = `${app}|${r.name}|${r.prop}|${r.value}`;
      custom.set(k, (custom.get(k) ?? 0) + r.count);
    }
  }
  const want = new Map<string, Record<string, number>>();
  for (const r of truth.app_days) want.set(`${r.app_id}|${r.day}|${r.platform}`, { ...r.events, events_total: r.events_total, unique_devices: r.unique_devices, sessions: r.sessions, session_ms: r.session_ms, seq_gaps: r.seq_gaps });
  for (const k of new Set([...want.keys(), ...got.keys()])) {
    const a = JSON.stringify(got.get(k) ?? null);
    const b = JSON.stringify(want.get(k) ?? null);
    // Key order differs between the two; compare field by field.
    const g = got.get(k) ?? {};
    const w = want.get(k) ?? {};
    for (const f of new Set([...Object.keys(g), ...Object.keys(w)])) if ((g[f] ?? 0) !== (w[f] ?? 0)) mismatches.push(`app-day ${k} ${f}: store ${g[f] ?? 0}, truth ${w[f] ?? 0} (store ${a}, truth ${b})`);
  }
  for (const r of truth.campaign_days) {
    const c = campaigns.get(`${r.campaign_id}|${r.day}`) ?? { impressions: 0, clicks: 0 };
    if (c.impressions !== r.impressions || c.clicks !== r.clicks) mismatches.push(`campaign ${r.campaign_id} ${r.day}: store ${c.impressions}/${c.clicks}, truth ${r.impressions}/${r.clicks}`);
    campaigns.delete(`${r.campaign_id}|${r.day}`);
  }
  for (const [k, c] of campaigns) if (c.impressions > 0 || c.clicks > 0) mismatches.push(`campaign-day ${k} in the store only: ${c.impressions}/${c.clicks}`);
  for (const r of truth.custom) {
    const k = `${r.app_id}|${r.name}|${r.prop}|${r.value}`;
    if (custom.get(k) !== r.count) mismatches.push(`custom ${k}: store ${custom.get(k) ?? 0}, truth ${r.count}`);
    custom.delete(k);
  }
  for (const [k, n] of custom) mismatches.push(`custom ${k} in the store only: ${n}`);
  // Events by name (prop '' rows), per app: their sum is the app's custom events in the truth.
  const customByApp = new Map<string, number>();
  for (const r of truth.app_days) customByApp.set(r.app_id, (customByApp.get(r.app_id) ?? 0) + (r.events.custom ?? 0));
  for (const app of apps) {
    let n = 0;
    for (const [k, v] of names) if (k.startsWith(`${app}|`)) n += v;
    if (n !== (customByApp.get(app) ?? 0)) mismatches.push(`custom events by name of ${app}: store ${n}, truth ${customByApp.get(app) ?? 0}`);
  }
  return { mismatches, appDays: want.size, worstHll };
}
