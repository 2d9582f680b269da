import { expect } from 'chai';
import { CompressionTypes, Kafka, logLevel, type Admin, type Consumer, type Producer } from 'kafkajs';
import * as path from 'node:path';
import { eventually } from '../helpers/eventually';
import { startTestBroker, type TestBroker } from '../helpers/broker';
import { pythonJsonStep, runPython } from '../helpers/python';
import { viewScanStats } from '../../src/views/viewRead';
import { ensureLibrdkafka, LIBRDKAFKA_VERSION } from '../helpers/librdkafka';

const CONSUMER_PY = path.join(__dirname, 'confluent_view_consumer.py');

interface Seen {
  partition: number;
  offset: number;
  value: string;
}

interface PyResult {
  ok: boolean;
  error?: string;
  records: Seen[];
  committed: Array<{ partition: number; offset: number }>;
  librdkafka: string;
}

/** Runs the confluent-kafka consumer script with its JSON arguments on stdin. */
function confluentConsume(bootstrap: string, topic: string, group: string, count: number, isolation = 'read_committed', libDir?: string): Promise<PyResult> {
  const env = libDir ? { ...process.env, LD_LIBRARY_PATH: libDir } : process.env;
  return pythonJsonStep<PyResult>(CONSUMER_PY, { bootstrap, topic, group, count, isolation }, 'confluent consumer', env);
}

const TAGS = ['paid', 'new', 'refunded', 'shipped', 'new'];

/** What one send holds: every third send only has non-matching tags, so whole batches match nothing. */
function sendTags(send: number, size: number): string[] {
  return Array.from({ length: size }, (_, i) => (send % 3 === 1 ? 'new' : TAGS[(send * size + i) % TAGS.length]!));
}

describe('views: filtered topics served to unchanged Kafka clients', function () {
  this.timeout(120_000);
  let broker: TestBroker;
  let kafka: Kafka;
  let admin: Admin;
  let producer: Producer;
  const consumers: Consumer[] = [];
  /** The highest last offset of a batch a kafkajs consumer processed, by partition (reset per test). */
  const lastBatchOffset = new Map<number, number>();
  /** Every record produced to `orders`, by partition, in offset order. */
  const produced: Array<Array<{ offset: number; tag: string; value: string }>> = [[], []];

  async function produce(topic: string, partition: number, tags: string[], label: string, gzip = false): Promise<void> {
    const [meta] = await producer.send({
      topic,
      compression: gzip ? CompressionTypes.GZIP : CompressionTypes.None,
      messages: tags.map((tag, i) => ({ partition, key: `${label}-${i}`, value: JSON.stringify({ label: `${label}-${i}`, amount: i * 100 }), headers: { 'brook-tag': tag } })),
    });
    if (topic !== 'orders') return;
    const base = Number(meta!.baseOffset);
    tags.forEach((tag, i) => produced[partition]!.push({ offset: base + i, tag, value: JSON.stringify({ label: `${label}-${i}`, amount: i * 100 }) }));
  }

  function expected(filter: (r: { tag: string; value: string }) => boolean, from = 0): Seen[] {
    return produced.flatMap((recs, partition) => recs.filter((r) => r.offset >= from && filter(r)).map((r) => ({ partition, offset: r.offset, value: r.value })));
  }

  const paidOrRefunded = (r: { tag: string }) => r.tag === 'paid' || r.tag === 'refunded';

  async function kafkajsGroupRead(topic: string, groupId: string, count: number, readUncommitted = false): Promise<Seen[]> {
    const consumer = kafka.consumer({ groupId, readUncommitted, maxWaitTimeInMs: 200, heartbeatInterval: 500 });
    consumers.push(consumer);
    consumer.on(consumer.events.END_BATCH_PROCESS, (e) => lastBatchOffset.set(e.payload.partition, Math.max(lastBatchOffset.get(e.payload.partition) ?? -1, Number(e.payload.lastOffset))));
    const seen: Seen[] = [];
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ partition, message }) => {
        seen.push({ partition, offset: Number(message.offset), value: message.value!.toString() });
      },
    });
    await eventually(() => seen.length >= count, `${count} records from ${topic}`, 30_000);
    return seen;
  }

  function byPartition(s: Seen[]): Seen[] {
    return [...s].sort((a, b) => a.partition - b.partition || a.offset - b.offset);
  }

  before(async () => {
    broker = await startTestBroker();
    kafka = new Kafka({ brokers: [broker.bootstrap], clientId: 'views-test', logLevel: logLevel.NOTHING, retry: { initialRetryTime: 50, retries: 5 } });
    admin = kafka.admin();
    await admin.connect();
    producer = kafka.producer({ allowAutoTopicCreation: false });
    await producer.connect();
    await admin.createTopics({ topics: [{ topic: 'orders', numPartitions: 2 }] });
    for (let send = 0; send < 12; send++) await produce('orders', send % 2, sendTags(send, 25), `a${send}`, send % 4 === 0);
    // the tail of each partition matches nothing, so a view read ends in a range without matches
    await produce('orders', 0, ['new', 'shipped'], 'tail0');
    await produce('orders', 1, ['shipped'], 'tail1');
    await admin.createTopics({ topics: [{ topic: 'orders.paid', numPartitions: 1, configEntries: [{ name: 'brook.view.of', value: 'orders' }, { name: 'brook.view.filter', value: 'paid || refunded' }] }] });
  });

  after(async () => {
    for (const c of consumers) await c.disconnect().catch(() => undefined);
    await producer?.disconnect();
    await admin?.disconnect();
    await broker?.destroy();
  });

  it("a view has its source's partitions", async () => {
    const md = await admin.fetchTopicMetadata({ topics: ['orders.paid'] });
    expect(md.topics[0]!.partitions.map((p) => p.partitionId).sort()).to.deep.equal([0, 1]);
  });

  it('a view follows its source to more partitions and refuses CreatePartitions itself', async () => {
    await admin.createTopics({ topics: [{ topic: 'grow', numPartitions: 1 }] });
    await admin.createTopics({ topics: [{ topic: 'grow.v', configEntries: [{ name: 'brook.view.of', value: 'grow' }] }] });
    await admin.createPartitions({ topicPartitions: [{ topic: 'grow', count: 3 }] });
    const md = await admin.fetchTopicMetadata({ topics: ['grow.v'] });
    expect(md.topics[0]!.partitions.length).to.equal(3);
    const err = await admin.createPartitions({ topicPartitions: [{ topic: 'grow.v', count: 4 }] }).then(() => null, (e: Error) => e);
    expect(err).to.not.equal(null);
  });

  it('a kafkajs consumer group gets exactly the matching records in order under their source offsets, and its position moves past trailing non-matching records', async () => {
    const want = expected(paidOrRefunded);
    expect(want.length).to.be.greaterThan(50);
    const seen = await kafkajsGroupRead('orders.paid', 'g-kafkajs', want.length);
    for (const p of [0, 1]) {
      expect(seen.filter((s) => s.partition === p)).to.deep.equal(want.filter((s) => s.partition === p));
    }
    // kafkajs only advances past records it sees: the commit marker after the non-matching tail carries its
    // position to the source's end (the last batch it processed ends there)
    const ends = produced.map((recs) => recs[recs.length - 1]!.offset + 1);
    await eventually(() => ends.every((end, p) => lastBatchOffset.get(p) === end - 1), 'kafkajs to move past the non-matching tail');
    await consumers[0]!.stop();
    // the committed offsets cover every matching record (kafkajs commits the marker's offset only with its next commit)
    const [t] = await admin.fetchOffsets({ groupId: 'g-kafkajs', topics: ['orders.paid'] });
    for (const p of t!.partitions) expect(Number(p.offset)).to.be.greaterThan(want.filter((s) => s.partition === p.partition).pop()!.offset);
  });

  it("switching a consumer from the view to the source at the view's committed offset loses nothing", async () => {
    const [t] = await admin.fetchOffsets({ groupId: 'g-kafkajs', topics: ['orders.paid'] });
    const committed = new Map(t!.partitions.map((p) => [p.partition, Number(p.offset)]));
    const seenBefore = new Set(expected(paidOrRefunded).map((s) => `${s.partition}:${s.offset}`));
    await produce('orders', 0, ['paid', 'new', 'refunded'], 'b0');
    await produce('orders', 1, ['new', 'paid'], 'b1');
    // every matching record below the committed offset was served by the view
    for (const [p, recs] of produced.entries()) {
      for (const r of recs) if (r.offset < committed.get(p)! && paidOrRefunded(r)) expect(seenBefore.has(`${p}:${r.offset}`)).to.equal(true);
    }
    // a plain consumer of the source started at those offsets sees everything produced since
    const source = kafka.consumer({ groupId: 'g-source', maxWaitTimeInMs: 200 });
    consumers.push(source);
    const seen: Seen[] = [];
    await source.connect();
    await source.subscribe({ topic: 'orders' });
    await source.run({ eachMessage: async ({ partition, message }) => void seen.push({ partition, offset: Number(message.offset), value: message.value!.toString() }) });
    for (const [p, o] of committed) source.seek({ topic: 'orders', partition: p, offset: String(o) });
    const want = produced.flatMap((recs, partition) => recs.filter((r) => r.offset >= committed.get(partition)!).map((r) => ({ partition, offset: r.offset, value: r.value })));
    await eventually(() => seen.length >= want.length, 'the source records after the committed offsets');
    expect(byPartition(seen)).to.deep.equal(byPartition(want));
  });

  it('a confluent-kafka (librdkafka) consumer group gets exactly the matching records with source offsets', async () => {
    const want = expected(paidOrRefunded);
    const r = await confluentConsume(broker.bootstrap, 'orders.paid', 'g-confluent', want.length);
    expect(r.ok, r.error).to.equal(true);
    for (const p of [0, 1]) expect(r.records.filter((s) => s.partition === p)).to.deep.equal(want.filter((s) => s.partition === p));
    for (const c of r.committed) expect(c.offset).to.be.greaterThan(want.filter((s) => s.partition === c.partition).pop()!.offset);
  });

  it('the same with librdkafka 2.15.1 under confluent-kafka', async () => {
    const lib = await ensureLibrdkafka();
    const want = expected(paidOrRefunded);
    const r = await confluentConsume(broker.bootstrap, 'orders.paid', 'g-confluent-2151', want.length, 'read_committed', lib.libDir);
    expect(r.ok, r.error).to.equal(true);
    expect(r.librdkafka).to.equal(LIBRDKAFKA_VERSION);
    expect(byPartition(r.records)).to.deep.equal(byPartition(want));
  });

  it('produce to a view is refused with INVALID_TOPIC_EXCEPTION', async () => {
    const err = await producer.send({ topic: 'orders.paid', messages: [{ value: 'x' }] }).then(
      () => null,
      (e: Error & { type?: string }) => e,
    );
    expect(err).to.not.equal(null);
    expect(err!.type ?? err!.message).to.match(/INVALID_TOPIC_EXCEPTION|invalid topic/i);
    const [t] = await admin.fetchTopicOffsets('orders').then((o) => [o]);
    expect(t!.length).to.equal(2);
  });

  it('a source with views cannot be deleted alone; with its views in the same request both go', async () => {
    await admin.createTopics({ topics: [{ topic: 'del.src', numPartitions: 1 }] });
    await admin.createTopics({ topics: [{ topic: 'del.v', configEntries: [{ name: 'brook.view.of', value: 'del.src' }] }] });
    const err = await admin.deleteTopics({ topics: ['del.src'] }).then(
      () => null,
      (e: Error & { type?: string }) => e,
    );
    expect(err, 'deleting a source with a view is refused').to.not.equal(null);
    expect(`${err!.type ?? ''} ${err!.message}`).to.match(/POLICY_VIOLATION|policy/i);
    expect(await admin.listTopics()).to.include.members(['del.src', 'del.v']);
    // the source listed first: the view is still deleted before it
    await admin.deleteTopics({ topics: ['del.src', 'del.v'] });
    await eventually(async () => !(await admin.listTopics()).some((t) => t.startsWith('del.')), 'source and view deleted');
  });

  it('a filter that does not parse is refused at creation with its position (confluent-kafka AdminClient)', async () => {
    const script = [
      'import json, sys',
      'from confluent_kafka.admin import AdminClient, NewTopic',
      `a = AdminClient({'bootstrap.servers': '${broker.bootstrap}'})`,
      "f = a.create_topics([NewTopic('orders.bad', 1, 1, config={'brook.view.of': 'orders', 'brook.view.filter': \"value.amount > 10 AND status IN ('a' 'b')\"})])",
      'try:',
      "    f['orders.bad'].result(10); print(json.dumps({'error': None}))",
      'except Exception as e:',
      "    print(json.dumps({'error': str(e.args[0].str()), 'code': e.args[0].name()}))",
    ].join('\n');
    const r = await runPython(['-c', script]);
    const out = JSON.parse(r.out.trim()) as { error: string | null; code?: string };
    expect(out.code).to.equal('INVALID_CONFIG');
    expect(out.error, out.error ?? '').to.match(/brook\.view\.filter: expected '\)', found ''b'' at position 37/);
    const topics = await admin.listTopics();
    expect(topics).to.not.include('orders.bad');
  });

  it('kafkajs createTopics with a bad filter or a missing source fails with INVALID_CONFIG', async () => {
    for (const configEntries of [
      [
        { name: 'brook.view.of', value: 'orders' },
        { name: 'brook.view.filter', value: 'paid || ' },
      ],
      [{ name: 'brook.view.of', value: 'nope' }],
    ]) {
      const err = await admin.createTopics({ topics: [{ topic: 'orders.bad2', configEntries }] }).then(
        () => null,
        (e: Error & { errors?: Array<{ type?: string }> }) => e,
      );
      expect(err?.errors?.[0]?.type).to.equal('INVALID_CONFIG');
    }
  });

  it('AlterConfigs changing the filter applies to fetches afterwards (SQL over a JSON value field and a header)', async () => {
    await admin.createTopics({ topics: [{ topic: 'orders.big', configEntries: [{ name: 'brook.view.of', value: 'orders' }, { name: 'brook.view.filter', value: 'paid' }] }] });
    const paid = expected((r) => r.tag === 'paid');
    const before = await kafkajsGroupRead('orders.big', 'g-alter-1', paid.length);
    expect(byPartition(before)).to.deep.equal(byPartition(paid));
    // AlterConfigs replaces the whole set, so the source is given again
    await admin.alterConfigs({
      validateOnly: false,
      resources: [{ type: 2, name: 'orders.big', configEntries: [{ name: 'brook.view.of', value: 'orders' }, { name: 'brook.view.filter', value: "value.amount >= 2000 AND \"brook-tag\" <> 'new'" }] }],
    });
    const sql = expected((r) => (JSON.parse(r.value) as { amount: number }).amount >= 2000 && r.tag !== 'new');
    expect(sql.length).to.be.greaterThan(5);
    const after = await kafkajsGroupRead('orders.big', 'g-alter-2', sql.length);
    expect(byPartition(after)).to.deep.equal(byPartition(sql));
    const r = await confluentConsume(broker.bootstrap, 'orders.big', 'g-alter-3', sql.length);
    expect(byPartition(r.records)).to.deep.equal(byPartition(sql));
    // removing the source from a view is refused
    const err = await admin
      .alterConfigs({ validateOnly: false, resources: [{ type: 2, name: 'orders.big', configEntries: [{ name: 'brook.view.filter', value: 'paid' }] }] })
      .then(() => null, (e: Error) => e);
    expect(err).to.not.equal(null);
  });

  it('a selective tag view skips source batches without its tag (the tag index is kept by appends)', async () => {
    await admin.createTopics({ topics: [{ topic: 'sel', numPartitions: 1 }] });
    await admin.createTopics({ topics: [{ topic: 'sel.rare', configEntries: [{ name: 'brook.view.of', value: 'sel' }, { name: 'brook.view.filter', value: 'rare' }] }] });
    // 20 batches, 2 of them with one 'rare' record
    for (let b = 0; b < 20; b++) {
      await producer.send({ topic: 'sel', messages: Array.from({ length: 50 }, (_, i) => ({ partition: 0, value: `${b}-${i}`, headers: { 'brook-tag': (b === 5 || b === 14) && i === 7 ? 'rare' : 'common' } })) });
    }
    const first = { ...viewScanStats };
    const a = await kafkajsGroupRead('sel.rare', 'g-sel-1', 2);
    expect(a.map((s) => s.value)).to.deep.equal(['5-7', '14-7']);
    // the view existed before the records came: appends indexed them, so even the first reader walks only the two
    // batches holding 'rare' (each at most twice: the fetch after a match starts inside its batch) and skips the rest,
    // unread or read along with a neighbour but not decoded
    expect(viewScanStats.batchesWalked - first.batchesWalked).to.be.at.most(4);
    const unread = (viewScanStats.offsetsSkippedUnread - first.offsetsSkippedUnread) / 50;
    expect(unread + viewScanStats.batchesSkippedBySummary - first.batchesSkippedBySummary).to.be.at.least(18);
  });

  it('a view honours read_committed: aborted transactional records are not served (kafkajs and confluent-kafka)', async () => {
    await admin.createTopics({ topics: [{ topic: 'pay', numPartitions: 1 }] });
    await admin.createTopics({ topics: [{ topic: 'pay.paid', configEntries: [{ name: 'brook.view.of', value: 'pay' }, { name: 'brook.view.filter', value: 'paid' }] }] });
    const txp = kafka.producer({ transactionalId: 'views-tx', idempotent: true, maxInFlightRequests: 1 });
    await txp.connect();
    const msg = (v: string, tag: string) => ({ partition: 0, value: v, headers: { 'brook-tag': tag } });
    let tx = await txp.transaction();
    await tx.send({ topic: 'pay', messages: [msg('c1', 'paid'), msg('c2', 'new'), msg('c3', 'paid')] });
    await tx.commit();
    tx = await txp.transaction();
    await tx.send({ topic: 'pay', messages: [msg('x1', 'paid'), msg('x2', 'paid')] });
    await tx.abort();
    await txp.disconnect();
    await producer.send({ topic: 'pay', messages: [msg('p1', 'paid'), msg('p2', 'new')] });
    const committed = ['c1', 'c3', 'p1'];
    const viaKafkajs = await kafkajsGroupRead('pay.paid', 'g-rc-kafkajs', committed.length);
    expect(viaKafkajs.map((s) => s.value)).to.deep.equal(committed);
    const rc = await confluentConsume(broker.bootstrap, 'pay.paid', 'g-rc-confluent', committed.length);
    expect(rc.records.map((s) => s.value)).to.deep.equal(committed);
    const ru = await confluentConsume(broker.bootstrap, 'pay.paid', 'g-ru-confluent', 5, 'read_uncommitted');
    expect(ru.records.map((s) => s.value)).to.deep.equal(['c1', 'c3', 'x1', 'x2', 'p1']);
  });
});
