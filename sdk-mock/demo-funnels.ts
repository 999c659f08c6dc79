/**
 * The demo's funnels: one per app of a world, made of custom events the fleet generates
 * (catalog.ts CUSTOM_EVENTS). cli/seed-world.ts stores them and the ground truth
 * (truth-funnels.ts) counts them, both from this one list.
 */
import { CUSTOM_EVENTS } from './catalog.js';
import type { World } from './world.js';

export interface DemoFunnel {
  id: string;
  app_id: string;
  name: string;
  steps: string[];
}

const TEMPLATES: { name: string; steps: string[] }[] = [
  { name: 'Store to purchase', steps: ['screen_view', 'add_to_cart', 'purchase'] },
  { name: 'Tutorial to sharing', steps: ['tutorial_step', 'level_complete', 'level_complete', 'share'] },
];
const KNOWN = new Set(CUSTOM_EVENTS.map((c) => c.name));
for (const t of TEMPLATES) for (const s of t.steps) if (!KNOWN.has(s)) throw new Error(`demo funnel step ${s} is not a custom event of the fleet`);

/** The template of an app, from its id alone (a world with an app left out gives the others the same funnels). */
function templateOf(appId: string): { name: string; steps: string[] } {
  let h = 0;
  for (let i = 0; i < appId.length; i++) h = (h * 31 + appId.charCodeAt(i)) >>> 0;
  return TEMPLATES[h % TEMPLATES.length]!;
}

/** The world's demo funnels, one per app. */
export function demoFunnels(world: Pick<World, 'apps'>): DemoFunnel[] {
  return world.apps.map((a) => ({ id: `${a.app_id}_funnel`, app_id: a.app_id, ...structuredClone(templateOf(a.app_id)) }));
}
