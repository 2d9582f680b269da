/**
 * Emits one TypeScript module per spec: the decoded interfaces, the all-optional
 * `...Input` types, and one decode and one encode function per struct with plain
 * `version` checks, in the style of Kafka's generated Java.
 */
import type { FieldSpec, FieldType, MessageSpec, PrimitiveType, StructSpec } from './spec';
import { defaultValue, isNullableAnywhere, nonDefaultCheck, structDefaultsNeeded } from './defaults';
import {
  type VersionRange,
  covers,
  intersect,
  isEmpty,
  versionCondition,
} from './versions';

/** A yes/no that is either settled at generation time or a run-time condition. */
type Tri = 'always' | 'never' | { cond: string };

function tri(range: VersionRange, scope: VersionRange): Tri {
  const c = versionCondition(range, scope);
  if (c === 'true') return 'always';
  if (c === 'false') return 'never';
  return { cond: c };
}

/** Picks between two expressions by a Tri. */
function pick(t: Tri, yes: string, no: string): string {
  if (t === 'always') return yes;
  if (t === 'never') return no;
  if (yes === no) return yes;
  return `(${t.cond} ? ${yes} : ${no})`;
}

const JS_RESERVED = new Set(
  (
    'break case catch class const continue debugger default delete do else enum export extends false finally for ' +
    'function if import in instanceof new null return super switch this throw true try typeof var void while with ' +
    'yield let static implements interface package private protected public await arguments eval ' +
    // Names the generated functions use for their own locals.
    'r w m version flexible out unknownTags nTags tag tr tw n a i v nextUnknown'
  ).split(' '),
);

function localName(prop: string): string {
  return JS_RESERVED.has(prop) ? `${prop}_` : prop;
}

function tsPrimitive(name: PrimitiveType, input: boolean): string {
  switch (name) {
    case 'bool':
      return 'boolean';
    case 'int64':
      return 'bigint';
    case 'string':
      return 'string';
    case 'uuid':
    case 'bytes':
      return 'Buffer';
    case 'records':
      return input ? 'Buffer | readonly Buffer[]' : 'Buffer';
    default:
      return 'number';
  }
}

function tsType(t: FieldType, input: boolean): string {
  if (t.kind === 'primitive') return tsPrimitive(t.name, input);
  if (t.kind === 'struct') return input ? `${t.struct.tsName}Input` : t.struct.tsName;
  const elem = tsType(t.element, input);
  return elem.includes(' ') ? `(${elem})[]` : `${elem}[]`;
}

function rangeText(r: VersionRange): string {
  if (isEmpty(r)) return 'none';
  if (r.high === Infinity) return `${r.low}+`;
  if (r.low === r.high) return `${r.low}`;
  return `${r.low}-${r.high}`;
}

/** Version scope of every struct: the hull of the versions at which any field uses it. */
function structScopes(spec: MessageSpec): Map<StructSpec, VersionRange> {
  const scopes = new Map<StructSpec, VersionRange>();
  const visit = (s: StructSpec, scope: VersionRange): void => {
    for (const f of s.fields) {
      const used = intersect(f.versions, scope);
      if (isEmpty(used)) continue;
      let t = f.type;
      while (t.kind === 'array') t = t.element;
      if (t.kind !== 'struct') continue;
      const prev = scopes.get(t.struct);
      const next = prev ? { low: Math.min(prev.low, used.low), high: Math.max(prev.high, used.high) } : used;
      if (!prev || prev.low !== next.low || prev.high !== next.high) {
        scopes.set(t.struct, next);
        visit(t.struct, next);
      }
    }
  };
  scopes.set(spec.root, spec.validVersions);
  visit(spec.root, spec.validVersions);
  return scopes;
}

class Lines {
  readonly out: string[] = [];
  private depth = 0;
  line(text = ''): void {
    this.out.push(text === '' ? '' : '  '.repeat(this.depth) + text);
  }
  open(text: string): void {
    this.line(text);
    this.depth++;
  }
  close(text = '}'): void {
    this.depth--;
    this.line(text);
  }
  /** A line between two blocks, such as `} else {`. */
  mid(text: string): void {
    this.depth--;
    this.line(text);
    this.depth++;
  }
}

export class MessageEmitter {
  private readonly scopes: Map<StructSpec, VersionRange>;
  private readonly defaultsNeeded = new Set<StructSpec>();
  private readonly isDefaultNeeded = new Set<StructSpec>();
  private readonly usesTaggedHelpers = new Set<string>();

  constructor(private readonly spec: MessageSpec) {
    this.scopes = structScopes(spec);
  }

  private scopeOf(s: StructSpec): VersionRange {
    return this.scopes.get(s) ?? this.spec.validVersions;
  }

  private structFlex(s: StructSpec): Tri {
    return tri(this.spec.flexibleVersions, this.scopeOf(s));
  }

  private fieldFlex(f: FieldSpec, s: StructSpec, structFlex: Tri): Tri {
    if (f.flexibleVersions === undefined) return structFlex;
    return tri(f.flexibleVersions, this.scopeOf(s));
  }

  /** Whether `f` is written inline (not tagged) at some version in scope. */
  private inlineRange(f: FieldSpec, s: StructSpec): VersionRange {
    if (f.tag !== undefined) return { low: 1, high: 0 };
    return intersect(f.versions, this.scopeOf(s));
  }

  private taggedRange(f: FieldSpec, s: StructSpec): VersionRange {
    if (f.tag === undefined) return { low: 1, high: 0 };
    return intersect(intersect(f.taggedVersions, f.versions), this.scopeOf(s));
  }

  emit(): string {
    const spec = this.spec;
    const body = new Lines();
    const all = [spec.root, ...spec.structs.filter((s) => this.scopes.has(s))];
    for (const s of all) this.emitInterfaces(body, s);
    for (const s of all) this.emitDecode(body, s, s === spec.root);
    for (const s of all) this.emitEncode(body, s, s === spec.root);
    // Helpers discovered while emitting; each may need more.
    const emittedDefaults = new Set<StructSpec>();
    const emittedIsDefault = new Set<StructSpec>();
    let progress = true;
    while (progress) {
      progress = false;
      for (const s of [...this.defaultsNeeded]) {
        if (emittedDefaults.has(s)) continue;
        emittedDefaults.add(s);
        this.emitDefaultFactory(body, s);
        progress = true;
      }
      for (const s of [...this.isDefaultNeeded]) {
        if (emittedIsDefault.has(s)) continue;
        emittedIsDefault.add(s);
        this.emitIsDefault(body, s);
        progress = true;
      }
    }

    const head: string[] = [
      `// Generated by protocol/generator from ${spec.fileName}. Do not edit; run \`npm run gen:protocol\`.`,
      `// ${spec.kind} ${spec.name}${spec.apiKey !== undefined ? ` (api key ${spec.apiKey})` : ''}, versions ${rangeText(
        spec.validVersions,
      )}, flexible ${rangeText(spec.flexibleVersions)}.`,
      '/* eslint-disable */',
      `import { Reader } from '../../codec/reader';`,
      `import { Writer } from '../../codec/writer';`,
    ];
    if (body.out.some((l) => l.includes('new DecodeError('))) head.push(`import { DecodeError } from '../../codec/errors';`);
    const helpers = [...this.usesTaggedHelpers].sort();
    head.push(
      `import { ${['type TaggedField', ...helpers].join(', ')} } from '../../codec/tagged';`,
    );
    head.push('');
    return [...head, ...body.out].join('\n').replace(/\n+$/, '') + '\n';
  }

  /** A field default as source, noting the shared constants it refers to. */
  private dv(f: FieldSpec, fresh: boolean): string {
    const v = defaultValue(f, fresh);
    if (v === 'EMPTY_BYTES' || v === 'ZERO_UUID') this.use(v);
    return v;
  }

  private use(helper: string): string {
    this.usesTaggedHelpers.add(helper);
    return helper;
  }

  // ---------------------------------------------------------------- types

  private emitInterfaces(out: Lines, s: StructSpec): void {
    for (const input of [false, true]) {
      const name = input ? `${s.tsName}Input` : s.tsName;
      out.open(input ? `export type ${name} = {` : `export interface ${name} {`);
      for (const f of s.fields) {
        const nullable = isNullableAnywhere(f);
        const notes = [`versions ${rangeText(f.versions)}`];
        if (!isEmpty(f.nullableVersions)) notes.push(`nullable ${rangeText(f.nullableVersions)}`);
        if (f.tag !== undefined) notes.push(`tag ${f.tag} at ${rangeText(f.taggedVersions)}`);
        if (f.ignorable) notes.push('ignorable');
        if (f.defaultText !== undefined) notes.push(`default ${JSON.stringify(f.defaultText)}`);
        if (!input) out.line(`/** ${f.specName}: ${notes.join(', ')} */`);
        out.line(`${f.prop}${input ? '?' : ''}: ${tsType(f.type, input)}${nullable ? ' | null' : ''};`);
      }
      out.line(`/** Tags this code does not know, kept so a re-encode does not lose them. */`);
      out.line(`_unknownTaggedFields?: TaggedField[];`);
      out.close(input ? '};' : '}');
      out.line();
    }
  }

  // --------------------------------------------------------------- decode

  private decodeName(s: StructSpec): string {
    return `decode${s.tsName}`;
  }

  private encodeName(s: StructSpec): string {
    return `encode${s.tsName}`;
  }

  /** Expression decoding one non-array value from reader `r`. */
  private decodeScalarExpr(t: FieldType, r: string, nullable: Tri, flex: Tri): string {
    if (t.kind === 'struct') {
      const plain = `${this.decodeName(t.struct)}(${r}, version)`;
      return pick(nullable, `(${r}.int8() < 0 ? null : ${plain})`, plain);
    }
    if (t.kind === 'array') throw new Error('arrays are not scalars');
    switch (t.name) {
      case 'string':
        return pick(
          nullable,
          pick(flex, `${r}.compactNullableString()`, `${r}.nullableString()`),
          pick(flex, `${r}.compactString()`, `${r}.string()`),
        );
      case 'bytes':
      case 'records':
        return pick(
          nullable,
          pick(flex, `${r}.compactNullableBytes()`, `${r}.nullableBytes()`),
          pick(flex, `${r}.compactBytes()`, `${r}.bytes()`),
        );
      default:
        return `${r}.${t.name}()`;
    }
  }

  /** Statements decoding field `f` into the already declared variable `target`. */
  private emitDecodeValue(out: Lines, f: FieldSpec, target: string, r: string, nullable: Tri, flex: Tri): void {
    const t = f.type;
    if (t.kind !== 'array') {
      out.line(`${target} = ${unwrap(this.decodeScalarExpr(t, r, nullable, flex))};`);
      return;
    }
    if (t.element.kind === 'array') throw new Error(`${this.spec.name}.${f.specName}: arrays of arrays are not supported`);
    out.open('{');
    out.line(`const n = ${unwrap(pick(flex, `${r}.compactArrayLength()`, `${r}.arrayLength()`))};`);
    if (nullable === 'never') {
      out.line(`if (n < 0) throw new DecodeError('${this.spec.name}.${f.specName} cannot be null', ${r}.offset);`);
      out.line(`const a: ${tsType(t.element, false)}[] = [];`);
      out.line(`for (let i = 0; i < n; i++) a.push(${this.decodeScalarExpr(t.element, r, 'never', flex)});`);
      out.line(`${target} = a;`);
      out.close('}');
      return;
    }
    const nullBranch =
      nullable === 'always'
        ? `${target} = null;`
        : `if (${nullable.cond}) ${target} = null; else throw new DecodeError('${this.spec.name}.${f.specName} cannot be null at version ' + version, ${r}.offset);`;
    out.open('if (n < 0) {');
    out.line(nullBranch);
    out.mid('} else {');
    // Grown by push, not pre-sized: a count is only checked against the bytes
    // left, and pre-sizing would let a 1-byte-per-element lie allocate 8x the input.
    out.line(`const a: ${tsType(t.element, false)}[] = [];`);
    out.line(`for (let i = 0; i < n; i++) a.push(${this.decodeScalarExpr(t.element, r, 'never', flex)});`);
    out.line(`${target} = a;`);
    out.close('}');
    out.close('}');
  }

  private emitDecode(out: Lines, s: StructSpec, exported: boolean): void {
    const scope = this.scopeOf(s);
    const flex = this.structFlex(s);
    out.open(`${exported ? 'export ' : ''}function ${this.decodeName(s)}(r: Reader, version: number): ${s.tsName} {`);
    if (typeof flex === 'object') out.line(`const flexible = ${flex.cond};`);
    const flexVar: Tri = typeof flex === 'object' ? { cond: 'flexible' } : flex;
    for (const f of s.fields) {
      const local = localName(f.prop);
      const type = `${tsType(f.type, false)}${isNullableAnywhere(f) ? ' | null' : ''}`;
      const inline = this.inlineRange(f, s);
      const fresh = this.dv(f, true);
      // Absent or tagged struct fields start from a default object.
      if (structDefaultsNeeded(f) && !covers(inline, scope)) this.needDefault(f.type);
      if (isEmpty(inline)) {
        // Tagged (filled in from the tag section) or absent at every version here.
        out.line(`${f.tag !== undefined ? 'let' : 'const'} ${local}: ${type} = ${fresh};`);
        continue;
      }
      const present = tri(inline, scope);
      const nullable = tri(intersect(f.nullableVersions, inline), intersect(inline, scope));
      const fieldFlex = f.flexibleVersions === undefined ? flexVar : tri(f.flexibleVersions, scope);
      if (f.type.kind !== 'array') {
        const expr = this.decodeScalarExpr(f.type, 'r', nullable, fieldFlex);
        if (present === 'always') out.line(`const ${local}: ${type} = ${unwrap(expr)};`);
        else out.line(`const ${local}: ${type} = ${(present as { cond: string }).cond} ? ${expr} : ${fresh};`);
        continue;
      }
      out.line(`let ${local}: ${type};`);
      if (present === 'always') {
        this.emitDecodeValue(out, f, local, 'r', nullable, fieldFlex);
      } else {
        out.open(`if (${(present as { cond: string }).cond}) {`);
        this.emitDecodeValue(out, f, local, 'r', nullable, fieldFlex);
        out.mid('} else {');
        out.line(`${local} = ${fresh};`);
        out.close('}');
      }
    }
    this.emitDecodeTags(out, s, flexVar);
    const props = s.fields.map((f) => (localName(f.prop) === f.prop ? f.prop : `${f.prop}: ${localName(f.prop)}`));
    out.line(`const out: ${s.tsName} = { ${props.join(', ')} };`);
    if (flex !== 'never') out.line(`if (unknownTags !== undefined) out._unknownTaggedFields = unknownTags;`);
    out.line('return out;');
    out.close();
    out.line();
  }

  private emitDecodeTags(out: Lines, s: StructSpec, flex: Tri): void {
    if (flex === 'never') return;
    const tagged = s.fields.filter((f) => !isEmpty(this.taggedRange(f, s))).sort((a, b) => a.tag! - b.tag!);
    const openFlex = (): void => {
      if (flex !== 'always') out.open(`if (${flex.cond}) {`);
    };
    const closeFlex = (): void => {
      if (flex !== 'always') out.close();
    };
    if (tagged.length === 0) {
      const read = `${this.use('readUnknownTaggedFields')}(r)`;
      if (flex === 'always') out.line(`const unknownTags = ${read};`);
      else out.line(`const unknownTags = ${flex.cond} ? ${read} : undefined;`);
      return;
    }
    out.line(`let unknownTags: TaggedField[] | undefined;`);
    openFlex();
    out.open('for (let nTags = r.uvarint(); nTags > 0; nTags--) {');
    out.line('const tag = r.uvarint();');
    out.line('const tr = new Reader(r.raw(r.uvarint()));');
    tagged.forEach((f, i) => {
      const range = this.taggedRange(f, s);
      const cond = versionCondition(range, this.scopeOf(s));
      const test = cond === 'true' ? `tag === ${f.tag}` : `tag === ${f.tag} && ${cond}`;
      if (i === 0) out.open(`if (${test}) {`);
      else out.mid(`} else if (${test}) {`);
      const nullable = tri(intersect(f.nullableVersions, range), range);
      this.emitDecodeValue(out, f, localName(f.prop), 'tr', isNullableAnywhere(f) ? nullable : 'never', 'always');
    });
    out.mid('} else {');
    out.line(`(unknownTags ??= []).push({ tag, data: tr.buf });`);
    out.close('}');
    out.close('}');
    closeFlex();
  }

  // --------------------------------------------------------------- encode

  private needDefault(t: FieldType): void {
    if (t.kind === 'struct') this.defaultsNeeded.add(t.struct);
  }

  private noteNonDefault(f: FieldSpec, v: string): string {
    if (f.type.kind === 'struct') this.isDefaultNeeded.add(f.type.struct);
    const check = nonDefaultCheck(f, v);
    if (check.includes('isZeroUuid')) this.use('isZeroUuid');
    return check;
  }

  /** Statements writing value expression `v` (never undefined) with writer `w`. */
  private emitWriteValue(out: Lines, f: FieldSpec, t: FieldType, v: string, w: string, nullable: Tri, flex: Tri): void {
    const stmt = (yes: string, no: string): void => {
      if (flex === 'always') out.line(yes);
      else if (flex === 'never') out.line(no);
      else out.line(`if (${flex.cond}) ${yes} else ${no}`);
    };
    if (t.kind === 'array') {
      if (nullable !== 'never') {
        out.open(`if (${v} === null) {`);
        stmt(`${w}.uvarint(0);`, `${w}.int32(-1);`);
        out.mid('} else {');
      }
      stmt(`${w}.compactArrayLength(${v}.length);`, `${w}.arrayLength(${v}.length);`);
      out.open(`for (let i = 0; i < ${v}.length; i++) {`);
      this.emitWriteValue(out, f, t.element, `${v}[i]`, w, 'never', flex);
      out.close();
      if (nullable !== 'never') out.close();
      return;
    }
    if (t.kind === 'struct') {
      const call = `${this.encodeName(t.struct)}(${w}, version, ${v});`;
      if (nullable === 'never') {
        out.line(call);
      } else {
        out.line(`if (${v} === null) ${w}.int8(-1);`);
        out.line(`else { ${w}.int8(1); ${call} }`);
      }
      return;
    }
    switch (t.name) {
      case 'string':
        if (nullable === 'never') stmt(`${w}.compactString(${v});`, `${w}.string(${v});`);
        else stmt(`${w}.compactNullableString(${v});`, `${w}.nullableString(${v});`);
        return;
      case 'bytes':
        if (nullable === 'never') stmt(`${w}.compactBytes(${v});`, `${w}.bytes(${v});`);
        else stmt(`${w}.compactNullableBytes(${v});`, `${w}.nullableBytes(${v});`);
        return;
      case 'records':
        out.line(`${this.use('writeRecords')}(${w}, ${v}, ${flex === 'always' ? 'true' : flex === 'never' ? 'false' : flex.cond});`);
        return;
      default:
        out.line(`${w}.${t.name}(${v});`);
    }
  }

  /** Guards for values the target version cannot carry, then the write. */
  private emitEncodeField(out: Lines, f: FieldSpec, range: VersionRange, w: string, flex: Tri): void {
    const nullableInRange = intersect(f.nullableVersions, range);
    const nullable = tri(nullableInRange, range);
    const local = 'v';
    const nullableType = isNullableAnywhere(f);
    // An omitted struct encodes as `{}`, i.e. all of its defaults.
    const dflt = this.dv(f, false);
    out.line(
      nullableType && dflt !== 'null'
        ? `const ${local} = m.${f.prop} === undefined ? ${dflt} : m.${f.prop};`
        : `const ${local} = m.${f.prop} ?? ${dflt};`,
    );
    if (nullableType && nullable !== 'always') {
      const cond = nullable === 'never' ? '' : ` && !(${nullable.cond})`;
      out.line(`if (${local} === null${cond}) throw ${this.use('nullNotAllowed')}('${this.spec.name}', '${f.specName}', version);`);
    }
    this.emitWriteValue(out, f, f.type, local, w, nullable === 'never' || !nullableType ? 'never' : nullable, flex);
  }

  private emitEncode(out: Lines, s: StructSpec, exported: boolean): void {
    const scope = this.scopeOf(s);
    const flex = this.structFlex(s);
    out.open(
      `${exported ? 'export ' : ''}function ${this.encodeName(s)}(w: Writer, version: number, m: ${s.tsName}Input): void {`,
    );
    if (typeof flex === 'object') out.line(`const flexible = ${flex.cond};`);
    const flexVar: Tri = typeof flex === 'object' ? { cond: 'flexible' } : flex;
    for (const f of s.fields) {
      const inline = this.inlineRange(f, s);
      const tagged = this.taggedRange(f, s);
      const present = tri(inline, scope);
      const fieldFlex = f.flexibleVersions === undefined ? flexVar : this.fieldFlex(f, s, flex);
      // Versions where the field is neither inline nor tagged: refuse to drop real data.
      const carried = f.tag !== undefined ? tagged : inline;
      const missing = !covers(carried, scope);
      const check = missing && !f.ignorable ? this.noteNonDefault(f, `m.${f.prop}`) : undefined;
      const thrower = `throw ${this.use('unsupportedField')}('${this.spec.name}', '${f.specName}', version);`;
      const guard = check === undefined ? undefined : `if (${check}) ${thrower}`;
      if (f.tag !== undefined || present === 'never') {
        if (check !== undefined) {
          const c = versionCondition(carried, scope);
          out.line(c === 'false' ? guard! : `if (!(${c}) && ${check}) ${thrower}`);
        }
        continue;
      }
      const body = new Lines();
      this.emitEncodeField(body, f, inline, 'w', fieldFlex);
      const folded = foldSingleUse(body.out);
      if (present === 'always' && folded !== undefined) {
        out.line(folded);
        continue;
      }
      out.open(present === 'always' ? '{' : `if (${present.cond}) {`);
      for (const l of folded !== undefined ? [folded] : body.out) out.line(l);
      if (present !== 'always' && guard) {
        out.mid('} else {');
        out.line(guard);
      }
      out.close();
    }
    this.emitEncodeTags(out, s, flexVar);
    out.close();
    out.line();
  }

  private emitEncodeTags(out: Lines, s: StructSpec, flex: Tri): void {
    if (flex === 'never') return;
    const tagged = s.fields.filter((f) => !isEmpty(this.taggedRange(f, s))).sort((a, b) => a.tag! - b.tag!);
    if (tagged.length === 0) {
      const call = `${this.use('writeUnknownTaggedFields')}(w, m._unknownTaggedFields);`;
      out.line(flex === 'always' ? call : `if (${flex.cond}) ${call}`);
      return;
    }
    if (flex !== 'always') out.open(`if (${flex.cond}) {`);
    out.line('const unknownTags = m._unknownTaggedFields;');
    out.line('let nTags = unknownTags === undefined ? 0 : unknownTags.length;');
    for (const f of tagged) {
      const cond = versionCondition(this.taggedRange(f, s), this.scopeOf(s));
      const check = this.noteNonDefault(f, `m.${f.prop}`);
      out.line(`const has${f.specName} = ${cond === 'true' ? '' : `${cond} && `}${check};`);
      out.line(`if (has${f.specName}) nTags++;`);
    }
    out.line('w.uvarint(nTags);');
    out.line('let nextUnknown = 0;');
    const before = this.use('writeUnknownBefore');
    for (const f of tagged) {
      out.open(`if (has${f.specName}) {`);
      out.line(`nextUnknown = ${before}(w, unknownTags, nextUnknown, ${f.tag});`);
      out.line('const tw = new Writer(64);');
      const range = this.taggedRange(f, s);
      const nullable = tri(intersect(f.nullableVersions, range), range);
      const dflt = this.dv(f, false);
      out.line(
        isNullableAnywhere(f) && dflt !== 'null'
          ? `const v = m.${f.prop} === undefined ? ${dflt} : m.${f.prop};`
          : `const v = m.${f.prop} ?? ${dflt};`,
      );
      if (isNullableAnywhere(f) && nullable !== 'always') {
        const c = nullable === 'never' ? '' : ` && !(${nullable.cond})`;
        out.line(`if (v === null${c}) throw ${this.use('nullNotAllowed')}('${this.spec.name}', '${f.specName}', version);`);
      }
      this.emitWriteValue(out, f, f.type, 'v', 'tw', isNullableAnywhere(f) ? nullable : 'never', 'always');
      out.line(`${this.use('writeTaggedValue')}(w, ${f.tag}, tw);`);
      out.close();
    }
    out.line(`${before}(w, unknownTags, nextUnknown, Infinity);`);
    if (flex !== 'always') out.close();
  }

  // -------------------------------------------------------------- helpers

  private emitDefaultFactory(out: Lines, s: StructSpec): void {
    out.open(`function default${s.tsName}(): ${s.tsName} {`);
    const props = s.fields.map((f) => {
      const need = structDefaultsNeeded(f);
      if (need) this.needDefault(need);
      const v = this.dv(f, true);
      return `${f.prop}: ${v}`;
    });
    out.line(`return { ${props.join(', ')} };`);
    out.close();
    out.line();
  }

  private emitIsDefault(out: Lines, s: StructSpec): void {
    out.open(`function isDefault${s.tsName}(m: ${s.tsName}Input): boolean {`);
    const checks = s.fields.map((f) => `!(${this.noteNonDefault(f, `m.${f.prop}`)})`);
    checks.push('(m._unknownTaggedFields === undefined || m._unknownTaggedFields.length === 0)');
    out.line(`return ${checks.join(' &&\n    ')};`);
    out.close();
    out.line();
  }
}

/** Drops parentheses that enclose a whole expression. */
function unwrap(expr: string): string {
  if (!expr.startsWith('(') || !expr.endsWith(')')) return expr;
  let depth = 0;
  for (let i = 0; i < expr.length; i++) {
    if (expr[i] === '(') depth++;
    else if (expr[i] === ')') depth--;
    if (depth === 0 && i < expr.length - 1) return expr;
  }
  return expr.slice(1, -1);
}

/**
 * `const v = X;` followed by one statement using `v` once becomes that
 * statement with X in place, so simple fields encode in one readable line.
 */
function foldSingleUse(lines: string[]): string | undefined {
  if (lines.length !== 2) return undefined;
  const decl = /^const v = (.*);$/.exec(lines[0]);
  if (!decl || (lines[1].match(/\bv\b/g) ?? []).length !== 1) return undefined;
  return lines[1].replace(/\bv\b/, () => decl[1]);
}

export function emitMessage(spec: MessageSpec): string {
  return new MessageEmitter(spec).emit();
}
