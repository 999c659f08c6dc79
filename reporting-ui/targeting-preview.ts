/**
 * Which slots a line item could serve in, for the admin's preview: its slot list, its
 * creatives' sizes, and its targeting evaluated on what a slot tells in advance (the app's
 * platform). Three-valued: a condition on anything else (country, OS version, ...) depends on
 * the request, so the slot 'may' match.
 */
import { checkTargeting, compileTargeting } from '../common/targeting/compile.js';
import type { Node } from '../common/targeting/parser.js';
import type { App, Slot } from '../store/model.js';

type Tri = 'yes' | 'no' | 'maybe';

function platformValue(node: Node, platforms: readonly string[]): Tri {
  switch (node.type) {
    case 'bool':
      return node.value ? 'yes' : 'no';
    case 'and': {
      let r: Tri = 'yes';
      for (const x of node.items) {
        const v = platformValue(x, platforms);
        if (v === 'no') return 'no';
        if (v === 'maybe') r = 'maybe';
      }
      return r;
    }
    case 'or': {
      let r: Tri = 'no';
      for (const x of node.items) {
        const v = platformValue(x, platforms);
        if (v === 'yes') return 'yes';
        if (v === 'maybe') r = 'maybe';
      }
      return r;
    }
    case 'not': {
      const v = platformValue(node.operand, platforms);
      return v === 'yes' ? 'no' : v === 'no' ? 'yes' : 'maybe';
    }
    default: {
      if (node.field.name !== 'platform') return 'maybe';
      // An app on both platforms matches when some platform does, and surely when all do.
      const hits = platforms.map((p) => {
        if (node.type === 'compare') return node.op === '==' ? p === String(node.value).toLowerCase() : node.op === '!=' ? p !== String(node.value).toLowerCase() : null;
        if (node.type === 'in') return node.values.map((v) => String(v).toLowerCase()).includes(p) !== node.negated;
        if (node.type === 'matches') return new RegExp(node.pattern).test(p);
        return null;
      });
      if (hits.some((h) => h === null)) return 'maybe';
      return hits.every(Boolean) ? 'yes' : hits.some(Boolean) ? 'maybe' : 'no';
    }
  }
}

interface PreviewInput {
  targeting: string;
  slot_ids: readonly string[];
  sizes: readonly string[];
}

export function previewTargeting(input: PreviewInput, apps: readonly App[], slots: readonly Slot[]) {
  const check = checkTargeting(input.targeting);
  if (!check.ok) return { ok: false as const, message: check.message, position: check.position, fields: [], slots: [] };
  const compiled = compileTargeting(input.targeting);
  const byId = new Map(apps.map((a) => [a.id, a]));
  const rows = slots.map((s) => {
    const app = byId.get(s.app_id);
    const platforms = app?.platform === 'both' ? ['ios', 'android'] : [app?.platform ?? ''];
    let match: Tri = platformValue(compiled.ast, platforms);
    let why = match === 'maybe' ? `depends on the request (${[...compiled.fields].join(', ')})` : match === 'no' ? 'targeting excludes the platform' : '';
    if (input.slot_ids.length > 0 && !input.slot_ids.includes(s.id)) (match = 'no'), (why = 'not in the line item\'s slots');
    else if (input.sizes.length > 0 && !input.sizes.includes(s.size)) (match = 'no'), (why = `no creative of size ${s.size}`);
    return { slot_id: s.id, slot: s.name, size: s.size, app_id: s.app_id, app: app?.name ?? '', platform: app?.platform ?? '', match, why };
  });
  return { ok: true as const, message: null, position: null, fields: [...compiled.fields], slots: rows };
}
