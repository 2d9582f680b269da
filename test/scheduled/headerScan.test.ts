import { expect } from 'chai';
import { buildRecordBatch, decodeRecordBatch } from '../../protocol/records/batch';
import { BATCH, Compression } from '../../protocol/records/batchHeader';
import type { RecordInput } from '../../protocol/records/types';
import { bodyNeedsDecode, recordsNeedDecode } from '../../src/scheduled/headerScan';
import { intake } from '../../src/scheduled/intake';
import { topicPolicy, TRIGGER_HEADERS } from '../../src/scheduled/policy';

type Rec = RecordInput;
const rec = (headers: Array<[string, string | null]>, extra: Partial<Rec> = {}): Rec => ({ key: 'k', value: 'v', headers: headers.map(([key, value]) => ({ key, value: value === null ? null : Buffer.from(value) })), ...extra });

/** The scanner's answer for an uncompressed batch of these records. */
function scan(records: Rec[]): boolean {
  const b = buildRecordBatch({ records, baseTimestamp: 1000n });
  const walked = recordsNeedDecode(b, BATCH.RECORDS, b.length, records.length);
  expect(bodyNeedsDecode(b, BATCH.RECORDS, b.length, records.length), 'the search for brook- then the walk agrees with the walk alone').to.equal(walked);
  return walked;
}

/** What the full decode says: some record has a header named like a trigger. */
function decoded(records: Rec[], compression = Compression.None): boolean {
  const b = buildRecordBatch({ records, baseTimestamp: 1000n, compression });
  return decodeRecordBatch(b).records.some((r) => r.headers.some((h) => TRIGGER_HEADERS.includes(h.key)));
}

/** Metadata in which every topic has one partition. */
const ONE_PARTITION = { topic: () => ({ partitions: 1, configs: {} }) };

describe('scheduled delivery: the produce-path scan for trigger headers', () => {
  it('finds each trigger header, in any record and any position', () => {
    for (const t of TRIGGER_HEADERS) {
      expect(scan([rec([[t, '5']])]), t).to.equal(true);
      expect(scan([rec([['a', '1']]), rec([['brook-tag', 'paid'], ['b', '2'], [t, '5']])]), t).to.equal(true);
    }
  });

  it('passes batches with no headers, other headers, and names that only look like ours', () => {
    expect(scan([rec([]), rec([], { key: null, value: null })])).to.equal(false);
    expect(scan([rec([['brook-tag', 'paid'], ['trace-id', 'x']])])).to.equal(false);
    for (const name of ['brook-delay-msx', 'brook-delay-m', 'xbrook-cancel', 'brook-cance', 'Brook-cancel', 'brook-deliver-at ', 'brook-attempt', 'brook-schedule-id']) {
      expect(scan([rec([[name, '5']])]), name).to.equal(false);
    }
    // the names as values, keys and record values are not headers
    expect(scan([rec([['x', 'brook-delay-ms'], ['brook-tag', 'brook-cancel']], { key: 'brook-deliver-at', value: 'brook-delay-ms' })])).to.equal(false);
  });

  it('null header values, null keys and values around a trigger', () => {
    expect(scan([rec([['a', null], ['brook-cancel', null]])])).to.equal(true);
    expect(scan([rec([['brook-tag', null], ['b', null]], { key: null, value: null })])).to.equal(false);
    expect(scan([rec([['brook-tag', null]], { key: null }), rec([['brook-delay-ms', '1']], { value: null })])).to.equal(true);
  });

  it('multi-byte varints: long keys, values, header names and counts, far timestamp deltas', () => {
    const many: Array<[string, string | null]> = [];
    for (let i = 0; i < 200; i++) many.push([`h${i}`.padEnd(70, 'n'), 'v'.repeat(130)]);
    const big = { key: 'k'.repeat(70_000), value: 'v'.repeat(20_000) };
    expect(scan([rec(many, big)])).to.equal(false);
    expect(scan([rec([...many, ['brook-delay-ms', '1']], big)])).to.equal(true);
    // a timestamp delta that takes the varlong's full width (negative, far from the base)
    const far = { timestamp: -(2n ** 62n) };
    expect(scan([rec([['brook-tag', 'x']]), rec([['brook-tag', 'y']], far)])).to.equal(false);
    expect(scan([rec([['brook-tag', 'x']]), rec([['brook-deliver-at', '9']], far)])).to.equal(true);
  });

  it('sends malformed framing to the decoder rather than passing it', () => {
    const b = buildRecordBatch({ records: [rec([['brook-tag', 'x']]), rec([['y', 'z']])], baseTimestamp: 0n });
    expect(recordsNeedDecode(b, BATCH.RECORDS, b.length, 2)).to.equal(false);
    expect(recordsNeedDecode(b, BATCH.RECORDS, b.length - 1, 2), 'cut short').to.equal(true);
    expect(recordsNeedDecode(b, BATCH.RECORDS, b.length, 3), 'a count the bytes cannot hold').to.equal(true);
    expect(recordsNeedDecode(b, BATCH.RECORDS, b.length, 1), 'bytes left over').to.equal(true);
    const long = Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff, 0x01]);
    expect(recordsNeedDecode(long, 0, long.length, 1), 'a length varint of 6 bytes').to.equal(true);
    const neg = Buffer.from([0x01, 0x00]);
    expect(recordsNeedDecode(neg, 0, neg.length, 1), 'a negative record length').to.equal(true);
  });

  it('agrees with the full decode on random batches', () => {
    let seed = 7;
    const rnd = (n: number): number => ((seed = (seed * 1103515245 + 12345) >>> 0) % n);
    const names = ['brook-tag', 'brook-delay-msx', 'brook-cancel', 'a', 'brook-delay-ms', 'brook-deliver-at', 'brook-deliver-a', 'tag'];
    for (let i = 0; i < 300; i++) {
      const records: Rec[] = [];
      for (let r = 1 + rnd(5); r > 0; r--) {
        const headers: Array<[string, string | null]> = [];
        for (let h = rnd(4); h > 0; h--) headers.push([names[rnd(rnd(3) === 0 ? names.length : 4)]!, rnd(4) === 0 ? null : 'x'.repeat(rnd(200))]);
        records.push(rec(headers, { key: rnd(3) === 0 ? null : 'k'.repeat(rnd(100)), value: rnd(5) === 0 ? null : 'v'.repeat(rnd(300)) }));
      }
      expect(scan(records), JSON.stringify(records.map((r) => r.headers?.map((h) => h.key)))).to.equal(decoded(records));
    }
  });

  it('a retry topic whose target is a filtered view is refused (a record moved there would never be read)', () => {
    const retry = topicPolicy({ 'brook.retry.for': 'paid-only', 'brook.retry.delays': '1s' });
    const view = { topic: () => ({ partitions: 1, configs: { 'brook.view.of': 'orders' } }) };
    const batch = buildRecordBatch({ records: [rec([])], baseTimestamp: 1000n });
    const out = intake('retries', 0, batch, retry, 1000, view);
    expect(out.kind).to.equal('refuse');
    if (out.kind === 'refuse') expect(out.message).to.match(/filtered view of orders/);
    expect(intake('retries', 0, batch, retry, 1000, ONE_PARTITION).kind).to.equal('take');
  });

  it('compressed batches through intake: passed without a trigger, taken with one, for every codec', () => {
    const policy = topicPolicy({});
    for (const compression of [Compression.Gzip, Compression.Snappy, Compression.Lz4, Compression.Zstd]) {
      const plain = buildRecordBatch({ records: [rec([['brook-tag', 'paid']]), rec([['brook-delay-msx', '5'], ['x', null]])], baseTimestamp: 1000n, compression });
      expect(intake('t', 0, plain, policy, 1000, ONE_PARTITION).kind, `codec ${compression}`).to.equal('pass');
      const scheduled = buildRecordBatch({ records: [rec([['brook-tag', 'paid']]), rec([['x', null], ['brook-delay-ms', '5']])], baseTimestamp: 1000n, compression });
      const taken = intake('t', 0, scheduled, policy, 1000, ONE_PARTITION);
      expect(taken.kind, `codec ${compression}`).to.equal('take');
      if (taken.kind === 'take') expect(taken.schedules).to.have.length(2);
    }
  });

  it('intake of a topic that schedules everything decodes without looking', () => {
    const b = buildRecordBatch({ records: [rec([]), rec([['brook-tag', 'x']])], baseTimestamp: 1000n, compression: Compression.Lz4 });
    const taken = intake('t', 0, b, topicPolicy({ 'brook.delivery.delay.ms': '1000' }), 1000, ONE_PARTITION);
    expect(taken.kind).to.equal('take');
    if (taken.kind === 'take') expect(taken.schedules).to.have.length(2);
  });
});
