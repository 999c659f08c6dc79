import { utcDay, DAY_MS } from '../common/time.js';
import { demoPriceOf, type DemoPrice } from './demo-prices.js';
import type { World } from './world.js';

/** Impressions and clicks per campaign, app and UTC day, with the demo price of each campaign's line item. */
export interface MoneyTruth {
  /** The demo's one line item per campaign (`<campaign_id>_li`) and its price. */
  line_items: ({ campaign_id: string; line_item_id: string } & DemoPrice)[];
  campaign_app_days: { campaign_id: string; app_id: string; day: string; impressions: number; clicks: number }[];
}

/**
 * Counts the delivered ad impressions and clicks per (campaign, app, day) for money: with the
 * prices (demo-prices.ts) they give each line item's spend and each publisher's revenue.
 * Hooked into TruthAccumulator (addDevice, part, merge, toJSON).
 */
export class MoneyTruthCounter {
  readonly counts: Float64Array;

  constructor(private readonly world: World, private readonly start: number, private readonly daySlots: number) {
    this.counts = new Float64Array(world.campaigns.length * world.apps.length * daySlots * 2);
  }

  add(app: number, campaign: number, day: number, click: boolean): void {
    this.counts[((campaign * this.world.apps.length + app) * this.daySlots + day) * 2 + (click ? 1 : 0)]! += 1;
  }

  merge(counts: Float64Array): void {
    for (let i = 0; i < counts.length; i++) this.counts[i]! += counts[i]!;
  }

  toJSON(): MoneyTruth {
    const { world, daySlots } = this;
    const rows: MoneyTruth['campaign_app_days'] = [];
    for (let c = 0; c < world.campaigns.length; c++) {
      for (let a = 0; a < world.apps.length; a++) {
        for (let d = 0; d < daySlots; d++) {
          const i = ((c * world.apps.length + a) * daySlots + d) * 2;
          if (this.counts[i] === 0 && this.counts[i + 1] === 0) continue;
          rows.push({ campaign_id: world.campaigns[c]!.campaign_id, app_id: world.apps[a]!.app_id, day: utcDay(this.start + d * DAY_MS), impressions: this.counts[i]!, clicks: this.counts[i + 1]! });
        }
      }
    }
    const line_items = world.campaigns.map((c) => ({ campaign_id: c.campaign_id, line_item_id: `${c.campaign_id}_li`, ...demoPriceOf(c.campaign_id) }));
    return { line_items, campaign_app_days: rows };
  }
}
