/**
 * Ground truth of the demo funnels (demo-funnels.ts) and of campaign reach, device by device.
 * Funnels: per funnel, UTC day and step k, the devices whose delivered custom events of that
 * day contain steps 1..k in order (events in the device's order, greedy matching, as the jobs
 * do). Reach: per campaign, the devices with at least one delivered impression over the
 * window and per day, and the impressions. A device is simulated by one worker only, so every
 * count here adds up across workers' parts.
 */
import { DAY_MS, utcDay } from '../common/time.js';
import { CUSTOM_EVENTS } from './catalog.js';
import { demoFunnels, type DemoFunnel } from './demo-funnels.js';
import { T, type SimDevice } from './device.js';
import type { World } from './world.js';

const MAX_STEPS = 6;

export interface FunnelTruth {
  funnel_id: string;
  app_id: string;
  name: string;
  steps: string[];
  /** Days with a device at step 1; devices[k] is step k + 1. */
  days: { day: string; devices: number[] }[];
}

export interface ReachTruth {
  campaign_id: string;
  /** Exact distinct devices with an impression over the window. */
  devices: number;
  impressions: number;
  days: { day: string; devices: number; impressions: number }[];
}

export interface FunnelReachPart {
  funnels: Float64Array;
  reachDay: Float64Array;
  reachAll: Float64Array;
}

export class FunnelReachTruth {
  private readonly defs: DemoFunnel[];
  /** Funnel indexes of each app, and each funnel's steps as custom event indexes. */
  private readonly byApp: number[][];
  private readonly stepIdx: Int32Array[];
  /** (funnel, day, step) devices. */
  readonly funnels: Float64Array;
  /** (campaign, day) devices and impressions. */
  readonly reachDay: Float64Array;
  /** Devices per campaign over the window. */
  readonly reachAll: Float64Array;

  constructor(private readonly world: World, private readonly start: number, private readonly daySlots: number) {
    this.defs = demoFunnels(world);
    const appIndex = new Map(world.apps.map((a, i) => [a.app_id, i]));
    this.byApp = world.apps.map(() => []);
    this.defs.forEach((f, i) => this.byApp[appIndex.get(f.app_id)!]!.push(i));
    this.stepIdx = this.defs.map((f) => Int32Array.from(f.steps, (s) => CUSTOM_EVENTS.findIndex((c) => c.name === s)));
    this.funnels = new Float64Array(this.defs.length * daySlots * MAX_STEPS);
    this.reachDay = new Float64Array(world.campaigns.length * daySlots * 2);
    this.reachAll = new Float64Array(world.campaigns.length);
  }

  addDevice(d: SimDevice): void {
    const mine = this.byApp[d.app]!;
    // Progress per (day, funnel of the app); campaigns reached per day and overall.
    const progress = new Map<number, Uint8Array>();
    const seenDay = new Set<number>();
    const seenAll = new Set<number>();
    for (const e of d.events) {
      if (e.lost) continue;
      const day = Math.floor((e.t - this.start) / DAY_MS);
      if (day < 0 || day >= this.daySlots) continue;
      if (e.type === T.AdImpression && e.campaign >= 0) {
        const c = e.campaign;
        const k = (c * this.daySlots + day) * 2;
        this.reachDay[k + 1]! += 1;
        if (!seenDay.has(k)) seenDay.add(k), (this.reachDay[k]! += 1);
        if (!seenAll.has(c)) seenAll.add(c), (this.reachAll[c]! += 1);
      }
      if (e.custom >= 0 && mine.length > 0) {
        let p = progress.get(day);
        if (!p) progress.set(day, (p = new Uint8Array(mine.length)));
        for (let j = 0; j < mine.length; j++) {
          const st = this.stepIdx[mine[j]!]!;
          if (p[j]! < st.length && st[p[j]!] === e.custom) p[j]!++;
        }
      }
    }
    for (const [day, p] of progress) {
      for (let j = 0; j < mine.length; j++) {
        const base = (mine[j]! * this.daySlots + day) * MAX_STEPS;
        for (let k = 0; k < p[j]!; k++) this.funnels[base + k]! += 1;
      }
    }
  }

  part(): FunnelReachPart {
    return { funnels: this.funnels, reachDay: this.reachDay, reachAll: this.reachAll };
  }

  merge(p: FunnelReachPart): void {
    for (let i = 0; i < p.funnels.length; i++) this.funnels[i]! += p.funnels[i]!;
    for (let i = 0; i < p.reachDay.length; i++) this.reachDay[i]! += p.reachDay[i]!;
    for (let i = 0; i < p.reachAll.length; i++) this.reachAll[i]! += p.reachAll[i]!;
  }

  toJSON(): { funnels: FunnelTruth[]; campaign_reach: ReachTruth[] } {
    const { daySlots, start } = this;
    const funnels = this.defs.map((f, i): FunnelTruth => {
      const days: FunnelTruth['days'] = [];
      for (let day = 0; day < daySlots; day++) {
        const base = (i * daySlots + day) * MAX_STEPS;
        if (this.funnels[base] === 0) continue;
        days.push({ day: utcDay(start + day * DAY_MS), devices: Array.from(this.funnels.subarray(base, base + f.steps.length)) });
      }
      return { funnel_id: f.id, app_id: f.app_id, name: f.name, steps: f.steps, days };
    });
    const campaign_reach: ReachTruth[] = [];
    this.world.campaigns.forEach((c, ci) => {
      const days: ReachTruth['days'] = [];
      let impressions = 0;
      for (let day = 0; day < daySlots; day++) {
        const k = (ci * daySlots + day) * 2;
        if (this.reachDay[k + 1] === 0) continue;
        impressions += this.reachDay[k + 1]!;
        days.push({ day: utcDay(start + day * DAY_MS), devices: this.reachDay[k]!, impressions: this.reachDay[k + 1]! });
      }
      if (days.length > 0) campaign_reach.push({ campaign_id: c.campaign_id, devices: this.reachAll[ci]!, impressions, days });
    });
    return { funnels, campaign_reach };
  }
}
