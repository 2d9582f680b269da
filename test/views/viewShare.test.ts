import { expect } from 'chai';
import { CompressionTypes, Kafka, logLevel, type Admin, type KafkaMessage, type Producer } from 'kafkajs';
import { startTestBroker, type TestBroker } from '../helpers/broker';
import { eventually } from '../helpers/eventually';
import { ensureShareClient, runShareClient, type RunningShareClient } from '../share/helpers/shareClient';
import { setGroupConfigs } from '../share/helpers/admin';
import { shareServicesOf } from '../../src/share/services';
import { viewScanBudget } from '../../src/views/scanHints';
import { viewScanStats } from '../../src/views/scanStats';
import { ApiKey } from '../../protocol/generated/apis';
import type { ShareFetchResponse } from '../../protocol/generated/messages/ShareFetchResponse';
import type { ShareGroupHeartbeatResponse } from '../../protocol/generated/messages/ShareGroupHeartbeatResponse';
import { RawClient } from '../helpers/rawClient';

const ACCEPT = 1;
const REJECT = 3;

/**
 * Share groups consuming a filtered view, with librdkafka 2.15.1's share consumer (test/share/shareclient.c): only
 * the source's matching records are acquired and delivered, under their source offsets; the others are gaps.
 */
describe('views: share groups acquire only the matching source records', function () {
  this.timeout(120_000);
  let broker: TestBroker;
  let admin: Admin;
  let producer: Producer;
  const clients: RunningShareClient[] = [];
  /** Every record produced to each source topic, in offset order. */
  const produced = new Map<string, Array<{ offset: number; tag: string; value: string }>>();

  const start = async (group: string, topic: string, mode: 'consume' | 'hold', conf: Record<string, string> = {}) => {
    const c = await runShareClient(broker.bootstrap, group, topic, mode, conf);
    clients.push(c);
    return c;
  };

  async function produce(topic: string, records: Array<[tag: string, value: string]>, gzip = false): Promise<void> {
    const [meta] = await producer.send({
      topic,
      compression: gzip ? CompressionTypes.GZIP : CompressionTypes.None,
      messages: records.map(([tag, value]) => ({ partition: 0, value, headers: { 'brook-tag': tag } })),
    });
    const list = produced.get(topic) ?? [];
    records.forEach(([tag, value], i) => list.push({ offset: Number(meta!.baseOffset) + i, tag, value }));
    produced.set(topic, list);
  }

  async function sourceWithView(source: string, view: string, group: string, groupConfigs: Record<string, string> = {}): Promise<void> {
    await admin.createTopics({ topics: [{ topic: source, numPartitions: 1 }] });
    await admin.createTopics({ topics: [{ topic: view, configEntries: [{ name: 'brook.view.of', value: source }, { name: 'brook.view.filter', value: 'paid || refunded' }] }] });
    await setGroupConfigs(broker.port, group, { 'share.auto.offset.reset': 'earliest', ...groupConfigs });
  }

  const matching = (source: string) => (produced.get(source) ?? []).filter((r) => r.tag === 'paid' || r.tag === 'refunded');

  function sharePartitionStart(group: string, view: string): number | undefined {
    const topic = broker.services.metadata.topic(view)!;
    return shareServicesOf(broker.services)!.coordinator.sharePartition(group, topic.id, 0)?.snapshot?.startOffset;
  }

  before(async function () {
    this.timeout(20 * 60_000); // the first run builds librdkafka into the cache
    await ensureShareClient();
    broker = await startTestBroker();
    const kafka = new Kafka({ brokers: [broker.bootstrap], logLevel: logLevel.NOTHING });
    admin = kafka.admin();
    await admin.connect();
    producer = kafka.producer({ allowAutoTopicCreation: false });
    await producer.connect();
  });

  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.kill()));
  });

  after(async () => {
    await producer?.disconnect();
    await admin?.disconnect();
    await broker?.destroy();
  });

  it('a share consumer of a view gets exactly the matching records once, under source offsets; the gaps never block the start offset', async () => {
    await sourceWithView('orders', 'orders.paid', 'g-view');
    for (let send = 0; send < 8; send++) {
      // mixed batches, batches without a match (send % 3 === 1), some gzip (rewritten uncompressed when cut)
      const recs = Array.from({ length: 12 }, (_, i): [string, string] => {
        const tag = send % 3 === 1 ? 'new' : ['paid', 'new', 'refunded', 'shipped'][(send + i) % 4]!;
        return [tag, `${tag}-${send}-${i}`];
      });
      await produce('orders', recs, send % 2 === 0);
    }
    await produce('orders', [['new', 'tail-a'], ['shipped', 'tail-b']]);
    const want = matching('orders');
    expect(want.length).to.be.greaterThan(20);
    const c = await start('g-view', 'orders.paid', 'consume', { 'max.poll.records': '7' });
    await eventually(() => c.acks.length >= want.length, 'every matching record acknowledged');
    const got = [...c.messages].sort((a, b) => a.offset - b.offset);
    expect(got.map((m) => [m.offset, m.value])).to.deep.equal(want.map((r) => [r.offset, r.value]));
    expect(got.every((m) => m.deliveryCount === 1)).to.equal(true);
    expect(c.acks.every((a) => a.type === ACCEPT)).to.equal(true);
    // every offset up to the source's end is done: the non-matching tail did not hold the share-partition back
    const end = produced.get('orders')!.at(-1)!.offset + 1;
    await eventually(() => sharePartitionStart('g-view', 'orders.paid') === end, 'the share-partition start offset at the source end');
    // and a new match is delivered next
    await produce('orders', [['new', 'later-new'], ['refunded', 'later-refunded']]);
    const later = await eventually(() => c.messages.find((m) => m.value === 'later-refunded'), 'the new match');
    expect(later.offset).to.equal(produced.get('orders')!.at(-1)!.offset);
    expect(c.messages.some((m) => m.value.startsWith('new') || m.value.startsWith('shipped') || m.value === 'later-new')).to.equal(false);
  });

  it("a tag view's acquisitions skip source batches without its tags by the source's tag index, decoding only those with a match", async () => {
    await sourceWithView('tagged', 'tagged.paid', 'g-index');
    // 43 batches of 10 (gzip and not); 3 of them hold one match each, the others none of the view's tags
    const hits = [7, 22, 37];
    for (let send = 0; send < 43; send++) {
      const recs = Array.from({ length: 10 }, (_, i): [string, string] => {
        const tag = hits.includes(send) && i === 4 ? 'paid' : ['new', 'shipped', 'held'][i % 3]!;
        return [tag, `${tag}-${send}-${i}`];
      });
      await produce('tagged', recs, send % 2 === 0);
    }
    const want = matching('tagged');
    expect(want).to.have.length(3);
    const before = { ...viewScanStats };
    const c = await start('g-index', 'tagged.paid', 'consume', { 'max.poll.records': '2' });
    await eventually(() => c.acks.length >= want.length, 'every matching record acknowledged');
    await eventually(() => sharePartitionStart('g-index', 'tagged.paid') === 430, 'the share-partition start offset at the source end');
    expect([...c.messages].sort((a, b) => a.offset - b.offset).map((m) => [m.offset, m.value])).to.deep.equal(want.map((r) => [r.offset, r.value]));
    const walked = viewScanStats.batchesWalked - before.batchesWalked;
    const skipped = viewScanStats.batchesSkippedBySummary - before.batchesSkippedBySummary + (viewScanStats.offsetsSkippedUnread - before.offsetsSkippedUnread) / 10;
    // without the index every one of the 43 batches is decoded and filtered
    expect(walked, 'batches decoded').to.equal(hits.length);
    expect(skipped, 'batches skipped by the index').to.equal(43 - hits.length);
  });

  it('a tag view added to a source that already has data: the first acquisition builds the missing index, then skips by it', async () => {
    await admin.createTopics({ topics: [{ topic: 'late', numPartitions: 1 }] });
    for (let send = 0; send < 20; send++) await produce('late', Array.from({ length: 10 }, (_, i): [string, string] => [send === 12 && i === 3 ? 'refunded' : 'new', `late-${send}-${i}`]), send % 2 === 1);
    await admin.createTopics({ topics: [{ topic: 'late.paid', configEntries: [{ name: 'brook.view.of', value: 'late' }, { name: 'brook.view.filter', value: 'paid || refunded' }] }] });
    await setGroupConfigs(broker.port, 'g-late', { 'share.auto.offset.reset': 'earliest' });
    const before = { ...viewScanStats };
    const c = await start('g-late', 'late.paid', 'consume');
    await eventually(() => sharePartitionStart('g-late', 'late.paid') === 200, 'the share-partition start offset at the source end');
    expect(c.messages.map((m) => [m.offset, m.value])).to.deep.equal([[123, 'late-12-3']]);
    expect(viewScanStats.batchesWalked - before.batchesWalked, 'batches decoded').to.equal(1);
  });

  it('a released record comes back alone (delivery count 2) in a batch cut to the matching records, and is then accepted', async () => {
    await sourceWithView('jobs', 'jobs.paid', 'g-release', { 'brook.share.redelivery.backoff': '200ms' });
    await produce('jobs', [['new', 'n-0'], ['paid', 'release:p-1'], ['shipped', 's-2'], ['paid', 'p-3'], ['new', 'n-4']], true);
    const c = await start('g-release', 'jobs.paid', 'consume');
    const again = await eventually(() => c.messages.find((m) => m.value === 'release:p-1' && m.deliveryCount === 2), 'the released record again');
    expect(again.offset).to.equal(1);
    await eventually(() => c.acks.some((a) => a.offset === 1 && a.type === ACCEPT), 'its acceptance');
    expect(c.messages.map((m) => [m.offset, m.value, m.deliveryCount])).to.deep.equal([
      [1, 'release:p-1', 1],
      [3, 'p-3', 1],
      [1, 'release:p-1', 2],
    ]);
    await eventually(() => sharePartitionStart('g-release', 'jobs.paid') === 5, 'the start offset past the last gap');
  });

  it('REJECT and the delivery limit dead-letter only the matching records, named by the view', async () => {
    await sourceWithView('pay', 'pay.paid', 'g-dlq', { 'errors.deadletterqueue.topic.name': 'dlq.pay', 'group.share.delivery.count.limit': '2', 'brook.share.redelivery.backoff': '100ms' });
    await produce('pay', [['new', 'reject:not-served'], ['paid', 'reject:poison'], ['new', 'fail:not-served'], ['refunded', 'fail:flaky'], ['paid', 'fine']]);
    const c = await start('g-dlq', 'pay.paid', 'consume');
    await eventually(() => c.messages.filter((m) => m.value === 'fail:flaky').length === 2, 'the failing record delivered twice');
    await eventually(() => c.acks.some((x) => x.value === 'reject:poison' && x.type === REJECT), 'the rejection');
    expect(c.messages.some((m) => m.value.endsWith('not-served'))).to.equal(false);
    const dead: KafkaMessage[] = [];
    const consumer = new Kafka({ brokers: [broker.bootstrap], logLevel: logLevel.NOTHING }).consumer({ groupId: 'dlq-reader' });
    await consumer.connect();
    await consumer.subscribe({ topic: 'dlq.pay', fromBeginning: true });
    await consumer.run({ eachMessage: async ({ message }) => void dead.push(message) });
    try {
      await eventually(() => dead.length >= 2, 'two records on the dead-letter topic');
    } finally {
      await consumer.disconnect();
    }
    const h = (m: KafkaMessage, k: string) => m.headers?.[k]?.toString();
    expect(dead.map((m) => [m.value?.toString(), h(m, 'brook-dlq-offset'), h(m, 'brook-dlq-reason'), h(m, 'brook-dlq-topic'), h(m, 'brook-tag')])).to.deep.equal([
      ['reject:poison', '1', 'rejected', 'pay.paid', 'paid'],
      ['fail:flaky', '3', 'delivery-limit', 'pay.paid', 'refunded'],
    ]);
  });

  it('AlterConfigs of the filter applies to the records acquired afterwards', async () => {
    await sourceWithView('swap', 'swap.v', 'g-swap');
    // AlterConfigs replaces the whole set: brook.view.of stays as it was
    const setFilter = (filter: string) =>
      admin.alterConfigs({ validateOnly: false, resources: [{ type: 2, name: 'swap.v', configEntries: [{ name: 'brook.view.of', value: 'swap' }, { name: 'brook.view.filter', value: filter }] }] });
    await setFilter('paid');
    await produce('swap', [['paid', 'paid-a'], ['new', 'new-b']]);
    const c = await start('g-swap', 'swap.v', 'consume');
    await eventually(() => c.acks.length === 1, 'paid-a accepted');
    await eventually(() => sharePartitionStart('g-swap', 'swap.v') === 2, 'new-b passed as a gap');
    await setFilter('new');
    await produce('swap', [['paid', 'paid-c'], ['new', 'new-d']]);
    await eventually(() => c.acks.length === 2, 'new-d accepted');
    expect(c.messages.map((m) => [m.offset, m.value])).to.deep.equal([
      [0, 'paid-a'],
      [3, 'new-d'],
    ]);
  });

  it('share.isolation.level=read_committed: matching records of aborted transactions are never acquired', async () => {
    await sourceWithView('txsrc', 'txsrc.paid', 'g-txn', { 'share.isolation.level': 'read_committed' });
    const tx = new Kafka({ brokers: [broker.bootstrap], logLevel: logLevel.NOTHING }).producer({ transactionalId: 'view-share-tx', idempotent: true, maxInFlightRequests: 1 });
    await tx.connect();
    try {
      const inTxn = async (records: Array<[string, string]>, commit: boolean) => {
        const t = await tx.transaction();
        await t.send({ topic: 'txsrc', messages: records.map(([tag, value]) => ({ value, headers: { 'brook-tag': tag } })) });
        await (commit ? t.commit() : t.abort());
      };
      await inTxn([['paid', 'c1'], ['new', 'n1']], true);
      await inTxn([['paid', 'a1'], ['refunded', 'a2']], false);
      await inTxn([['new', 'n2'], ['refunded', 'c2']], true);
    } finally {
      await tx.disconnect();
    }
    const c = await start('g-txn', 'txsrc.paid', 'consume');
    await eventually(() => c.acks.length >= 2, 'the committed matching records accepted');
    expect(c.messages.map((m) => m.value)).to.deep.equal(['c1', 'c2']);
    // markers, aborted and non-matching records are all gaps: the start offset reaches the source's end (9)
    await eventually(() => sharePartitionStart('g-txn', 'txsrc.paid') === 9, 'the start offset past the last marker');
  });

  it('one ShareFetch over a run without matches longer than the scan budget acquires on within the request', async () => {
    await sourceWithView('sgap', 'sgap.paid', 'g-gap');
    const filler = 'x'.repeat(10_000);
    // about 3 MB without a match, then one
    for (let i = 0; i < 30; i++) await producer.send({ topic: 'sgap', messages: Array.from({ length: 10 }, () => ({ value: filler, headers: { 'brook-tag': 'new' } })) });
    const [meta] = await producer.send({ topic: 'sgap', messages: [{ value: 'the-match', headers: { 'brook-tag': 'paid' } }] });
    const saved = viewScanBudget.bytes;
    viewScanBudget.bytes = 1; // one 1 MB read of the source per acquisition
    const raw = await RawClient.connect(broker.port);
    try {
      const hb = await raw.request<ShareGroupHeartbeatResponse>(ApiKey.ShareGroupHeartbeat, 1, { groupId: 'g-gap', memberId: 'probe', memberEpoch: 0, rackId: null, subscribedTopicNames: ['sgap.paid'] });
      expect(hb.errorCode).to.equal(0);
      const topicId = broker.services.metadata.topic('sgap.paid')!.id;
      // before, this answered empty at max_wait_ms, having walked only two of those reads
      const res = await raw.request<ShareFetchResponse>(
        ApiKey.ShareFetch,
        1,
        {
          groupId: 'g-gap', memberId: 'probe', shareSessionEpoch: 0, maxWaitMs: 20_000, minBytes: 1, maxBytes: 1 << 20, maxRecords: 500, batchSize: 500,
          topics: [{ topicId, partitions: [{ partitionIndex: 0, acknowledgementBatches: [] }] }], forgottenTopicsData: [],
        },
      );
      expect(res.errorCode).to.equal(0);
      const acquired = res.responses.flatMap((t) => t.partitions.flatMap((p) => p.acquiredRecords));
      expect(acquired.map((a) => [Number(a.firstOffset), Number(a.lastOffset), a.deliveryCount])).to.deep.equal([[Number(meta!.baseOffset), Number(meta!.baseOffset), 1]]);
    } finally {
      viewScanBudget.bytes = saved;
      raw.close();
    }
  });
});
