/**
 * The budget stop: a campaign with a budget (budget_micros > 0; 0 is unlimited) stops serving
 * once its spend reaches the budget. Spend is what the jobs fed back into the delivery table,
 * priced by common/money.ts (cpm and cpc from the delivered counts, a flat fee by the time
 * elapsed of its flight), so it lags delivery by one load of the jobs.
 */
import { countSpend, flatSpendTo } from '../common/money.js';
import type { Campaign, LineItem } from '../store/model.js';

export interface BudgetModel {
  campaigns: readonly Campaign[];
  line_items: readonly LineItem[];
}

/** The campaigns with a budget and their line items: all the budget stop reads of a snapshot. */
export function budgetedPart(m: BudgetModel): BudgetModel {
  const campaigns = m.campaigns.filter((c) => c.budget_micros > 0);
  const ids = new Set(campaigns.map((c) => c.id));
  return { campaigns, line_items: m.line_items.filter((li) => ids.has(li.campaign_id)) };
}

/** Delivery must be read from here on for the budgets: the earliest flight start of a campaign with a budget, or null when none has one. */
export function budgetSince(m: BudgetModel): number | null {
  let since: number | null = null;
  for (const c of m.campaigns) if (c.budget_micros > 0 && c.status === 'active') since = Math.min(since ?? c.start_at, c.start_at);
  if (since === null) return null;
  const budgeted = new Set(m.campaigns.filter((c) => c.budget_micros > 0).map((c) => c.id));
  for (const li of m.line_items) if (budgeted.has(li.campaign_id)) since = Math.min(since, li.start_at);
  return since;
}

/** Spend per campaign in micros, of the delivered counts per line item (from the flight start on) at `now`. */
function campaignSpend(m: BudgetModel, delivered: ReadonlyMap<string, { impressions: number; clicks: number }>, now: number): Map<string, number> {
  const spend = new Map<string, number>();
  for (const li of m.line_items) {
    const d = delivered.get(li.id);
    const s = li.price_model === 'flat' ? flatSpendTo(li.price_micros, li.start_at, li.end_at, now) : d ? countSpend(li.price_model, li.price_micros, d.impressions, d.clicks) : 0;
    spend.set(li.campaign_id, (spend.get(li.campaign_id) ?? 0) + s);
  }
  return spend;
}

/** The campaigns whose spend reached their budget. */
export function overBudget(m: BudgetModel, delivered: ReadonlyMap<string, { impressions: number; clicks: number }>, now: number): Set<string> {
  const spend = campaignSpend(m, delivered, now);
  const out = new Set<string>();
  for (const c of m.campaigns) if (c.budget_micros > 0 && (spend.get(c.id) ?? 0) >= c.budget_micros) out.add(c.id);
  return out;
}
