// An export nobody imports is dead code with a public face: it reads as API and is kept
// alive by fear. This rule indexes every import in the project once (TypeScript's parser,
// ~1 s for the whole tree) and reports each export of a production file that no other file
// imports by name, re-exports, imports as a namespace, or loads by URL (piscina workers).
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const SKIP = new Set(['node_modules', 'dist', 'data', '.git', 'scratch', '.test-artifacts']);

function tsFiles(dir, out = []) {
  for (const name of readdirSync(dir)) {
    if (SKIP.has(name)) continue;
    const p = join(dir, name);
    if (statSync(p).isDirectory()) tsFiles(p, out);
    else if (name.endsWith('.ts') && !name.endsWith('.d.ts')) out.push(p);
  }
  return out;
}

function target(from, spec) {
  if (!spec.startsWith('.')) return null;
  return resolve(dirname(from), spec).replace(/\.js$/, '.ts');
}

/** file → names other files use from it ('*' = all of them). */
function buildIndex() {
  const used = new Map();
  const use = (file, name) => {
    if (file === null) return;
    let s = used.get(file);
    if (!s) used.set(file, (s = new Set()));
    s.add(name);
  };
  for (const file of tsFiles(ROOT)) {
    const src = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.ES2022, false);
    const visit = (node) => {
      if (ts.isImportDeclaration(node) && ts.isStringLiteral(node.moduleSpecifier)) {
        const t = target(file, node.moduleSpecifier.text);
        const c = node.importClause;
        if (!c) use(t, '*');
        else {
          if (c.name) use(t, 'default');
          const b = c.namedBindings;
          if (b && ts.isNamespaceImport(b)) use(t, '*');
          else if (b) for (const el of b.elements) use(t, (el.propertyName ?? el.name).text);
        }
      } else if (ts.isExportDeclaration(node) && node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier)) {
        const t = target(file, node.moduleSpecifier.text);
        if (!node.exportClause || ts.isNamespaceExport(node.exportClause)) use(t, '*');
        else for (const el of node.exportClause.elements) use(t, (el.propertyName ?? el.name).text);
      } else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword) {
        const a = node.arguments[0];
        if (a && ts.isStringLiteral(a)) use(target(file, a.text), '*');
      } else if (ts.isNewExpression(node) && ts.isIdentifier(node.expression) && node.expression.text === 'URL') {
        const a = node.arguments?.[0];
        if (a && ts.isStringLiteral(a) && a.text.endsWith('.js')) use(target(file, a.text), '*');
      }
      ts.forEachChild(node, visit);
    };
    visit(src);
  }
  return used;
}

let index = null;

export default {
  meta: {
    type: 'suggestion',
    docs: { description: 'every export of production code is imported somewhere' },
    schema: [],
    messages: { unused: "'{{name}}' is exported but no file imports it: drop the export or the code" },
  },
  create(context) {
    index ??= buildIndex();
    const file = resolve(context.filename);
    const names = index.get(file) ?? new Set();
    if (names.has('*')) return {};
    const check = (node, name) => {
      if (!names.has(name)) context.report({ node, messageId: 'unused', data: { name } });
    };
    return {
      ExportNamedDeclaration(node) {
        if (node.source) return; // a re-export is checked where it is imported from
        const d = node.declaration;
        if (d) {
          if (d.type === 'VariableDeclaration') for (const v of d.declarations) v.id.type === 'Identifier' && check(v.id, v.id.name);
          else if (d.id) check(d.id, d.id.name);
        }
        for (const s of node.specifiers) check(s, s.exported.name ?? s.exported.value);
      },
      ExportDefaultDeclaration: (node) => check(node, 'default'),
    };
  },
};
