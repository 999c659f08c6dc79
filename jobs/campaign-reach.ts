/**
 * Campaign reach of one app, fed by aggregate-app.ts while it walks each device's events:
 * per UTC day and campaign, the impressions (exact) and a HyperLogLog of the devices that got
 * at least one (a device's rows come together, so it is added once per cell).
 */
import { DAY_MS, utcDay } from '../common/time.js';
import { Hll } from '../common/hll.js';
import type { CampaignReachRow } from '../store/funnels.js';

/** Cells keyed day * CAMPAIGN_BITS + campaign index. */
const CAMPAIGN_BITS = 2 ** 20;

class ReachCell {
  impressions = 0;
  lastDev = -1;
  readonly hll = new Hll();
  constructor(readonly day: number, readonly campaign: string) {}
}

export class ReachCounter {
  private readonly cells = new Map<number, ReachCell>();
  private readonly index = new Map<string, number>();
  private readonly names: string[] = [];

  /** The index of a campaign id, for impression(); made once per ad combination, not per event. */
  campaignIndex(campaignId: string): number {
    let i = this.index.get(campaignId);
    if (i === undefined) this.index.set(campaignId, (i = this.names.push(campaignId) - 1));
    return i;
  }

  /** An impression of campaign index `c` on day number `day` by device number `dev` (id `deviceId`). */
  impression(day: number, c: number, dev: number, deviceId: string): void {
    const key = day * CAMPAIGN_BITS + c;
    let cell = this.cells.get(key);
    if (cell === undefined) this.cells.set(key, (cell = new ReachCell(day, this.names[c]!)));
    cell.impressions++;
    if (cell.lastDev !== dev) {
      cell.lastDev = dev;
      cell.hll.add(deviceId);
    }
  }

  rows(app: string): Map<string, CampaignReachRow[]> {
    const out = new Map<string, CampaignReachRow[]>();
    for (const c of this.cells.values()) {
      const day = utcDay(c.day * DAY_MS);
      let list = out.get(day);
      if (!list) out.set(day, (list = []));
      list.push({ app_id: app, day, campaign_id: c.campaign, impressions: c.impressions, devices_hll: c.hll.toBase64() });
    }
    return out;
  }
}
