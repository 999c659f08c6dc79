import { DEFAULT_SESSION_TIMEOUT_MS, sessionize, type SessionEvent } from '../common/sessions.js';
import { DAY_MS, utcDay } from '../common/time.js';
import { CUSTOM_EVENTS } from './catalog.js';
import { T, TYPE_NAMES, type SimDevice } from './device.js';
import type { World } from './world.js';
import { AudienceAccumulator, type AppVersionTruth, type AudienceDayTruth, type AudiencePart } from './truth-audience.js';
import { FunnelReachTruth, type FunnelReachPart, type FunnelTruth, type ReachTruth } from './truth-funnels.js';
import { MoneyTruthCounter, type MoneyTruth } from './truth-money.js';
import { DimTruth, type AppDayDimRow } from './truth-dims.js';

/** The documented ground-truth file (see sdk-mock/README.md). */
export interface GroundTruth {
  format: 'sluice-ground-truth/1';
  generator: Record<string, unknown>;
  totals: Totals;
  /** lateness_days[d]: delivered events whose first upload came d to d+1 days after they happened. */
  lateness_days: number[];
  app_days: AppDayRow[];
  campaign_days: { campaign_id: string; day: string; impressions: number; clicks: number }[];
  custom: { app_id: string; name: string; prop: string; value: string; count: number }[];
  /** Per app and day: active, new and returning devices, and the day's cohort on +1/+7/+30 (truth-audience.ts). */
  audience_days: AudienceDayTruth[];
  /** Distinct devices per app, day and app_version. */
  app_versions: AppVersionTruth[];
  /** The demo funnels (demo-funnels.ts) and campaign reach (truth-funnels.ts). */
  funnels: FunnelTruth[];
  campaign_reach: ReachTruth[];
  /** Ad counts per campaign, app and day, and the demo prices (truth-money.ts). */
  money: MoneyTruth;
  /** Per app, UTC day and country or app version (sdk-mock/truth-dims.ts). */
  app_day_dims: AppDayDimRow[];
}

export interface Totals {
  devices: number;
  generated: number;
  lost_on_device: number;
  delivered: number;
  sent: number;
  duplicates_sent: number;
  events_sent_more_than_once: number;
  uploads: number;
  legacy_events: number;
  skewed_devices: number;
  long_offline_devices: number;
  late_devices: number;
}

export interface AppDayRow {
  app_id: string;
  day: string;
  platform: 'ios' | 'android';
  events: Record<string, number>;
  events_total: number;
  unique_devices: number;
  sessions: number;
  session_ms: number;
  session_seconds: number;
  seq_gaps: number;
}

const N_TYPES = TYPE_NAMES.length;
const F_UNIQUE = N_TYPES;
const F_SESSIONS = N_TYPES + 1;
const F_SESSION_MS = N_TYPES + 2;
const F_GAPS = N_TYPES + 3;
const FIELDS = N_TYPES + 4;
const LATE_BUCKETS = 400;
const TOTAL_KEYS = ['devices', 'generated', 'lost_on_device', 'delivered', 'sent', 'duplicates_sent', 'events_sent_more_than_once', 'uploads', 'legacy_events', 'skewed_devices', 'long_offline_devices', 'late_devices'] as const satisfies readonly (keyof Totals)[];

/** What a worker hands back: plain arrays and numbers, cheap to send between threads. */
export interface TruthPart {
  appDay: Float64Array;
  campDay: Float64Array;
  lateness: Float64Array;
  custom: [string, number][];
  totals: number[];
  audience: AudiencePart;
  funnelReach: FunnelReachPart;
  money: Float64Array;
  dims: [string, number[]][];
}

/** Counts what the fleet delivered, device by device; parts from workers add up. */
export class TruthAccumulator {
  readonly daySlots: number;
  readonly appDay: Float64Array;
  readonly campDay: Float64Array;
  readonly lateness = new Float64Array(LATE_BUCKETS);
  readonly custom = new Map<string, number>();
  readonly totals = new Float64Array(TOTAL_KEYS.length);
  private readonly sessionBuf: SessionEvent[] = [];
  private readonly audience = new AudienceAccumulator();
  private readonly funnelReach: FunnelReachTruth;
  readonly money: MoneyTruthCounter;
  private readonly dims: DimTruth;

  constructor(
    private readonly world: World,
    private readonly start: number,
    days: number,
    private readonly sessionTimeoutMs = DEFAULT_SESSION_TIMEOUT_MS,
  ) {
    // Sessions that start on the last day may run past midnight: one spare day.
    this.daySlots = days + 2;
    this.appDay = new Float64Array(world.apps.length * this.daySlots * 2 * FIELDS);
    this.campDay = new Float64Array(world.campaigns.length * this.daySlots * 2);
    this.funnelReach = new FunnelReachTruth(world, start, this.daySlots);
    this.money = new MoneyTruthCounter(world, start, this.daySlots);
    this.dims = new DimTruth(start);
  }

  private row(app: number, day: number, ios: number): number {
    if (day < 0 || day >= this.daySlots) throw new RangeError(`event day ${day} outside the simulated window`);
    return ((app * this.daySlots + day) * 2 + ios) * FIELDS;
  }

  addDevice(d: SimDevice): void {
    const tot = this.totals;
    const ios = d.platform === 'ios' ? 1 : 0;
    // First upload of each event, and how many times it was sent.
    const firstAt = new Map<number, number>();
    const sends = new Map<number, number>();
    for (const up of d.uploads) {
      tot[7]! += 1;
      tot[4]! += up.events.length;
      for (const e of up.events) {
        if (!firstAt.has(e.seq)) firstAt.set(e.seq, up.at);
        sends.set(e.seq, (sends.get(e.seq) ?? 0) + 1);
      }
    }
    tot[0]! += 1;
    tot[1]! += d.events.length;
    if (d.skewMs !== 0) tot[9]! += 1;
    if (d.longOffline) tot[10]! += 1;
    let lastDay = -1;
    let prevSeq = -1;
    let maxLate = 0;
    const sessionEvents = this.sessionBuf;
    sessionEvents.length = 0;
    for (const e of d.events) {
      if (e.lost) {
        tot[2]! += 1;
        continue;
      }
      const n = sends.get(e.seq);
      if (n === undefined) throw new Error(`device ${d.index}: event seq ${e.seq} was never uploaded`);
      tot[3]! += 1;
      if (n > 1) {
        tot[5]! += n - 1;
        tot[6]! += 1;
      }
      if (d.legacy) tot[8]! += 1;
      const day = Math.floor((e.t - this.start) / DAY_MS);
      const r = this.row(d.app, day, ios);
      this.appDay[r + e.type]! += 1;
      if (day !== lastDay) {
        this.appDay[r + F_UNIQUE]! += 1;
        lastDay = day;
      }
      if (prevSeq >= 0 && e.seq > prevSeq + 1) this.appDay[r + F_GAPS]! += e.seq - prevSeq - 1;
      prevSeq = e.seq;
      const late = firstAt.get(e.seq)! - e.t;
      if (late > maxLate) maxLate = late;
      this.lateness[Math.min(LATE_BUCKETS - 1, Math.floor(late / DAY_MS))]! += 1;
      if (e.campaign >= 0 && (e.type === T.AdImpression || e.type === T.AdClick)) {
        this.campDay[(e.campaign * this.daySlots + day) * 2 + (e.type === T.AdClick ? 1 : 0)]! += 1;
        this.money.add(d.app, e.campaign, day, e.type === T.AdClick);
      }
      if (e.custom >= 0) {
        const def = CUSTOM_EVENTS[e.custom]!;
        const keys = Object.keys(def.props);
        for (let i = 0; i < keys.length; i++) {
          const key = `${d.app}\t${def.name}\t${keys[i]}\t${e.props![i]}`;
          this.custom.set(key, (this.custom.get(key) ?? 0) + 1);
        }
      }
      sessionEvents.push({ type: TYPE_NAMES[e.type], ts: e.t });
    }
    if (maxLate >= DAY_MS) tot[11]! += 1;
    this.audience.addDevice(d, this.start);
    this.funnelReach.addDevice(d);
    const sessions = sessionize(sessionEvents, this.sessionTimeoutMs);
    for (const s of sessions) {
      const r = this.row(d.app, Math.floor((s.start - this.start) / DAY_MS), ios);
      this.appDay[r + F_SESSIONS]! += 1;
      this.appDay[r + F_SESSION_MS]! += s.end - s.start;
    }
    this.dims.addDevice(d, sessions);
  }

  part(): TruthPart {
    return { appDay: this.appDay, campDay: this.campDay, lateness: this.lateness, custom: [...this.custom], totals: [...this.totals], audience: this.audience.part(), funnelReach: this.funnelReach.part(), money: this.money.counts, dims: this.dims.part() };
  }

  merge(p: TruthPart): void {
    for (let i = 0; i < p.appDay.length; i++) this.appDay[i]! += p.appDay[i]!;
    for (let i = 0; i < p.campDay.length; i++) this.campDay[i]! += p.campDay[i]!;
    for (let i = 0; i < p.lateness.length; i++) this.lateness[i]! += p.lateness[i]!;
    for (let i = 0; i < p.totals.length; i++) this.totals[i]! += p.totals[i]!;
    for (const [k, v] of p.custom) this.custom.set(k, (this.custom.get(k) ?? 0) + v);
    this.audience.merge(p.audience);
    this.funnelReach.merge(p.funnelReach);
    this.money.merge(p.money);
    this.dims.merge(p.dims);
  }

  toJSON(generator: Record<string, unknown>): GroundTruth {
    const { world, start, daySlots } = this;
    const app_days: AppDayRow[] = [];
    for (let a = 0; a < world.apps.length; a++) {
      for (let day = 0; day < daySlots; day++) {
        for (const ios of [1, 0]) {
          const r = ((a * daySlots + day) * 2 + ios) * FIELDS;
          const events: Record<string, number> = {};
          let total = 0;
          for (let t = 0; t < N_TYPES; t++) {
            const n = this.appDay[r + t]!;
            if (n > 0) events[TYPE_NAMES[t]!] = n;
            total += n;
          }
          if (total === 0 && this.appDay[r + F_SESSIONS] === 0) continue;
          const ms = this.appDay[r + F_SESSION_MS]!;
          app_days.push({
            app_id: world.apps[a]!.app_id,
            day: utcDay(start + day * DAY_MS),
            platform: ios ? 'ios' : 'android',
            events,
            events_total: total,
            unique_devices: this.appDay[r + F_UNIQUE]!,
            sessions: this.appDay[r + F_SESSIONS]!,
            session_ms: ms,
            session_seconds: ms / 1000,
            seq_gaps: this.appDay[r + F_GAPS]!,
          });
        }
      }
    }
    const campaign_days: GroundTruth['campaign_days'] = [];
    for (let c = 0; c < world.campaigns.length; c++) {
      for (let day = 0; day < daySlots; day++) {
        const i = (c * daySlots + day) * 2;
        if (this.campDay[i] === 0 && this.campDay[i + 1] === 0) continue;
        campaign_days.push({ campaign_id: world.campaigns[c]!.campaign_id, day: utcDay(start + day * DAY_MS), impressions: this.campDay[i]!, clicks: this.campDay[i + 1]! });
      }
    }
    const custom = [...this.custom]
      .sort((x, y) => (x[0] < y[0] ? -1 : x[0] > y[0] ? 1 : 0))
      .map(([k, count]) => {
        const [a, name, prop, value] = k.split('\t') as [string, string, string, string];
        return { app_id: world.apps[Number(a)]!.app_id, name, prop, value, count };
      });
    let lastLate = LATE_BUCKETS;
    while (lastLate > 1 && this.lateness[lastLate - 1] === 0) lastLate--;
    const totals = {} as Totals;
    TOTAL_KEYS.forEach((k, i) => (totals[k] = this.totals[i] ?? 0));
    return { format: 'sluice-ground-truth/1', generator, totals, lateness_days: [...this.lateness.subarray(0, lastLate)], app_days, campaign_days, custom, ...this.audience.toJSON(world, start), ...this.funnelReach.toJSON(), money: this.money.toJSON(), app_day_dims: this.dims.toJSON(world.apps.map((a) => a.app_id)) };
  }
}
