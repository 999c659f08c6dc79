// The import map of docs/DESIGN.md's folder table, enforced: a file in one tier may import
// only from the tiers its row names. The table is read, not copied, so the map and the rule
// cannot drift apart (`npm run design:sync` refreshes docs/DESIGN.md from ../shared).
import { readFileSync } from 'node:fs';
import { dirname, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** Parses the "| folder | what lives there | may import |" table into folder → allowed folders. */
export function readFolderTable(designPath = resolve(ROOT, 'docs/DESIGN.md')) {
  const text = readFileSync(designPath, 'utf8');
  const start = text.indexOf('| folder |');
  if (start < 0) throw new Error(`${designPath}: no "| folder |" table`);
  const table = new Map();
  const rows = text.slice(start).split('\n').slice(2);
  for (const row of rows) {
    if (!row.startsWith('|')) break;
    const cells = row.split('|').map((c) => c.trim());
    const folder = cells[1]?.replace(/[`/]/g, '');
    const may = cells[3] ?? '';
    if (!folder) continue;
    const all = /\ball\b/.test(may);
    const names = may.match(/[a-z][a-z-]*(?=\b)/g) ?? [];
    table.set(folder, { all, allowed: new Set(names) });
  }
  // Ambient declarations for untyped packages: every tier may see them.
  for (const v of table.values()) v.allowed.add('types');
  return table;
}

const table = readFolderTable();

function tierOf(file) {
  const rel = relative(ROOT, file);
  if (rel.startsWith('..')) return null;
  return rel.split(sep)[0] ?? null;
}

export default {
  meta: {
    type: 'problem',
    docs: { description: 'imports follow the folder table of docs/DESIGN.md' },
    schema: [],
    messages: {
      denied: "'{{from}}/' may not import from '{{to}}/' (docs/DESIGN.md allows: {{allowed}})",
      unknown: "'{{from}}/' is not a row of docs/DESIGN.md's folder table",
    },
  },
  create(context) {
    const file = context.filename;
    const from = tierOf(file);
    if (from === null || /\.[cm]?[jt]s$/.test(from)) return {}; // a top-level file such as this config
    const row = table.get(from);
    function check(node, spec) {
      if (typeof spec !== 'string' || !spec.startsWith('.')) return;
      const to = tierOf(resolve(dirname(file), spec));
      if (to === null || to === from) return;
      if (!row) return context.report({ node, messageId: 'unknown', data: { from } });
      if (row.all || row.allowed.has(to)) return;
      const allowed = [...row.allowed].filter((t) => t !== 'types').join(', ') || 'nothing of ours';
      context.report({ node, messageId: 'denied', data: { from, to, allowed } });
    }
    return {
      ImportDeclaration: (n) => check(n, n.source.value),
      ExportNamedDeclaration: (n) => n.source && check(n, n.source.value),
      ExportAllDeclaration: (n) => check(n, n.source.value),
      ImportExpression: (n) => n.source.type === 'Literal' && check(n, n.source.value),
    };
  },
};
