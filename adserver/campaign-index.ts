import type { Logger } from '../common/logger.js';
import type { App, Campaign, CampaignSnapshot, Creative, LineItem, Slot } from '../store/model.js';
import { creativeTokenPart, tokenTailFits } from '../common/decision-token.js';
import { vastCreative, type VastCreative } from './vast.js';
import { flatString } from '../common/flat-string.js';
import { compileTargeting } from '../common/targeting/compile.js';
import type { TargetingContext } from '../common/targeting/request-context.js';
import { PacingUnit } from './pacing.js';

/** A line item ready to serve in one slot: everything precomputed at build time. */
/** A video creative's VAST parts, flattened; null when it cannot be VAST (not a video, or a payload written before it was checked). */
/** The video creatives among `fit` (by index; `vast` their parts as the candidate keeps them) with cumulative weights, or null when there are none. */
function videoWeights(fit: readonly Creative[], vast: readonly (VastCreative | null)[]): { at: number[]; cum: number[] } | null {
  const at: number[] = [];
  const cum: number[] = [];
  let w = 0;
  fit.forEach((c, k) => {
    if (vast[k] === null) return;
    at.push(k);
    cum.push((w += c.weight));
  });
  return at.length === 0 ? null : { at, cum };
}

function vastOf(c: Creative, campaignId: string, lineItemId: string): VastCreative | null {
  const v = vastCreative(c, campaignId, lineItemId);
  return typeof v === 'string' ? null : { title: flatString(v.title), head: flatString(v.head), media: flatString(v.media) };
}

export interface Candidate {
  /** Index of the line item in the index (why-not counters and caps use it). */
  idx: number;
  lineItemId: string;
  campaignId: string;
  priority: number;
  start: number;
  end: number;
  /** The line item's targeting: an index into CampaignIndex.tests (line items with the same expression share one). */
  testId: number;
  capCount: number;
  capWindowMs: number;
  exclusion: readonly string[];
  /** Creatives that fit the slot, with their answer fragment serialised once. */
  /** tokenTail is what the signature covers; tokenTailUrl the same with '%' escaped for a query string. */
  /** `vast`: a video creative's VAST parts (adserver/vast.ts), null for other kinds. */
  creatives: { id: string; json: string; clickUrl: string; tokenTail: string; tokenTailUrl: string; vast: VastCreative | null }[];
  cumWeights: number[];
  /** Its video creatives (those with VAST parts): their indices in `creatives` and cumulative weights; null when none (/v1/vast skips the candidate). */
  video: { at: number[]; cum: number[] } | null;
  /** One pacing unit, or one per country when the goal is split by country. */
  unit: PacingUnit | null;
  byCountry: Map<string, PacingUnit> | null;
}

export interface SlotEntry {
  slot: Slot;
  app: App;
  /** Candidates grouped by priority, highest first. */
  tiers: Candidate[][];
}

/** Pacing units keyed by line item (and country); they outlive index rebuilds. */
export type PacingRegistry = Map<string, PacingUnit>;

function unitFor(reg: PacingRegistry, key: string, li: LineItem, goal: number): PacingUnit {
  const old = reg.get(key);
  if (old && old.goal === goal && old.start === li.start_at && old.end === li.end_at && old.mode === li.delivery) return old;
  const u = new PacingUnit(key, goal, li.start_at, li.end_at, li.delivery);
  // The goal or flight changed: keep what was delivered.
  if (old) u.carryFrom(old);
  reg.set(key, u);
  return u;
}

/** The snapshot's creatives, grouped by line item. */
function creativesByLineItem(snap: CampaignSnapshot): Map<string, Creative[]> {
  const creativesByLi = new Map<string, Creative[]>();
  for (const cr of snap.creatives) {
    const list = creativesByLi.get(cr.line_item_id) ?? [];
    list.push(cr);
    creativesByLi.set(cr.line_item_id, list);
  }
  return creativesByLi;
}

/** Enters every slot of a known app in the index (tiers empty yet); returns all slots grouped by size. */
function addSlots(ix: CampaignIndex, snap: CampaignSnapshot): Map<string, Slot[]> {
  const apps = new Map(snap.apps.map((a) => [a.id, a]));
  const slotsBySize = new Map<string, Slot[]>();
  for (const s of snap.slots) {
    const list = slotsBySize.get(s.size) ?? [];
    list.push(s);
    slotsBySize.set(s.size, list);
    const app = apps.get(s.app_id);
    if (app) ix.slots.set(s.id, { slot: s, app, tiers: [] });
  }
  return slotsBySize;
}

/** The id of the line item's compiled targeting (compiled once per distinct expression), or undefined when it does not compile (the line item is skipped). */
function targetingId(ix: CampaignIndex, testIds: Map<string, number>, li: LineItem, log: Logger | undefined): number | undefined {
  let testId = testIds.get(li.targeting);
  try {
    if (testId === undefined) {
      const compiled = compileTargeting(li.targeting);
      testId = ix.tests.push((ctx) => compiled.test(ctx)) - 1;
      testIds.set(li.targeting, testId);
    }
  } catch (err) {
    ix.skipped.push({ id: li.id, why: `targeting: ${(err as Error).message}` });
    log?.warn({ lineItem: li.id, err: (err as Error).message }, 'line item left out: its targeting does not compile');
    return undefined;
  }
  return testId;
}

/** The line item's pacing units: one, or one per country when its goal is split; their keys go into `live`. */
function unitsOf(pacing: PacingRegistry, li: LineItem, live: Set<string>): Pick<Candidate, 'unit' | 'byCountry'> {
  let unit: PacingUnit | null = null;
  let byCountry: Map<string, PacingUnit> | null = null;
  if (li.country_split && Object.keys(li.country_split).length > 0) {
    byCountry = new Map();
    for (const [country, share] of Object.entries(li.country_split)) {
      const key = `${li.id}|${country}`;
      byCountry.set(country, unitFor(pacing, key, li, Math.round(li.goal * share)));
      live.add(key);
    }
  } else {
    unit = unitFor(pacing, li.id, li, li.goal);
    live.add(li.id);
  }
  return { unit, byCountry };
}

/** What a candidate of `li` shares across slot sizes: everything but its creatives. */
type LineItemPart = Omit<Candidate, 'creatives' | 'cumWeights' | 'video'>;

/** The line item's creatives of `size` that can serve, with their token tails; those whose tail is too long are skipped (and logged). */
function fittingCreatives(ix: CampaignIndex, li: LineItem, cmp: Campaign, creatives: readonly Creative[], size: string, log: Logger | undefined): { fit: Creative[]; tails: string[] } {
  const fit: Creative[] = [];
  const tails: string[] = [];
  for (const c of creatives) {
    if (c.size !== size || c.weight <= 0) continue;
    const tail = creativeTokenPart(cmp.id, c.id, li.id, c.click_url);
    // Tracking drops a token over its limit: such a creative would be counted as served but never as seen.
    if (!tokenTailFits(tail)) {
      ix.skipped.push({ id: li.id, why: `creative ${c.id}: click URL too long for a beacon token (${tail.length} characters of line item, campaign, creative and URL once percent-encoded)` });
      log?.warn({ lineItem: li.id, creative: c.id, tailChars: tail.length }, 'creative left out: its click URL is too long for a beacon token');
      continue;
    }
    fit.push(c);
    tails.push(tail);
  }
  return { fit, tails };
}

/** The candidate of `li` for slots of one size, or null when none of its creatives fits that size. */
function candidateFor(ix: CampaignIndex, li: LineItem, cmp: Campaign, part: LineItemPart, creatives: readonly Creative[], size: string, log: Logger | undefined): Candidate | null {
  const { fit, tails } = fittingCreatives(ix, li, cmp, creatives, size, log);
  let w = 0;
  // Each creative's VAST parts are made once, for its entry and the video weights alike.
  const vast = fit.map((c) => vastOf(c, cmp.id, li.id));
  return fit.length === 0 ? null : {
    idx: part.idx, lineItemId: part.lineItemId, campaignId: part.campaignId, priority: part.priority, start: part.start, end: part.end,
    testId: part.testId, capCount: part.capCount, capWindowMs: part.capWindowMs, exclusion: part.exclusion,
    creatives: fit.map((c, k) => {
      const tail = tails[k]!;
      return {
        id: c.id,
        clickUrl: c.click_url,
        tokenTail: flatString(tail),
        tokenTailUrl: flatString(tail.replace(/%/g, '%25')),
        json: flatString(JSON.stringify({ line_item_id: li.id, campaign_id: cmp.id, creative_id: c.id, kind: c.kind, size: c.size, payload: c.payload, click_url: c.click_url }).slice(0, -1)),
        vast: vast[k] ?? null,
      };
    }),
    cumWeights: fit.map((c) => (w += c.weight)),
    video: videoWeights(fit, vast),
    unit: part.unit, byCountry: part.byCountry,
  };
}

/** Puts `cand` into the slot's tier of its priority (made when missing), tiers kept highest first. */
function placeInTier(entry: SlotEntry, cand: Candidate, priority: number): void {
  let tier = entry.tiers.find((t) => t[0]!.priority === priority);
  if (!tier) {
    tier = [];
    entry.tiers.push(tier);
  }
  if (!tier.includes(cand)) tier.push(cand);
  entry.tiers.sort((a, b) => (b[0]?.priority ?? 0) - (a[0]?.priority ?? 0));
}

/** The snapshot's parts `addLineItem` reads, grouped once per build. */
interface BuildInput {
  pacing: PacingRegistry;
  creativesByLi: Map<string, Creative[]>;
  slotsBySize: Map<string, Slot[]>;
  testIds: Map<string, number>;
  /** Pacing keys of the line items in the index. */
  live: Set<string>;
  log: Logger | undefined;
}

/** Adds an active line item of an active campaign to every slot it may serve in; records why when it lands nowhere. */
function addLineItem(ix: CampaignIndex, li: LineItem, cmp: Campaign, b: BuildInput): void {
  const testId = targetingId(ix, b.testIds, li, b.log);
  if (testId === undefined) return;
  const idx = ix.lineItems.length;
  ix.lineItems.push({ id: li.id, campaignId: cmp.id, capWindowMs: li.cap_window_ms });
  const { unit, byCountry } = unitsOf(b.pacing, li, b.live);
  const part: LineItemPart = {
    idx, lineItemId: li.id, campaignId: cmp.id, priority: cmp.priority, start: Math.max(li.start_at, cmp.start_at), end: Math.min(li.end_at, cmp.end_at),
    testId, capCount: li.cap_count, capWindowMs: li.cap_window_ms, exclusion: cmp.exclusion_labels, unit, byCountry,
  };
  const creatives = b.creativesByLi.get(li.id) ?? [];
  const slotIds = li.slot_ids.length > 0 ? li.slot_ids : [...new Set(creatives.flatMap((c) => (b.slotsBySize.get(c.size) ?? []).map((s) => s.id)))];
  let placed = 0;
  // One candidate per (line item, slot size), shared by every slot of that size: 10x fewer
  // objects than one per slot, and the decision loop touches far fewer cache lines.
  const bySize = new Map<string, Candidate | null>();
  for (const slotId of slotIds) {
    const entry = ix.slots.get(slotId);
    if (!entry) continue;
    let cand = bySize.get(entry.slot.size);
    if (cand === undefined) {
      cand = candidateFor(ix, li, cmp, part, creatives, entry.slot.size, b.log);
      bySize.set(entry.slot.size, cand);
    }
    if (cand === null) continue;
    placeInTier(entry, cand, cmp.priority);
    placed++;
  }
  if (placed === 0) ix.skipped.push({ id: li.id, why: 'no creative fits any of its slots' });
}

/**
 * The in-memory campaign index: per slot, the line items that may serve there, grouped
 * by priority tier, with targeting compiled, creatives sized, and answers pre-serialised.
 * Built whole from a snapshot and swapped in at once, so a request never sees half of it.
 */
export class CampaignIndex {
  readonly slots = new Map<string, SlotEntry>();
  readonly lineItems: { id: string; campaignId: string; capWindowMs: number }[] = [];
  /** Line items left out, with why (bad targeting, no fitting creative). */
  readonly skipped: { id: string; why: string }[] = [];
  /** Compiled targeting, one per distinct expression: line items mostly share a few. */
  readonly tests: ((ctx: TargetingContext) => boolean)[] = [];
  /**
   * What each expression said of the current request: testPass[id] is valid while
   * testSeen[id] === gen (decide bumps gen per call), so an expression shared by many
   * candidates runs once per decision, and nothing is cleared between requests.
   */
  testSeen = new Uint32Array(0);
  testPass = new Uint8Array(0);
  gen = 0;

  /** Whether the request's context passes targeting expression `id`, run at most once per decision. */
  passes(id: number, ctx: TargetingContext): boolean {
    if (this.testSeen[id] !== this.gen) {
      this.testSeen[id] = this.gen;
      this.testPass[id] = this.tests[id]!(ctx) ? 1 : 0;
    }
    return this.testPass[id] === 1;
  }

  constructor(readonly revision: number) {}

  static build(snap: CampaignSnapshot, pacing: PacingRegistry, log?: Logger): CampaignIndex {
    const ix = new CampaignIndex(snap.revision);
    const campaigns = new Map<string, Campaign>(snap.campaigns.map((c) => [c.id, c]));
    const creativesByLi = creativesByLineItem(snap);
    const slotsBySize = addSlots(ix, snap);
    const b: BuildInput = { pacing, creativesByLi, slotsBySize, testIds: new Map(), live: new Set(), log };
    for (const li of snap.line_items) {
      const cmp = campaigns.get(li.campaign_id);
      if (!cmp || cmp.status !== 'active' || li.status !== 'active') continue;
      addLineItem(ix, li, cmp, b);
    }
    // A unit whose line item left the index (paused, its slots gone) keeps its counts until its
    // flight ends: resumed, it goes on from them, and its fleet row is not reset to zero.
    const now = Date.now();
    for (const [key, unit] of pacing) if (!b.live.has(key) && unit.end < now) pacing.delete(key);
    ix.testSeen = new Uint32Array(ix.tests.length);
    ix.testPass = new Uint8Array(ix.tests.length);
    return ix;
  }
}
