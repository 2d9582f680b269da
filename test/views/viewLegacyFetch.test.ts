import { expect } from 'chai';
import * as path from 'node:path';
import { CompressionTypes, Kafka, logLevel, type Admin, type Producer } from 'kafkajs';
import { ApiKey } from '../../protocol/generated/apis';
import type { BrokerObserver, RequestContext } from '../../src/handlers/types';
import { startTestBroker, type TestBroker } from '../helpers/broker';
import { pythonJsonStep } from '../helpers/python';
import { RawClient } from '../helpers/rawClient';
import { fetchRaw, fetchRequest } from '../helpers/dataPath';
import { decodeLegacyMessageSet } from '../../protocol/records';
import type { FetchResponse } from '../../protocol/generated/messages/FetchResponse';
import { readPartitions, type FetchTarget } from '../../src/fetch/readPartitions';
import { viewScanStats } from '../../src/views/viewRead';
import { viewScanBudget } from '../../src/views/scanHints';

const SCRIPT = path.join(__dirname, 'legacy_view_consumer.py');

interface Seen {
  partition: number;
  offset: number;
  value: string;
}

interface LegacyResult {
  ok: boolean;
  error?: string;
  records: Seen[];
  positions: Record<string, number>;
}

function legacyConsume(args: Record<string, unknown>): Promise<LegacyResult> {
  return pythonJsonStep<LegacyResult>(SCRIPT, args, 'legacy consumer');
}

const TAGS = ['paid', 'new', 'refunded', 'shipped'];

describe('views: old Fetch versions (v0-v3, message format v0/v1) read the filtered source', function () {
  this.timeout(120_000);
  let broker: TestBroker;
  let admin: Admin;
  let producer: Producer;
  /** Fetch versions the broker answered for the view, by client. */
  const fetchVersions = new Set<number>();
  const produced: Array<Array<{ offset: number; tag: string; value: string }>> = [[], []];

  async function produce(partition: number, tags: string[], label: string, gzip: boolean): Promise<void> {
    const values = tags.map((_, i) => `${label}-${i}`);
    const [meta] = await producer.send({
      topic: 'old',
      compression: gzip ? CompressionTypes.GZIP : CompressionTypes.None,
      messages: tags.map((tag, i) => ({ partition, key: `k-${label}-${i}`, value: values[i]!, headers: { 'brook-tag': tag } })),
    });
    tags.forEach((tag, i) => produced[partition]!.push({ offset: Number(meta!.baseOffset) + i, tag, value: values[i]! }));
  }

  const want = (): Seen[] =>
    produced.flatMap((recs, partition) => recs.filter((r) => r.tag === 'paid' || r.tag === 'refunded').map((r) => ({ partition, offset: r.offset, value: r.value })));
  /** Where a legacy client's position ends: after the last matching record (it has no commit marker to move past the rest). */
  const ends = (): Record<string, number> => Object.fromEntries(want().map((s) => [String(s.partition), s.offset + 1]));
  const sorted = (s: Seen[]) => [...s].sort((a, b) => a.partition - b.partition || a.offset - b.offset);

  before(async () => {
    broker = await startTestBroker();
    const observer: BrokerObserver = {
      requestDone(ctx: RequestContext, req: unknown) {
        if (ctx.apiKey !== ApiKey.Fetch) return;
        const topics = (req as { topics?: Array<{ topic?: string }> }).topics ?? [];
        if (topics.some((t) => t.topic === 'old.paid')) fetchVersions.add(ctx.apiVersion);
      },
      connectionOpened() {},
      connectionClosed() {},
    };
    broker.services.observer = observer;
    const kafka = new Kafka({ brokers: [broker.bootstrap], clientId: 'legacy-views', logLevel: logLevel.NOTHING });
    admin = kafka.admin();
    await admin.connect();
    producer = kafka.producer({ allowAutoTopicCreation: false });
    await producer.connect();
    await admin.createTopics({ topics: [{ topic: 'old', numPartitions: 2 }] });
    for (let send = 0; send < 10; send++) {
      // every third send matches nothing; gzip batches are converted as compressed wrapper messages
      const tags = Array.from({ length: 20 }, (_, i) => (send % 3 === 1 ? 'new' : TAGS[(send + i) % TAGS.length]!));
      await produce(send % 2, tags, `s${send}`, send % 4 === 0);
    }
    // each partition ends in records that match nothing: a legacy client has no control batch to move past them
    await produce(0, ['new', 'shipped', 'new'], 'tail0', false);
    await produce(1, ['shipped'], 'tail1', true);
    await admin.createTopics({ topics: [{ topic: 'old.paid', numPartitions: 1, configEntries: [{ name: 'brook.view.of', value: 'old' }, { name: 'brook.view.filter', value: 'paid || refunded' }] }] });
  });

  after(async () => {
    await producer?.disconnect();
    await admin?.disconnect();
    await broker?.destroy();
  });

  beforeEach(() => fetchVersions.clear());

  for (const [label, apiVersion, fetchVersion] of [
    ['(0,9): Fetch v1, message format v0', [0, 9], 1],
    ['(0,10): Fetch v2, message format v1', [0, 10], 2],
    ['(0,10,1): Fetch v3, message format v1', [0, 10, 1], 3],
  ] as const) {
    it(`kafka-python api_version=${label} gets exactly the matching records under source offsets`, async () => {
      const r = await legacyConsume({ client: 'kafka-python', bootstrap: broker.bootstrap, topic: 'old.paid', partitions: 2, count: want().length, ends: ends(), api_version: apiVersion });
      expect(r.ok, r.error).to.equal(true);
      expect(sorted(r.records)).to.deep.equal(sorted(want()));
      expect(r.positions).to.deep.equal(ends());
      expect([...fetchVersions]).to.deep.equal([fetchVersion]);
    });
  }


  it('a second legacy read from inside a range known to hold no match does not walk it again', async () => {
    const view = broker.services.metadata.topic('old.paid')!;
    const from = ends()['0']!;
    const target: FetchTarget = { topicName: 'old.paid', topicId: view.id, partition: 0, topic: view, errorCode: 0, fetchOffset: from, maxBytes: 1 << 20, currentLeaderEpoch: -1 };
    const first = await readPartitions(broker.services, [target], 1 << 20, false, true);
    expect(first[0]!.errorCode).to.equal(0);
    expect(first[0]!.bytes, 'nothing a legacy client can see: no commit marker either').to.equal(0);
    const walked = viewScanStats.batchesWalked;
    const again = await readPartitions(broker.services, [target], 1 << 20, false, true);
    expect(again[0]!.bytes).to.equal(0);
    expect(viewScanStats.batchesWalked - walked).to.equal(0);
    // a v4+ read still gets the commit marker that moves its client to the end
    const modern = await readPartitions(broker.services, [target], 1 << 20, false, false);
    expect(modern[0]!.bytes).to.be.greaterThan(0);
  });

  it('a Fetch v2 parked after the last match waits for an append instead of answering empty at once, then gets the new match', async () => {
    const c = await RawClient.connect(broker.port);
    try {
      const from = ends()['0']!;
      // nothing new: the answer comes at max_wait_ms, not at once (before, the commit marker this read made counted
      // toward min_bytes and was then dropped by the down-conversion, so such clients polled in a busy loop)
      const started = Date.now();
      const idle = await fetchRaw(c, fetchRequest([{ topic: 'old.paid', partition: 0, offset: from }], { maxWaitMs: 500, minBytes: 1 }), 2);
      expect(Date.now() - started).to.be.at.least(450);
      expect((idle.responses[0]!.partitions[0]!.records as Buffer).length).to.equal(0);
      const parked = fetchRaw(c, fetchRequest([{ topic: 'old.paid', partition: 0, offset: from }], { maxWaitMs: 20_000, minBytes: 1 }), 2);
      await produce(0, ['new', 'paid'], 'late', false);
      const res: FetchResponse = await parked;
      const p = res.responses[0]!.partitions[0]!;
      expect(p.errorCode).to.equal(0);
      const got = decodeLegacyMessageSet(p.records as Buffer);
      expect(got.map((m) => [Number(m.offset), m.value?.toString()])).to.deep.equal([[produced[0]!.at(-1)!.offset, 'late-1']]);
    } finally {
      c.close();
    }
  });

  it('a Fetch v2 over a run without matches longer than the scan budget reads on within the request and answers the next match', async () => {
    await admin.createTopics({ topics: [{ topic: 'gap', numPartitions: 1 }] });
    await admin.createTopics({ topics: [{ topic: 'gap.paid', configEntries: [{ name: 'brook.view.of', value: 'gap' }, { name: 'brook.view.filter', value: 'paid' }] }] });
    const filler = 'x'.repeat(10_000);
    // about 3 MB without a match: three or more reads of 1 MB each
    for (let i = 0; i < 30; i++) await producer.send({ topic: 'gap', messages: Array.from({ length: 10 }, () => ({ value: filler, headers: { 'brook-tag': 'new' } })) });
    const [meta] = await producer.send({ topic: 'gap', messages: [{ value: 'the-match', headers: { 'brook-tag': 'paid' } }] });
    const saved = viewScanBudget.bytes;
    viewScanBudget.bytes = 1; // one read of the source per scan
    const c = await RawClient.connect(broker.port);
    try {
      // one request: before, it answered empty after max_wait_ms having read only two of those slices
      const res = await fetchRaw(c, fetchRequest([{ topic: 'gap.paid', partition: 0, offset: 0 }], { maxWaitMs: 20_000, minBytes: 1 }), 2);
      const got = decodeLegacyMessageSet(res.responses[0]!.partitions[0]!.records as Buffer);
      expect(got.map((m) => [Number(m.offset), m.value?.toString()])).to.deep.equal([[Number(meta!.baseOffset), 'the-match']]);
    } finally {
      viewScanBudget.bytes = saved;
      c.close();
    }
  });
});
