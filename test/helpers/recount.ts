import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { dedupeKey } from '../../common/dedupe-key.js';
import { sessionize } from '../../common/sessions.js';
import { utcDay } from '../../common/time.js';
import type { GroundTruth } from '../../sdk-mock/ground-truth.js';
import { recountAudience } from './recount-audience.js';

/** One upload as a server would see it: the parsed body and when it arrived. */
export interface Received {
  body: { device: Record<string, unknown>; sent_at?: number; events: Record<string, unknown>[] };
  receivedAt: number;
}

/** Reads every upload a `sluice sim --out DIR` wrote, in the order of index.ndjson. */
export function readUploads(dir: string): Received[] {
  const parts = new Map<string, Buffer>();
  const out: Received[] = [];
  for (const line of readFileSync(join(dir, 'uploads', 'index.ndjson'), 'utf8').split('\n')) {
    if (!line) continue;
    const ix = JSON.parse(line) as { file: string; offset: number; length: number; received_at: number; events: number };
    let part = parts.get(ix.file);
    if (!part) parts.set(ix.file, (part = readFileSync(join(dir, 'uploads', ix.file))));
    const body = JSON.parse(gunzipSync(part.subarray(ix.offset, ix.offset + ix.length)).toString('utf8'));
    out.push({ body, receivedAt: ix.received_at });
  }
  return out;
}

/** Skew correction written out again here, on purpose, from DESIGN.md and the README. */
function corrected(ts: number, sentAt: number | undefined, receivedAt: number): number {
  if (sentAt === undefined) return ts;
  const d = receivedAt - sentAt;
  return Math.abs(d) < 120_000 ? ts : ts + Math.round(d / 60_000) * 60_000;
}

export interface Recount {
  truthLike: Omit<GroundTruth, 'format' | 'generator' | 'funnels' | 'campaign_reach'>;
  /** Per delivered event: lateness in ms of its first upload; per device: share of uploads. */
  latenessMs: number[];
  sentMoreThanOnce: number;
  devices: number;
  /** Per device (app|device): the latest its first upload of any event came, ms. */
  deviceMaxLateMs: Map<string, number>;
}

/**
 * Recounts uploads from scratch: dedupe on (app, device, event_id) or the content
 * fingerprint, then every table of the ground truth. Shares nothing with the generator.
 */
export function recount(uploads: Received[]): Recount {
  const seen = new Map<string, { e: Record<string, unknown>; t: number; first: number; sends: number }>();
  let sent = 0;
  for (const { body, receivedAt } of uploads) {
    for (const raw of body.events) {
      sent++;
      const e = { ...body.device, ...raw } as Record<string, unknown> & { app_id: string; device_id: string; seq: number; type: string; ts: number };
      const key = dedupeKey(e);
      const prev = seen.get(key);
      if (prev) {
        prev.sends++;
        continue;
      }
      const sentAt = (raw.sent_at as number | undefined) ?? body.sent_at;
      seen.set(key, { e, t: corrected(e.ts, sentAt, receivedAt), first: receivedAt, sends: 1 });
    }
  }
  const appDays = new Map<string, { events: Record<string, number>; total: number; devices: Set<string>; sessions: number; ms: number; gaps: number }>();
  const row = (app: string, day: string, platform: string) => {
    const k = `${app}|${day}|${platform}`;
    let r = appDays.get(k);
    if (!r) appDays.set(k, (r = { events: {}, total: 0, devices: new Set(), sessions: 0, ms: 0, gaps: 0 }));
    return r;
  };
  const camp = new Map<string, { impressions: number; clicks: number }>();
  const campApp = new Map<string, { impressions: number; clicks: number }>();
  // Per app, day, country or app version: [events, impressions, clicks, sessions, session ms].
  const dims = new Map<string, number[]>();
  const dimRow = (e: Record<string, unknown>, day: string, dim: 'country' | 'app_version') => {
    const k = `${e.app_id}\t${day}\t${dim}\t${String(e[dim] ?? '')}`;
    let r = dims.get(k);
    if (!r) dims.set(k, (r = [0, 0, 0, 0, 0]));
    return r;
  };
  const custom = new Map<string, number>();
  const byDevice = new Map<string, { e: Record<string, unknown>; t: number }[]>();
  const latenessMs: number[] = [];
  const deviceMaxLateMs = new Map<string, number>();
  let sentMoreThanOnce = 0;
  let legacy = 0;
  for (const { e, t, first, sends } of seen.values()) {
    const day = utcDay(t);
    const r = row(e.app_id as string, day, e.platform as string);
    const type = e.type as string;
    r.events[type] = (r.events[type] ?? 0) + 1;
    r.total++;
    r.devices.add(e.device_id as string);
    for (const dim of ['country', 'app_version'] as const) {
      const d = dimRow(e, day, dim);
      d[0]!++;
      if (type === 'ad_impression') d[1]!++;
      if (type === 'ad_click') d[2]!++;
    }
    if (sends > 1) sentMoreThanOnce++;
    if (e.event_id === undefined) legacy++;
    latenessMs.push(first - t);
    const devKey = `${e.app_id}|${e.device_id}`;
    deviceMaxLateMs.set(devKey, Math.max(deviceMaxLateMs.get(devKey) ?? 0, first - t));
    if (type === 'ad_impression' || type === 'ad_click') {
      const k = `${e.campaign_id}|${day}`;
      const c = camp.get(k) ?? { impressions: 0, clicks: 0 };
      if (type === 'ad_impression') c.impressions++;
      else c.clicks++;
      camp.set(k, c);
      const ka = `${e.campaign_id}|${e.app_id}|${day}`;
      const ca = campApp.get(ka) ?? { impressions: 0, clicks: 0 };
      if (type === 'ad_impression') ca.impressions++;
      else ca.clicks++;
      campApp.set(ka, ca);
    }
    if (type === 'custom') {
      for (const [prop, value] of Object.entries(e.props as Record<string, unknown>)) {
        const k = `${e.app_id}\t${e.name}\t${prop}\t${String(value)}`;
        custom.set(k, (custom.get(k) ?? 0) + 1);
      }
    }
    const dk = `${e.app_id}|${e.device_id}`;
    let list = byDevice.get(dk);
    if (!list) byDevice.set(dk, (list = []));
    list.push({ e, t });
  }
  let gapsTotal = 0;
  for (const list of byDevice.values()) {
    list.sort((a, b) => (a.e.seq as number) - (b.e.seq as number));
    for (let i = 1; i < list.length; i++) {
      const missing = (list[i]!.e.seq as number) - (list[i - 1]!.e.seq as number) - 1;
      if (missing > 0) {
        row(list[i]!.e.app_id as string, utcDay(list[i]!.t), list[i]!.e.platform as string).gaps += missing;
        gapsTotal += missing;
      }
    }
    const head = list[0]!.e;
    for (const s of sessionize(list.map((x) => ({ type: x.e.type as string, ts: x.t })))) {
      const r = row(head.app_id as string, utcDay(s.start), head.platform as string);
      r.sessions++;
      r.ms += s.end - s.start;
      for (const dim of ['country', 'app_version'] as const) {
        const d = dimRow(head, utcDay(s.start), dim);
        d[3]!++;
        d[4]! += s.end - s.start;
      }
    }
  }
  const lateness_days: number[] = [];
  for (const ms of latenessMs) {
    const d = Math.min(399, Math.floor(ms / 86_400_000));
    while (lateness_days.length <= d) lateness_days.push(0);
    lateness_days[d]!++;
  }
  const app_days = [...appDays].map(([k, r]) => {
    const [app_id, day, platform] = k.split('|') as [string, string, 'ios' | 'android'];
    return { app_id, day, platform, events: r.events, events_total: r.total, unique_devices: r.devices.size, sessions: r.sessions, session_ms: r.ms, session_seconds: r.ms / 1000, seq_gaps: r.gaps };
  });
  const campaign_days = [...camp].map(([k, c]) => {
    const [campaign_id, day] = k.split('|') as [string, string];
    return { campaign_id, day, ...c };
  });
  const campaign_app_days = [...campApp].map(([k, c]) => {
    const [campaign_id, app_id, day] = k.split('|') as [string, string, string];
    return { campaign_id, app_id, day, ...c };
  });
  const customRows = [...custom].map(([k, count]) => {
    const [app_id, name, prop, value] = k.split('\t') as [string, string, string, string];
    return { app_id, name, prop, value, count };
  });
  return {
    truthLike: {
      totals: {
        devices: new Set([...byDevice.keys()]).size, generated: seen.size + gapsTotal, lost_on_device: gapsTotal, delivered: seen.size, sent,
        duplicates_sent: sent - seen.size, events_sent_more_than_once: sentMoreThanOnce, uploads: uploads.length, legacy_events: legacy,
        skewed_devices: -1, long_offline_devices: -1, late_devices: -1,
      },
      lateness_days,
      app_days,
      campaign_days,
      custom: customRows,
      ...recountAudience(byDevice),
      // The prices are the demo's (a function of the campaign), not something uploads tell.
      money: { line_items: [], campaign_app_days },
      app_day_dims: [...dims].map(([k, v]) => {
        const [app_id, day, dim, value] = k.split('\t') as [string, string, 'country' | 'app_version', string];
        return { app_id, day, dim, value, events_total: v[0]!, ad_impression: v[1]!, ad_click: v[2]!, sessions: v[3]!, session_ms: v[4]! };
      }),
    },
    latenessMs,
    sentMoreThanOnce,
    devices: byDevice.size,
    deviceMaxLateMs,
  };
}

/** Rows of a table keyed for comparison regardless of order. */
export function keyed<T extends object>(rows: T[], key: (r: T) => string): Map<string, T> {
  return new Map(rows.map((r) => [key(r), r]));
}
