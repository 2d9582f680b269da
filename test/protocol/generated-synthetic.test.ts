/**
 * The generator against a made-up spec that packs in what the real specs use
 * rarely or never (uint32, float64, negative and hex defaults, "False", a
 * field-level flexibleVersions override, tagged structs, nullable structs,
 * name collisions), compiled and run so the behaviour, not the text, is tested.
 */
import { expect } from 'chai';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseSpec } from '../../protocol/generator/spec';
import { emitMessage } from '../../protocol/generator/emitMessage';
import { Reader } from '../../protocol/codec/reader';
import { Writer } from '../../protocol/codec/writer';
import { DecodeError } from '../../protocol/codec/errors';

const SPEC = `
// A header comment, with "quotes" in it.
{
  "apiKey": 9999,
  "type": "request",
  "name": "SyntheticRequest",
  "validVersions": "0-3",
  "flexibleVersions": "2+",
  "fields": [
    { "name": "ClientTag", "type": "string", "versions": "0+", "flexibleVersions": "none" }, // trailing comment
    { "name": "Small", "type": "int8", "versions": "0+", "default": "-3" },
    { "name": "Port", "type": "uint16", "versions": "0+", "default": "0xffff" },
    { "name": "Big", "type": "uint32", "versions": "1+", "default": "4000000000" },
    { "name": "Ratio", "type": "float64", "versions": "0+", "default": "0.5" },
    { "name": "Epoch", "type": "int64", "versions": "0+", "default": "-16" },
    { "name": "Enabled", "type": "bool", "versions": "0+", "default": "False" },
    { "name": "Label", "type": "string", "versions": "0+", "default": "hello // not a comment" },
    { "name": "Note", "type": "string", "versions": "1+", "nullableVersions": "2+", "default": "n" },
    { "name": "Legacy", "type": "int32", "versions": "0-1", "ignorable": true, "default": "7" },
    { "name": "Strict", "type": "int32", "versions": "0-1" },
    { "name": "Ids", "type": "[]uuid", "versions": "0+" },
    { "name": "Offsets", "type": "[]int64", "versions": "0+", "nullableVersions": "0+", "default": "null" },
    { "name": "Blob", "type": "bytes", "versions": "0+", "nullableVersions": "0+", "default": "null" },
    { "name": "Raw", "type": "records", "versions": "0+", "nullableVersions": "0+" },
    { "name": "Where", "type": "Location", "versions": "0+" },
    { "name": "Maybe", "type": "Location", "versions": "1+", "nullableVersions": "1+", "default": "null" },
    { "name": "Items", "type": "[]Reader", "versions": "0+", "fields": [
      { "name": "Key", "type": "string", "versions": "0+", "mapKey": true },
      { "name": "Count", "type": "uint32", "versions": "0+" },
      { "name": "Extra", "type": "int32", "versions": "2+", "taggedVersions": "2+", "tag": 0, "default": "-1" }
    ]},
    { "name": "TaggedNames", "type": "[]string", "versions": "2+", "taggedVersions": "2+", "tag": 1 },
    { "name": "TaggedWhere", "type": "Location", "versions": "3+", "taggedVersions": "3+", "tag": 5 }
  ],
  "commonStructs": [
    { "name": "Location", "versions": "0+", "fields": [
      { "name": "Host", "type": "string", "versions": "0+" },
      { "name": "Rack", "type": "string", "versions": "1+", "nullableVersions": "1+", "default": "null" }
    ]}
  ]
}
`;

type Decode = (r: Reader, v: number) => Record<string, unknown>;
type Encode = (w: Writer, v: number, m: Record<string, unknown>) => void;

describe('generator: synthetic spec with every feature', function () {
  let dir: string;
  let decode: Decode;
  let encode: Encode;
  let source: string;

  before(function () {
    source = emitMessage(parseSpec('Synthetic.json', SPEC));
    const codecDir = resolve(__dirname, '..', '..', 'protocol', 'codec');
    dir = mkdtempSync(join(tmpdir(), 'brook-synth-'));
    const file = join(dir, 'SyntheticRequest.ts');
    writeFileSync(file, source.replace(/'\.\.\/\.\.\/codec\//g, `'${codecDir}/`));
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const mod = require(file) as Record<string, unknown>;
    decode = mod.decodeSyntheticRequest as Decode;
    encode = mod.encodeSyntheticRequest as Encode;
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  const bytesOf = (v: number, m: Record<string, unknown>): Buffer => {
    const w = new Writer(16);
    encode(w, v, m);
    return w.toBuffer();
  };
  const roundTrip = (v: number, m: Record<string, unknown>): Record<string, unknown> => {
    const r = new Reader(bytesOf(v, m));
    const out = decode(r, v);
    expect(r.remaining).to.equal(0);
    return out;
  };

  it('renames a struct that collides with an imported name', function () {
    expect(source).to.include('export interface SyntheticRequestReader {');
    expect(source).to.include('export type SyntheticRequestReaderInput = {');
  });

  it('fills every default, including negative, hex, float, "False" and null', function () {
    for (const v of [0, 1, 2, 3]) {
      const out = roundTrip(v, {});
      expect(out).to.deep.equal({
        clientTag: '',
        small: -3,
        port: 0xffff,
        big: 4_000_000_000,
        ratio: 0.5,
        epoch: -16n,
        enabled: false,
        label: 'hello // not a comment',
        note: 'n',
        legacy: 7,
        strict: 0,
        ids: [],
        offsets: null,
        blob: null,
        raw: null,
        where: { host: '', rack: null },
        maybe: null,
        items: [],
        taggedNames: [],
        taggedWhere: { host: '', rack: null },
      });
    }
  });

  it('round-trips real values at every version', function () {
    const full = {
      clientTag: 'c',
      small: -100,
      port: 65_000,
      big: 4_294_967_295,
      ratio: -2.75,
      epoch: -(2n ** 62n),
      enabled: true,
      label: 'ünïcode',
      note: 'x',
      legacy: 1,
      strict: 2,
      ids: [Buffer.alloc(16, 1), Buffer.alloc(16, 2)],
      offsets: [1n, -1n, 2n ** 63n - 1n],
      blob: Buffer.from([1, 2, 3]),
      raw: Buffer.alloc(500, 9),
      where: { host: 'h', rack: 'r1' },
      maybe: { host: 'm', rack: null },
      items: [{ key: 'k', count: 3_000_000_000, extra: 12 }],
      taggedNames: ['a', 'b'],
      taggedWhere: { host: 'tw', rack: 'tr' },
    };
    const at = (v: number): Record<string, unknown> => ({
      ...full,
      big: v >= 1 ? full.big : 4_000_000_000,
      note: v >= 1 ? 'x' : 'n',
      legacy: v <= 1 ? 1 : 7,
      strict: v <= 1 ? 2 : 0,
      maybe: v >= 1 ? full.maybe : null,
      where: { host: 'h', rack: v >= 1 ? 'r1' : null },
      items: [{ key: 'k', count: 3_000_000_000, extra: v >= 2 ? 12 : -1 }],
      taggedNames: v >= 2 ? ['a', 'b'] : [],
      taggedWhere: v >= 3 ? full.taggedWhere : { host: '', rack: null },
    });
    for (const v of [0, 1, 2, 3]) {
      const input = at(v);
      if (v < 2) {
        // Values the version cannot carry must be left at their defaults (or be ignorable).
        delete input.taggedNames;
        (input.items as Record<string, unknown>[])[0].extra = undefined;
      }
      if (v < 3) delete input.taggedWhere;
      if (v < 1) {
        delete input.maybe;
        input.where = { host: 'h' };
      }
      if (v >= 2) input.legacy = 99; // ignorable: silently dropped
      expect(roundTrip(v, input), `v${v}`).to.deep.equal(at(v));
    }
  });

  it('keeps the overridden field a classic string in flexible versions', function () {
    const bytes = bytesOf(3, { clientTag: 'ab' });
    expect([...bytes.subarray(0, 4)]).to.deep.equal([0, 2, 0x61, 0x62]);
    // ...while an ordinary string is compact there: Label is after int8, uint16, uint32, float64, int64, bool.
    const labelAt = 4 + 1 + 2 + 4 + 8 + 8 + 1;
    expect(bytes[labelAt]).to.equal(Buffer.byteLength('hello // not a comment') + 1);
  });

  it('writes uint32 and uint16 unsigned', function () {
    const bytes = bytesOf(1, { clientTag: '', big: 0xfedcba98, port: 0xabcd });
    expect([...bytes.subarray(3, 5)]).to.deep.equal([0xab, 0xcd]);
    expect([...bytes.subarray(5, 9)]).to.deep.equal([0xfe, 0xdc, 0xba, 0x98]);
  });

  it('refuses non-ignorable data the version lacks, and nulls it cannot carry', function () {
    expect(() => bytesOf(2, { strict: 5 })).to.throw(RangeError, /Strict/);
    expect(() => bytesOf(2, { strict: 0 })).not.to.throw();
    expect(() => bytesOf(1, { taggedNames: ['a'] })).to.throw(RangeError, /TaggedNames/);
    expect(() => bytesOf(2, { taggedWhere: { host: 'x' } })).to.throw(RangeError, /TaggedWhere/);
    expect(() => bytesOf(2, { taggedWhere: { host: '' } })).not.to.throw();
    expect(() => bytesOf(1, { note: null })).to.throw(RangeError, /Note/);
    expect(roundTrip(2, { note: null }).note).to.equal(null);
  });

  it('sends tagged fields in ascending tag order with unknown tags between them', function () {
    const bytes = bytesOf(3, {
      taggedNames: ['z'],
      taggedWhere: { host: 'q' },
      _unknownTaggedFields: [
        { tag: 3, data: Buffer.from([0xab]) },
        { tag: 9, data: Buffer.from([0xcd]) },
      ],
    });
    const out = decode(new Reader(bytes), 3);
    expect(out.taggedNames).to.deep.equal(['z']);
    expect(out.taggedWhere).to.deep.equal({ host: 'q', rack: null });
    expect(out._unknownTaggedFields).to.deep.equal([
      { tag: 3, data: Buffer.from([0xab]) },
      { tag: 9, data: Buffer.from([0xcd]) },
    ]);
    // Tag section: 4 entries; tag 1 (names), tag 3 (unknown), tag 5 (where), tag 9 (unknown).
    const tail = [...bytes.subarray(bytes.length - 18)];
    expect(tail).to.deep.equal([4, 1, 3, 2, 2, 0x7a, 3, 1, 0xab, 5, 4, 2, 0x71, 0, 0, 9, 1, 0xcd]);
  });

  it('decodes a nullable struct presence byte and rejects truncation inside it', function () {
    const bytes = bytesOf(1, { maybe: { host: 'm' } });
    const out = decode(new Reader(bytes), 1);
    expect(out.maybe).to.deep.equal({ host: 'm', rack: null });
    for (let n = 0; n < bytes.length; n++) {
      expect(() => decode(new Reader(bytes.subarray(0, n)), 1)).to.throw(DecodeError);
    }
  });
});
