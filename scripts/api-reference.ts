// Writes docs/api.md, the API reference of the package, from the TSDoc of what lib/index.ts exports: each construct
// with its public members, each props interface with every property, its type, its description and its @default.
// `npx tsx scripts/api-reference.ts` rewrites the file; test/unit/api-reference.test.ts fails when it is stale or
// when an optional property says nothing of its default.
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

export interface ApiProperty {
  readonly name: string;
  readonly type: string;
  readonly optional: boolean;
  readonly description: string;
  /** The @default tag's text; null when there is none. */
  readonly defaultText: string | null;
}

export interface ApiEntry {
  readonly name: string;
  readonly kind: 'class' | 'interface' | 'type';
  readonly description: string;
  /** Props and members; for a type alias, none. */
  readonly properties: readonly ApiProperty[];
  /** A type alias's definition, or a class's constructor signature. */
  readonly signature: string;
}

const ROOT = fileURLToPath(new URL('..', import.meta.url));

/** The exports of lib/index.ts, in the order they are exported. */
export function apiEntries(): ApiEntry[] {
  const entry = `${ROOT}lib/index.ts`;
  const program = ts.createProgram([entry], { module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext, target: ts.ScriptTarget.ES2022, strict: true, skipLibCheck: true, noEmit: true });
  const checker = program.getTypeChecker();
  const source = program.getSourceFile(entry);
  const module = source && checker.getSymbolAtLocation(source);
  if (!module) throw new Error('lib/index.ts has no exports');
  return checker.getExportsOfModule(module).map((exported) => describe(checker, exported.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(exported) : exported, exported.name));
}

function describe(checker: ts.TypeChecker, symbol: ts.Symbol, name: string): ApiEntry {
  const declaration = symbol.declarations?.[0];
  const description = docOf(checker, symbol);
  if (declaration && ts.isClassDeclaration(declaration)) {
    const constructor = declaration.members.find(ts.isConstructorDeclaration);
    const members = declaration.members.filter((m): m is ts.PropertyDeclaration => ts.isPropertyDeclaration(m) && !isPrivate(m));
    return { name, kind: 'class', description, signature: `new ${name}(${constructor?.parameters.map((p) => p.getText()).join(', ') ?? ''})`, properties: members.map((m) => property(checker, m)) };
  }
  if (declaration && ts.isInterfaceDeclaration(declaration)) {
    return { name, kind: 'interface', description, signature: '', properties: declaration.members.filter(ts.isPropertySignature).map((m) => property(checker, m)) };
  }
  if (declaration && ts.isTypeAliasDeclaration(declaration)) return { name, kind: 'type', description, signature: declaration.type.getText(), properties: [] };
  throw new Error(`lib/index.ts exports ${name}, which is not a class, an interface or a type`);
}

function property(checker: ts.TypeChecker, member: ts.PropertyDeclaration | ts.PropertySignature): ApiProperty {
  const symbol = checker.getSymbolAtLocation(member.name);
  const tag = symbol?.getJsDocTags(checker).find((t) => t.name === 'default');
  return {
    name: member.name.getText(),
    type: member.type?.getText().replace(/\s+/g, ' ') ?? checker.typeToString(checker.getTypeAtLocation(member)),
    optional: member.questionToken !== undefined,
    description: symbol ? docOf(checker, symbol) : '',
    defaultText: tag ? ts.displayPartsToString(tag.text).replace(/\s+/g, ' ').trim() : null,
  };
}

function docOf(checker: ts.TypeChecker, symbol: ts.Symbol): string {
  return ts.displayPartsToString(symbol.getDocumentationComment(checker)).replace(/\s+/g, ' ').trim();
}

function isPrivate(member: ts.ClassElement): boolean {
  return (ts.getCombinedModifierFlags(member) & (ts.ModifierFlags.Private | ts.ModifierFlags.Protected)) !== 0;
}

const cell = (text: string) => text.replaceAll('|', '\\|');

/** The reference as Markdown. */
export function apiReference(entries: readonly ApiEntry[]): string {
  const lines = ['# API reference', '', 'Generated from the TSDoc of `lib/index.ts`\'s exports by `npx tsx scripts/api-reference.ts`; do not edit by hand.', ''];
  for (const entry of entries) {
    lines.push(`## ${entry.name} (${entry.kind})`, '');
    if (entry.description) lines.push(entry.description, '');
    if (entry.signature) lines.push('```ts', entry.kind === 'type' ? `type ${entry.name} = ${entry.signature}` : entry.signature, '```', '');
    if (entry.properties.length === 0) continue;
    lines.push(entry.kind === 'class' ? '| member | type | description |' : '| property | type | description | default |', entry.kind === 'class' ? '|---|---|---|' : '|---|---|---|---|');
    for (const p of entry.properties) {
      const name = `\`${p.name}${p.optional ? '?' : ''}\``;
      lines.push(entry.kind === 'class'
        ? `| ${name} | \`${cell(p.type)}\` | ${cell(p.description)} |`
        : `| ${name} | \`${cell(p.type)}\` | ${cell(p.description)} | ${p.optional ? cell(p.defaultText ?? '') : 'required'} |`);
    }
    lines.push('');
  }
  return `${lines.join('\n').trimEnd()}\n`;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  writeFileSync(`${ROOT}docs/api.md`, apiReference(apiEntries()));
  process.stdout.write('docs/api.md written\n');
}
