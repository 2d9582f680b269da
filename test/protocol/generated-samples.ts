/**
 * Builds sample messages for the generated codecs by walking the parsed spec:
 * every field present at a version gets a value that differs from its default,
 * and the builder also says what a decoder must return (defaults for fields the
 * version lacks). Written independently of the generator's emitters so a bug
 * there is not mirrored here.
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import type { FieldSpec, FieldType, MessageSpec, StructSpec } from '../../protocol/generator/spec';
import type { VersionRange } from '../../protocol/generator/versions';
import * as all from '../../protocol/generated/allMessages';
import type { Reader } from '../../protocol/codec/reader';
import type { Writer } from '../../protocol/codec/writer';

export const SPEC_DIR = resolve(__dirname, '..', '..', '..', 'shared', 'kafka-protocol', 'messages');

export function specsAvailable(): boolean {
  return existsSync(SPEC_DIR);
}

export interface Codec {
  decode(r: Reader, version: number): Record<string, unknown>;
  encode(w: Writer, version: number, m: unknown): void;
}

export function codecFor(name: string): Codec {
  const mod = (all as unknown as Record<string, Record<string, unknown>>)[`${name}Msg`];
  if (!mod) throw new Error(`no generated module for ${name}`);
  return {
    decode: mod[`decode${name}`] as Codec['decode'],
    encode: mod[`encode${name}`] as Codec['encode'],
  };
}

function inRange(r: VersionRange, v: number): boolean {
  return v >= r.low && v <= r.high;
}

function nullableAnywhere(f: FieldSpec): boolean {
  const low = Math.max(f.nullableVersions.low, f.versions.low);
  const high = Math.min(f.nullableVersions.high, f.versions.high);
  return low <= high;
}

function defaultIsNull(f: FieldSpec): boolean {
  if (!nullableAnywhere(f)) return false;
  if (f.type.kind === 'primitive' && f.type.name === 'records') return f.defaultText === undefined || f.defaultText === 'null';
  return f.defaultText === 'null';
}

function integerDefault(text: string | undefined): bigint {
  if (text === undefined || text === '') return 0n;
  return text.startsWith('-') ? -BigInt(text.slice(1)) : BigInt(text);
}

export function expectedDefault(f: FieldSpec): unknown {
  if (defaultIsNull(f)) return null;
  const t = f.type;
  if (t.kind === 'array') return [];
  if (t.kind === 'struct') return defaultStruct(t.struct);
  switch (t.name) {
    case 'bool':
      return (f.defaultText ?? '').toLowerCase() === 'true';
    case 'string':
      return f.defaultText ?? '';
    case 'uuid':
      return Buffer.alloc(16);
    case 'bytes':
    case 'records':
      return Buffer.alloc(0);
    case 'float64':
      return f.defaultText === undefined ? 0 : Number(f.defaultText);
    case 'int64':
      return integerDefault(f.defaultText);
    default:
      return Number(integerDefault(f.defaultText));
  }
}

function defaultStruct(s: StructSpec): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const f of s.fields) out[f.prop] = expectedDefault(f);
  return out;
}

export interface SampleOptions {
  /** Use null wherever the version allows it (instead of a non-null value). */
  nulls: boolean;
  /** Add an unknown tagged field to every struct at flexible versions. */
  unknownTags: boolean;
  /** Give records fields as several Buffers. */
  recordChunks: boolean;
}

export interface Sample {
  input: Record<string, unknown>;
  expected: Record<string, unknown>;
}

/** Tag numbers no spec uses. */
export const UNKNOWN_TAG = 9000;

export class SampleBuilder {
  private counter = 0;

  constructor(
    private readonly spec: MessageSpec,
    private readonly version: number,
    private readonly opts: SampleOptions,
  ) {}

  get flexible(): boolean {
    return inRange(this.spec.flexibleVersions, this.version);
  }

  build(): Sample {
    return this.struct(this.spec.root);
  }

  private carried(f: FieldSpec): boolean {
    if (!inRange(f.versions, this.version)) return false;
    if (f.tag === undefined) return true;
    return this.flexible && inRange(f.taggedVersions, this.version);
  }

  private struct(s: StructSpec): Sample {
    const input: Record<string, unknown> = {};
    const expected: Record<string, unknown> = {};
    for (const f of s.fields) {
      if (!this.carried(f)) {
        expected[f.prop] = expectedDefault(f);
        continue;
      }
      const { input: i, expected: e } = this.field(f);
      input[f.prop] = i;
      expected[f.prop] = e;
    }
    if (this.opts.unknownTags && this.flexible) {
      const n = ++this.counter;
      const tags = [{ tag: UNKNOWN_TAG, data: Buffer.from([n & 0xff, 1, 2, 3]) }];
      input._unknownTaggedFields = tags;
      expected._unknownTaggedFields = tags;
    }
    return { input, expected };
  }

  private field(f: FieldSpec): { input: unknown; expected: unknown } {
    if (this.opts.nulls && inRange(f.nullableVersions, this.version)) return { input: null, expected: null };
    const value = this.value(f, f.type);
    // Only a non-default value proves the field travels.
    if (f.type.kind === 'primitive' && isEqual(value.expected, expectedDefault(f))) {
      return this.value(f, f.type);
    }
    return value;
  }

  private value(f: FieldSpec, t: FieldType): { input: unknown; expected: unknown } {
    const n = ++this.counter;
    if (t.kind === 'array') {
      const a = this.value(f, t.element);
      const b = this.value(f, t.element);
      return { input: [a.input, b.input], expected: [a.expected, b.expected] };
    }
    if (t.kind === 'struct') return this.struct(t.struct);
    switch (t.name) {
      case 'bool':
        return same((f.defaultText ?? '').toLowerCase() !== 'true');
      case 'int8':
        return same((n % 120) + 1);
      case 'int16':
        return same(1000 + n);
      case 'uint16':
        return same(40000 + n);
      case 'int32':
        return same(100000 + n);
      case 'uint32':
        return same(3_000_000_000 + n);
      case 'int64':
        return same(2n ** 40n + BigInt(n));
      case 'float64':
        return same(n + 0.25);
      case 'string':
        return same(`${f.prop}-${n}-é`);
      case 'uuid':
        return same(Buffer.alloc(16, n & 0xff || 1));
      case 'bytes':
        return same(Buffer.from([n & 0xff, 0, 0xff, 7]));
      case 'records': {
        // Large enough that the Writer links it instead of copying.
        const blob = Buffer.alloc(300 + (n % 7), n & 0xff);
        if (!this.opts.recordChunks) return same(blob);
        return { input: [blob.subarray(0, 100), blob.subarray(100)], expected: blob };
      }
    }
  }
}

function same<T>(v: T): { input: T; expected: T } {
  return { input: v, expected: v };
}

function isEqual(a: unknown, b: unknown): boolean {
  if (Buffer.isBuffer(a) && Buffer.isBuffer(b)) return a.equals(b);
  return a === b;
}

/** Versions worth testing: lowest, highest and first flexible. */
export function interestingVersions(spec: MessageSpec): number[] {
  const vs = new Set<number>([spec.validVersions.low, spec.validVersions.high]);
  const flex = spec.flexibleVersions.low;
  if (flex >= spec.validVersions.low && flex <= spec.validVersions.high && spec.flexibleVersions.low <= spec.flexibleVersions.high) {
    vs.add(flex);
  }
  return [...vs].sort((a, b) => a - b);
}
