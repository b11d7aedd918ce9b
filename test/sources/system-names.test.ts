// The goal of the connector contract (issue #10 Part 1): a new system is its folder plus its
// line in the registry. So no file under src/ outside src/sources/<system>/ may know a system
// by name — a string 'stripe' or 'STRIPE', a key or property `stripe`, an import from
// src/sources/stripe/ — except those that exist to list or describe the systems:
// - src/sources/registry.ts: the list itself (it imports each folder's descriptor);
// - src/mapping/default-spec.json: the field spec, which says where each field lives in each system;
// - src/sandbox/**: the emulators of the systems, each of them one system by design;
// - src/generated/**: generated from schema/*.graphql, whose `System` enum names the systems
//   for clients (the schema is outside src/, and the enum is what clients see).
// Everything else derives what it needs from the registry and the field spec.
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { SYSTEM_IDS } from '../../src/sources/registry.ts';

const ROOT = join(import.meta.dirname, '..', '..');
const SRC = join(ROOT, 'src');

const EXEMPT: { path: RegExp; why: string }[] = [
  { path: /^src\/sources\/registry\.ts$/, why: 'the registry lists the systems' },
  { path: /^src\/mapping\/default-spec\.json$/, why: 'the field spec says where each field lives in each system' },
  { path: /^src\/sandbox\//, why: 'the sandbox emulates each system' },
  { path: /^src\/generated\//, why: 'generated from the schema, whose System enum names the systems for clients' },
];

const names = new Set<string>([...SYSTEM_IDS, ...SYSTEM_IDS.map((s) => s.toUpperCase())]);
const ownFolder = new RegExp(`^src/sources/(${SYSTEM_IDS.join('|')})/`);
const intoFolder = new RegExp(`(^|/)sources/(${SYSTEM_IDS.join('|')})/`);

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? filesUnder(join(dir, e.name)) : [join(dir, e.name)]));
}

/** Where a file names a system: `line: what`. */
function namings(path: string, text: string): string[] {
  if (path.endsWith('.json')) {
    const found = [...text.matchAll(/"([A-Za-z]+)"/g)].filter((m) => names.has(m[1]!));
    return found.map((m) => `${text.slice(0, m.index).split('\n').length}: ${m[0]}`);
  }
  const source = ts.createSourceFile(path, text, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  const out: string[] = [];
  const at = (node: ts.Node, what: string): void => {
    out.push(`${source.getLineAndCharacterOfPosition(node.getStart(source)).line + 1}: ${what}`);
  };
  const visit = (node: ts.Node): void => {
    if (ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) {
      const spec = node.moduleSpecifier;
      if (spec && ts.isStringLiteral(spec) && intoFolder.test(spec.text)) at(spec, `imports ${spec.text}`);
      return;
    }
    if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword) {
      const [spec] = node.arguments;
      if (spec && ts.isStringLiteral(spec) && intoFolder.test(spec.text)) at(spec, `imports ${spec.text}`);
    }
    if ((ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node)) && names.has(node.text)) at(node, `'${node.text}'`);
    if (ts.isIdentifier(node) && names.has(node.text)) {
      const p = node.parent;
      const isKey = (ts.isPropertyAssignment(p) || ts.isPropertySignature(p) || ts.isShorthandPropertyAssignment(p) || ts.isBindingElement(p)) && p.name === node;
      const isMember = ts.isPropertyAccessExpression(p) && p.name === node;
      if (isKey || isMember) at(node, isKey ? `key ${node.text}` : `.${node.text}`);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return out;
}

describe('which files know the systems by name', () => {
  const files = [...filesUnder(SRC), ...filesUnder(join(ROOT, 'resolvers'))]
    .map((f) => relative(ROOT, f).split('\\').join('/'))
    .filter((f) => /\.(ts|json)$/.test(f));

  it('only the registry, the field spec and the honest exemptions: the rest derives from them', () => {
    const offenders: Record<string, string[]> = {};
    for (const f of files) {
      if (ownFolder.test(f) || EXEMPT.some((e) => e.path.test(f))) continue;
      const found = namings(f, readFileSync(join(ROOT, f), 'utf8'));
      if (found.length > 0) offenders[f] = found;
    }
    expect(offenders).toEqual({});
  });

  it('sees a system named in each way it looks for (the check can fail)', () => {
    const sample = [
      "const a = 'stripe';",
      'const b = `ERP`;',
      'const c = { zendesk: 1 };',
      'x.salesforce.url;',
      "import { y } from '../sources/erp/client.ts';",
      "const z = await import('./sources/stripe/open.ts');",
      "const fine = 'stripe-signature'; const alsoFine = { system: s };",
    ].join('\n');
    expect(namings('sample.ts', sample)).toEqual(["1: 'stripe'", "2: 'ERP'", '3: key zendesk', '4: .salesforce', '5: imports ../sources/erp/client.ts', '6: imports ./sources/stripe/open.ts']);
  });

  it('the registry and the field spec do name every system', () => {
    for (const f of ['src/sources/registry.ts', 'src/mapping/default-spec.json']) {
      const text = readFileSync(join(ROOT, f), 'utf8');
      for (const s of SYSTEM_IDS) expect(text).toContain(s);
    }
  });
});
