/**
 * Conversion attribution: which ad clicks get the credit for each conversion.
 *
 * A conversion's candidates are the clicks of the same device at most `lookbackDays` before
 * it (conversion.ts - lookback <= click.ts <= conversion.ts, both ends included; a click in
 * the same millisecond counts whatever its ord). The models split one conversion of credit:
 *   last_touch  all of it to the latest candidate (the last by ts, ord);
 *   linear      1/n to each of the n candidates;
 *   time_decay  weight 2^(-(conversion.ts - click.ts) / halfLife), normalised to sum 1.
 * A conversion with no candidate is credited to campaign '' creative '' (organic), so the
 * credit of a day always sums to its conversions.
 *
 * Per device the clicks are one ts-ordered array and each conversion's candidates a window
 * [lo, hi) of it; both ends only move forward, so finding the windows is O(touches).
 * last_touch then costs O(1) per conversion and linear O(distinct campaign x creative in the
 * window) (the window keeps counts per pair); time_decay walks the window's clicks.
 */
import { DAY_MS } from '../common/time.js';
import type { AttributionRow, TouchRow } from '../store/facts.js';

export type AttributionModel = 'last_touch' | 'linear' | 'time_decay';

const ATTRIBUTION_MODELS: readonly AttributionModel[] = ['last_touch', 'linear', 'time_decay'];

interface AttributionOptions {
  /** How far back (in days, may be fractional) a click can be and still count. */
  lookbackDays: number;
  model: AttributionModel;
  /** time_decay: a click this many days older than another gets half its weight. Default 7. */
  halfLifeDays?: number;
  /** Conversions of days in [fromDay, toDay] (YYYY-MM-DD, UTC) are attributed; clicks of any day can be candidates. */
  fromDay: string;
  toDay: string;
}

/** Pure: the attribution rows of the conversions in [fromDay, toDay], by day, campaign_id, creative_id. */
export function attribute(touches: readonly TouchRow[], opts: AttributionOptions): AttributionRow[] {
  const { lookbackDays, model, fromDay, toDay } = opts;
  const halfLifeDays = opts.halfLifeDays ?? 7;
  if (!ATTRIBUTION_MODELS.includes(model)) throw new RangeError(`unknown attribution model ${JSON.stringify(model)}`);
  if (!(Number.isFinite(lookbackDays) && lookbackDays >= 0)) throw new RangeError(`lookbackDays must be a finite number >= 0, not ${lookbackDays}`);
  if (!(Number.isFinite(halfLifeDays) && halfLifeDays > 0)) throw new RangeError(`halfLifeDays must be a finite number > 0, not ${halfLifeDays}`);
  const lookbackMs = lookbackDays * DAY_MS;
  const halfLifeMs = halfLifeDays * DAY_MS;

  const out = new Map<string, AttributionRow>();
  const credit = (conv: TouchRow, campaign_id: string, creative_id: string, amount: number): void => {
    if (amount === 0) return;
    const key = `${conv.app_id}\u0000${conv.day}\u0000${campaign_id}\u0000${creative_id}`;
    const row = out.get(key);
    if (row) row.conversions += amount;
    else out.set(key, { app_id: conv.app_id, day: conv.day, campaign_id, creative_id, model, conversions: amount });
  };

  // Reused per device.
  const clicks: TouchRow[] = [];
  const inWindow = new Map<string, { campaign_id: string; creative_id: string; n: number }>();
  const decay = new Map<string, { campaign_id: string; creative_id: string; w: number }>();

  const device = (rows: readonly TouchRow[], start: number, end: number): void => {
    clicks.length = 0;
    inWindow.clear();
    for (let i = start; i < end; i++) if (rows[i]!.kind === 'click') clicks.push(rows[i]!);
    let lo = 0;
    let hi = 0;
    for (let i = start; i < end; i++) {
      const conv = rows[i]!;
      if (conv.kind !== 'conversion') continue;
      // Move the window to [conv.ts - lookback, conv.ts] even for conversions outside the
      // range, so the per-pair counts stay right.
      while (hi < clicks.length && clicks[hi]!.ts <= conv.ts) {
        if (model === 'linear') pairEnter(inWindow, clicks[hi]!);
        hi++;
      }
      while (lo < hi && clicks[lo]!.ts < conv.ts - lookbackMs) {
        if (model === 'linear') pairLeave(inWindow, clicks[lo]!);
        lo++;
      }
      if (conv.day < fromDay || conv.day > toDay) continue;
      const n = hi - lo;
      if (n === 0) {
        credit(conv, '', '', 1);
      } else if (model === 'last_touch') {
        const c = clicks[hi - 1]!;
        credit(conv, c.campaign_id, c.creative_id, 1);
      } else if (model === 'linear') {
        for (const p of inWindow.values()) credit(conv, p.campaign_id, p.creative_id, p.n / n);
      } else {
        // Relative to the latest candidate (weight 1), so the sum is >= 1 and never underflows to 0.
        const latest = clicks[hi - 1]!.ts;
        decay.clear();
        let total = 0;
        for (let j = lo; j < hi; j++) {
          const c = clicks[j]!;
          const w = 2 ** ((c.ts - latest) / halfLifeMs);
          total += w;
          const key = pairKey(c);
          const p = decay.get(key);
          if (p) p.w += w;
          else decay.set(key, { campaign_id: c.campaign_id, creative_id: c.creative_id, w });
        }
        for (const p of decay.values()) credit(conv, p.campaign_id, p.creative_id, p.w / total);
      }
    }
  };

  const rows = inDeviceOrder(touches);
  for (let start = 0; start < rows.length; ) {
    let end = start + 1;
    while (end < rows.length && sameDevice(rows[end]!, rows[start]!)) end++;
    device(rows, start, end);
    start = end;
  }

  return [...out.values()].sort(
    (a, b) => cmp(a.day, b.day) || cmp(a.campaign_id, b.campaign_id) || cmp(a.creative_id, b.creative_id) || cmp(a.app_id, b.app_id),
  );
}

function pairKey(c: TouchRow): string {
  return `${c.campaign_id}\u0000${c.creative_id}`;
}

function pairEnter(w: Map<string, { campaign_id: string; creative_id: string; n: number }>, c: TouchRow): void {
  const key = pairKey(c);
  const p = w.get(key);
  if (p) p.n++;
  else w.set(key, { campaign_id: c.campaign_id, creative_id: c.creative_id, n: 1 });
}

function pairLeave(w: Map<string, { campaign_id: string; creative_id: string; n: number }>, c: TouchRow): void {
  const key = pairKey(c);
  const p = w.get(key)!;
  if (--p.n === 0) w.delete(key);
}

function sameDevice(a: TouchRow, b: TouchRow): boolean {
  return a.device_id === b.device_id && a.app_id === b.app_id;
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * The touches with each device's rows (per app) together and ordered by ts, ord: the input
 * itself when it already is (the store answers them by device_id, ts, ord), else a sorted copy.
 */
function inDeviceOrder(touches: readonly TouchRow[]): readonly TouchRow[] {
  const seen = new Set<string>();
  for (let i = 0; i < touches.length; i++) {
    const t = touches[i]!;
    const prev = i > 0 ? touches[i - 1]! : undefined;
    if (prev && sameDevice(prev, t)) {
      if (t.ts < prev.ts || (t.ts === prev.ts && t.ord < prev.ord)) return sorted(touches);
    } else {
      const key = `${t.app_id}\u0000${t.device_id}`;
      if (seen.has(key)) return sorted(touches);
      seen.add(key);
    }
  }
  return touches;
}

function sorted(touches: readonly TouchRow[]): TouchRow[] {
  return [...touches].sort((a, b) => cmp(a.app_id, b.app_id) || cmp(a.device_id, b.device_id) || a.ts - b.ts || a.ord - b.ord);
}
