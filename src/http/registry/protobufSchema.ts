import * as protobuf from 'protobufjs';
import * as descriptor from 'protobufjs/ext/descriptor';

/**
 * Protobuf schemas as the registry gets them: `.proto` text, or base64 of a
 * FileDescriptorProto (what Confluent's serializers register), importing
 * referenced schemas (by reference name) and Google's well-known types.
 */

interface FileDescriptor {
  name?: string;
  package?: string;
  dependency?: string[];
  syntax?: string;
  messageType?: MessageDescriptor[];
  enumType?: unknown[];
  service?: unknown[];
}
interface MessageDescriptor {
  name?: string;
  field?: Array<{ name?: string; typeName?: string }>;
  nestedType?: MessageDescriptor[];
}
interface DescriptorCodec {
  encode(m: unknown): { finish(): Uint8Array };
  decode(b: Uint8Array): unknown;
  toObject(m: unknown, o: object): unknown;
}
const FileDescriptorProto = (descriptor as unknown as { FileDescriptorProto: DescriptorCodec }).FileDescriptorProto;
type DescriptorRoot = {
  fromDescriptor(set: { file: FileDescriptor[] }, opts: { keepCase: boolean }): protobuf.Root;
};
type RootWithDescriptor = protobuf.Root & { toDescriptor(syntax: string): { file: FileDescriptor[] } };
/** protobufjs ships the well-known types (timestamp, duration, any, struct, wrappers, ...) as JSON, by import path. */
const common = (protobuf as unknown as { common: { get(file: string): protobuf.INamespace | null } }).common;

/** One schema text with the name other schemas import it by. */
export interface ProtoSource {
  name: string;
  text: string;
}

/** The FileDescriptorProto a base64 text holds, else null (it is `.proto` text). */
export function decodeSerialized(text: string): FileDescriptor | null {
  const t = text.trim();
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(t)) return null;
  try {
    const file = FileDescriptorProto.decode(Buffer.from(t, 'base64')) as FileDescriptor;
    return (file.messageType?.length ?? 0) + (file.enumType?.length ?? 0) + (file.service?.length ?? 0) > 0 ? file : null;
  } catch {
    return null;
  }
}

function importsOf(text: string): string[] {
  const file = decodeSerialized(text);
  if (file) return file.dependency ?? [];
  return [...text.matchAll(/\bimport\s+(?:public\s+|weak\s+)?"([^"]+)"/g)].map((m) => m[1]!);
}

function syntaxOf(text: string): string {
  return /\bsyntax\s*=\s*"proto2"/.test(text) ? 'proto2' : 'proto3';
}

/**
 * One Root holding the references (dependencies first), the well-known types
 * any of them imports without a reference of that name, and the schema
 * itself, so every type name resolves. Serialized files are added through
 * protobufjs's descriptor loader, which resolves as it loads: the types
 * gathered so far are handed to it as descriptors too.
 */
export function protoRoot(main: string, refs: ProtoSource[]): protobuf.Root {
  let root = new protobuf.Root();
  const given = new Set(refs.map((r) => r.name));
  const wkts = new Set([main, ...refs.map((r) => r.text)].flatMap(importsOf).filter((i) => !given.has(i)));
  for (const name of wkts) {
    const json = common.get(name);
    if (json?.nested) root.addJSON(json.nested);
  }
  for (const text of [...refs.map((r) => r.text), main]) {
    const file = decodeSerialized(text);
    if (!file) {
      protobuf.parse(text, root, { keepCase: true });
      continue;
    }
    const prior = root.nestedArray.length > 0 ? (root as RootWithDescriptor).toDescriptor('proto3').file : [];
    root = (protobuf.Root as unknown as DescriptorRoot).fromDescriptor({ file: [...prior, file] }, { keepCase: true });
  }
  root.resolveAll();
  return root;
}

/** Field type names in the form protoc writes them (`.pkg.Type`); protobufjs writes them relative to the message. */
function qualify(messages: MessageDescriptor[] | undefined, ns: protobuf.NamespaceBase): void {
  for (const m of messages ?? []) {
    const type = ns.get(m.name ?? '');
    if (!(type instanceof protobuf.Type)) continue;
    for (const f of m.field ?? []) {
      const field = type.fields[f.name ?? ''];
      if (f.typeName && field?.resolvedType) f.typeName = field.resolvedType.fullName;
      else if (f.typeName && !f.typeName.startsWith('.')) f.typeName = `${type.fullName}.${f.typeName}`;
    }
    qualify(m.nestedType, type);
  }
}

/**
 * `?format=serialized` of a protobuf schema: base64 of its FileDescriptorProto,
 * as Confluent's registry answers and its protobuf (de)serializers ask. Only
 * the schema's own types go in; imported ones stay imports (`dependency`).
 */
export function serializedProtobuf(text: string, refs: ProtoSource[]): string {
  if (decodeSerialized(text)) return text.trim();
  const own = protobuf.parse(text, new protobuf.Root(), { keepCase: true });
  const pkg = own.package ?? '';
  const ownNs = pkg ? own.root.lookup(pkg) : own.root;
  const ownNames = new Set((ownNs as protobuf.Namespace | null)?.nestedArray.map((n) => n.name) ?? []);
  const root = protoRoot(text, refs);
  const syntax = syntaxOf(text);
  const set = (root as RootWithDescriptor).toDescriptor(syntax);
  const file = set.file.find((f) => (f.package ?? '') === pkg) ?? { package: pkg };
  const named = <T>(list: T[] | undefined) => (list ?? []).filter((x) => ownNames.has((x as { name?: string }).name ?? ''));
  const out: FileDescriptor = {
    ...file,
    name: 'default',
    dependency: importsOf(text),
    syntax,
    messageType: named(file.messageType),
    enumType: named(file.enumType),
    service: named(file.service),
  };
  const nsOfPkg = pkg ? root.lookup(pkg) : root;
  if (nsOfPkg instanceof protobuf.Namespace || nsOfPkg instanceof protobuf.Root) qualify(out.messageType, nsOfPkg);
  return Buffer.from(FileDescriptorProto.encode(out).finish()).toString('base64');
}

/**
 * The form two protobuf schemas are compared in: the schema's own
 * definitions as protobufjs understands them (whitespace, comments and
 * formatting do not count), with its syntax, package and imports.
 */
export function protobufCanonical(text: string): string {
  const file = decodeSerialized(text);
  if (file) return JSON.stringify(FileDescriptorProto.toObject(file, { defaults: false }));
  const own = protobuf.parse(text, new protobuf.Root(), { keepCase: true });
  return JSON.stringify({ syntax: syntaxOf(text), package: own.package ?? '', imports: own.imports ?? [], weak: own.weakImports ?? [], nested: own.root.toJSON().nested ?? {} });
}
