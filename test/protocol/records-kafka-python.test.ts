import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { Compression } from '../../protocol/records/batchHeader';
import { buildRecordBatch, decodeRecordBatch } from '../../protocol/records/batch';
import { convertLegacyToV2, convertV2ToLegacy, decodeLegacyMessageSet } from '../../protocol/records/legacy';
import { validateProduceRecords } from '../../protocol/records/validate';

/**
 * kafka-python (the Debian python3-kafka package, with its gzip/snappy/lz4/zstd
 * codec modules) is a third, independent implementation of the record
 * formats: its snappy is xerial-framed like Java's, its lz4 is liblz4's frame
 * format, and it writes magic 0/1 message sets too.
 */

const PYTHON = '/usr/bin/python3';
const T0 = 1_700_000_000_000;

const SCRIPT = String.raw`
import json, sys
from kafka.record.default_records import DefaultRecordBatchBuilder
from kafka.record.legacy_records import LegacyRecordBatchBuilder
from kafka.record.memory_records import MemoryRecords

T0 = ${T0}
mode = sys.argv[1]

def records():
    return [(0, T0, b'key-0', b'value-0', [('h1', b'x'), ('h2', None)]),
            (1, T0 + 9, None, b'v' * 3000, []),
            (2, T0 - 4, b'k2', None, [])]

if mode == 'build':
    out = {'v2': {}, 'legacy': {}}
    for codec in range(5):
        b = DefaultRecordBatchBuilder(magic=2, compression_type=codec, is_transactional=False,
                                      producer_id=77, producer_epoch=3, base_sequence=11, batch_size=1 << 20)
        for off, ts, k, v, h in records():
            b.append(off, timestamp=ts, key=k, value=v, headers=h)
        out['v2'][codec] = bytes(b.build()).hex()
    for magic in (0, 1):
        for codec in range(4):
            if magic == 0 and codec == 3:
                continue  # kafka-python needs the xxhash module for the broken magic-0 LZ4 header
            b = LegacyRecordBatchBuilder(magic=magic, compression_type=codec, batch_size=1 << 20)
            for off, ts, k, v, h in records():
                b.append(off, timestamp=ts if magic else None, key=k, value=v)
            out['legacy']['%d-%d' % (magic, codec)] = bytes(b.build()).hex()
    print(json.dumps(out))
else:
    result = []
    for hexdata in json.load(sys.stdin):
        mr = MemoryRecords(bytes.fromhex(hexdata))
        batches = []
        while mr.has_next():
            batch = mr.next_batch()
            crc_ok = batch.validate_crc()
            recs = []
            for r in batch:
                recs.append({'offset': r.offset, 'timestamp': r.timestamp,
                             'key': None if r.key is None else r.key.hex(),
                             'value': None if r.value is None else r.value.hex(),
                             'headers': [[k, None if v is None else v.hex()] for k, v in (getattr(r, 'headers', None) or [])]})
            batches.append({'crc_ok': crc_ok, 'records': recs})
        result.append(batches)
    print(json.dumps(result))
`;

function runPython(mode: 'build' | 'read', input?: string): unknown {
  const r = spawnSync(PYTHON, ['-c', SCRIPT, mode], { input, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (r.status !== 0) throw new Error(`python exited ${r.status}: ${r.stderr}`);
  return JSON.parse(r.stdout);
}

interface PyRecord {
  offset: number;
  timestamp: number;
  key: string | null;
  value: string | null;
  headers: Array<[string, string | null]>;
}

const hex = (s: string): Buffer => Buffer.from(s, 'hex');

describe('record formats interoperate with kafka-python', () => {
  let built: { v2: Record<string, string>; legacy: Record<string, string> };

  before(function () {
    this.timeout(30_000);
    built = runPython('build') as typeof built;
  });

  for (const codec of [Compression.None, Compression.Gzip, Compression.Snappy, Compression.Lz4, Compression.Zstd]) {
    it(`codec ${codec}: kafka-python v2 batches validate and decode`, () => {
      const buf = hex(built.v2[codec]);
      const v = validateProduceRecords(buf);
      expect(v.ok, JSON.stringify(v, (_k, x) => (typeof x === 'bigint' ? String(x) : x))).to.equal(true);
      const b = decodeRecordBatch(buf);
      expect(b).to.include({ compression: codec, producerId: 77n, producerEpoch: 3, baseSequence: 11, recordCount: 3 });
      expect(b.records.map((r) => [r.offset, r.timestamp])).to.deep.equal([
        [0n, BigInt(T0)],
        [1n, BigInt(T0 + 9)],
        [2n, BigInt(T0 - 4)],
      ]);
      expect(b.records[0].key?.toString()).to.equal('key-0');
      expect(b.records[0].headers.map((h) => [h.key, h.value?.toString() ?? null])).to.deep.equal([
        ['h1', 'x'],
        ['h2', null],
      ]);
      expect(b.records[1].key).to.equal(null);
      expect(b.records[1].value?.equals(Buffer.alloc(3000, 'v'))).to.equal(true);
      expect(b.records[2].value).to.equal(null);
    });
  }

  for (const magic of [0, 1] as const) {
    for (const codec of [Compression.None, Compression.Gzip, Compression.Snappy, Compression.Lz4]) {
      // Magic 0 LZ4 used a broken frame header checksum; Kafka only guarantees LZ4 from magic 1 on.
      if (magic === 0 && codec === Compression.Lz4) continue;
      it(`magic ${magic} codec ${codec}: kafka-python message sets decode and convert to v2`, () => {
        const set = hex(built.legacy[`${magic}-${codec}`]);
        const recs = decodeLegacyMessageSet(set);
        expect(recs.map((r) => [r.key?.toString() ?? null, r.value?.length ?? null])).to.deep.equal([
          ['key-0', 7],
          [null, 3000],
          ['k2', null],
        ]);
        // A producer's offsets are placeholders (kafka-python leaves a magic 1 wrapper at offset 0, which
        // makes the relative inner offsets come out as -2..0); they must still be consecutive.
        expect(recs.map((r) => r.offset - recs[0].offset)).to.deep.equal([0n, 1n, 2n]);
        expect(recs.map((r) => r.timestamp)).to.deep.equal(magic === 1 ? [T0, T0 + 9, T0 - 4].map(BigInt) : [-1n, -1n, -1n]);
        const v2 = convertLegacyToV2(set);
        expect(validateProduceRecords(v2).ok).to.equal(true);
        expect(decodeRecordBatch(v2).compression).to.equal(codec);
      });
    }
  }

  it('kafka-python reads Brook v2 batches of every codec and Brook legacy sets, with valid CRCs', function () {
    this.timeout(30_000);
    const records = [
      { key: 'a', value: 'one', timestamp: T0, headers: [{ key: 'h', value: 'hv' }] },
      { key: null, value: Buffer.alloc(5000, 'z'), timestamp: T0 + 3 },
      { key: 'c', value: null, timestamp: T0 + 1 },
    ];
    const inputs: Buffer[] = [];
    for (const codec of [Compression.None, Compression.Gzip, Compression.Snappy, Compression.Lz4, Compression.Zstd]) {
      inputs.push(buildRecordBatch({ baseOffset: 10n, records, compression: codec }));
    }
    const forLegacy = buildRecordBatch({ baseOffset: 10n, records, compression: Compression.Gzip });
    inputs.push(convertV2ToLegacy(forLegacy, 1), convertV2ToLegacy(forLegacy, 0));
    const snappyLegacy = buildRecordBatch({ baseOffset: 10n, records, compression: Compression.Snappy });
    inputs.push(convertV2ToLegacy(snappyLegacy, 1));
    const out = runPython('read', JSON.stringify(inputs.map((b) => b.toString('hex')))) as Array<Array<{ crc_ok: boolean; records: PyRecord[] }>>;
    out.forEach((batches, i) => {
      const isV2 = i < 5;
      const all = batches.flatMap((b) => b.records);
      for (const b of batches) expect(b.crc_ok, `input ${i}`).to.equal(true);
      expect(all.map((r) => r.offset), `input ${i}`).to.deep.equal([10, 11, 12]);
      expect(all.map((r) => (r.key === null ? null : hex(r.key).toString()))).to.deep.equal(['a', null, 'c']);
      expect(all.map((r) => (r.value === null ? null : hex(r.value).length))).to.deep.equal([3, 5000, null]);
      if (i !== 6) expect(all.map((r) => r.timestamp), `input ${i}`).to.deep.equal([T0, T0 + 3, T0 + 1]);
      if (isV2) expect(all[0].headers).to.deep.equal([['h', Buffer.from('hv').toString('hex')]]);
    });
  });
});
