import { expect } from 'chai';
import { Kafka, logLevel, type Admin } from 'kafkajs';
import { startTestBroker, type TestBroker } from '../helpers/broker';
import { eventually } from '../helpers/eventually';
import { runPython } from '../helpers/python';
import { brook } from '../ops/cliHarness';
import { traceServicesOf } from '../../src/trace/services';

/* eslint-disable @typescript-eslint/no-explicit-any */

const RECORDS = 1_000_000;

describe('finding messages (brook.index.keys) and tracing them (brook.trace.enable) with real clients', function () {
  this.timeout(600_000);
  let broker: TestBroker;
  let admin: Admin;
  let kafka: Kafka;
  let base: string;
  let http: string[];
  const get = async (p: string): Promise<any> => {
    const r = await fetch(base + p);
    const body = await r.json();
    if (!r.ok) throw new Error(`${r.status} ${JSON.stringify(body)}`);
    return body;
  };

  before(async () => {
    broker = await startTestBroker({ metricsPort: 0, console: true, config: { 'group.initial.rebalance.delay.ms': '0', 'offsets.topic.num.partitions': '1' } });
    base = `http://127.0.0.1:${broker.httpPort}`;
    http = ['--http', base];
    kafka = new Kafka({ clientId: 'kjs-orders', brokers: [broker.bootstrap], logLevel: logLevel.NOTHING });
    admin = kafka.admin();
    await admin.connect();
  });

  after(async () => {
    await admin?.disconnect();
    await broker?.destroy();
  });

  it('answers a key lookup on a 1,000,000-record topic from the index, reading only the batch that holds it', async () => {
    await admin.createTopics({ topics: [{ topic: 'big', numPartitions: 1, configEntries: [{ name: 'brook.index.keys', value: 'true' }, { name: 'segment.bytes', value: String(8 * 1024 * 1024) }] }] });
    // confluent-kafka (librdkafka) writes the million records in seconds; kafkajs takes minutes on a busy machine
    const py = await runPython([
      '-c',
      `
from confluent_kafka import Producer
p = Producer({'bootstrap.servers': '${broker.bootstrap}', 'linger.ms': 20, 'batch.size': 1000000, 'queue.buffering.max.messages': 2000000, 'acks': 1})
for i in range(${RECORDS}):
    while True:
        try:
            p.produce('big', key=b'k-%d' % i, value=b'value-%d' % i, partition=0)
            break
        except BufferError:
            p.poll(0.05)
assert p.flush(120) == 0
print('ok')
`,
    ]);
    expect(py.out.trim(), py.err).to.equal('ok');
    const log = broker.services.logs.get('big', 0)!;
    expect(log.highWatermark).to.equal(RECORDS);
    expect(log.segmentBaseOffsets().length).to.be.greaterThan(2);
    const before = { ...log.keyIndexStats };
    const res = await get('/api/topics/big/search?key=k-123456');
    expect(res.messages.map((m: any) => [m.partition, m.offset, m.key, m.value])).to.deep.equal([[0, '123456', 'k-123456', 'value-123456']]);
    expect(res.keyIndex).to.deep.equal({ partitionsProbed: 1, batchesRead: 1 });
    // every segment's index was probed once; one batch of the thousands in the log was read to verify the match
    expect(log.keyIndexStats.segmentsProbed - before.segmentsProbed).to.equal(log.segmentBaseOffsets().length);
    expect(log.keyIndexStats.batchesRead - before.batchesRead).to.equal(1);
    expect(log.keyIndexStats.rebuilds).to.equal(0);
    const none = await get('/api/topics/big/search?key=k-1000000');
    expect(none.messages).to.deep.equal([]);
    expect(none.keyIndex.batchesRead).to.equal(0);

    const cli = await brook(['messages', 'find', ...http, '--topic', 'big', '--key', 'k-999999']);
    expect(cli.code, cli.stderr).to.equal(0);
    expect(cli.stdout).to.match(/^PARTITION\s+OFFSET\s+TIME\s+KEY\s+HEADERS\s+VALUE\n0\s+999999\s+\S+Z\s+k-999999\s+-\s+value-999999\n$/);
    expect(cli.stderr).to.include('key index: 1 partition(s) probed, 1 batch(es) read');
  });

  it('finds by offset and by time range from the CLI', async () => {
    const t0 = Date.parse('2026-01-01T00:00:00Z');
    await admin.createTopics({ topics: [{ topic: 'timed', numPartitions: 1 }] });
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({ topic: 'timed', messages: Array.from({ length: 10 }, (_, i) => ({ key: `t${i}`, value: `at minute ${i}`, timestamp: String(t0 + i * 60_000), headers: { n: String(i) } })) });
    await producer.disconnect();
    const byOffset = await brook(['messages', 'find', ...http, '--topic', 'timed', '--partition', '0', '--offset', '4', '--limit', '1']);
    expect(byOffset.code, byOffset.stderr).to.equal(0);
    expect(byOffset.stdout.trim().split('\n').slice(1)).to.deep.equal(['0          4       2026-01-01T00:04:00.000Z  t4   n=4      at minute 4']);
    const byTime = await brook(['messages', 'find', ...http, '--topic', 'timed', '--from', '2026-01-01T00:03:00Z', '--to', String(t0 + 5 * 60_000), '--json']);
    expect(byTime.code, byTime.stderr).to.equal(0);
    expect(JSON.parse(byTime.stdout).messages.map((m: any) => m.key)).to.deep.equal(['t3', 't4', 't5']);
  });

  it('traces records to their kafkajs and confluent-kafka producers and to the groups that committed past them', async () => {
    await admin.createTopics({ topics: [{ topic: 'orders', numPartitions: 1, configEntries: [{ name: 'brook.trace.enable', value: 'true' }, { name: 'brook.index.keys', value: 'true' }] }] });
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({ topic: 'orders', messages: [{ key: 'order-1', value: 'from kafkajs' }] });
    await producer.disconnect();
    const py = await runPython([
      '-c',
      `
from confluent_kafka import Producer, Consumer
p = Producer({'bootstrap.servers': '${broker.bootstrap}', 'client.id': 'ck-orders', 'enable.idempotence': True})
p.produce('orders', key=b'order-2', value=b'from confluent-kafka')
p.produce('orders', key=b'order-3', value=b'also from confluent-kafka')
assert p.flush(30) == 0
c = Consumer({'bootstrap.servers': '${broker.bootstrap}', 'group.id': 'ck-readers', 'auto.offset.reset': 'earliest', 'enable.auto.commit': False})
c.subscribe(['orders'])
got = 0
while got < 2:
    m = c.poll(10)
    if m is None or m.error(): continue
    got += 1
    if got == 2: c.commit(message=m, asynchronous=False)
c.close()
print('ok')
`,
    ]);
    expect(py.out.trim(), py.err).to.equal('ok');
    // a kafkajs group reads everything; another group commits only past the first record
    const consumer = kafka.consumer({ groupId: 'kjs-readers', maxWaitTimeInMs: 100 });
    await consumer.connect();
    await consumer.subscribe({ topic: 'orders', fromBeginning: true });
    let seen = 0;
    await consumer.run({ autoCommitInterval: 1, eachMessage: async () => void seen++ });
    await eventually(() => seen >= 3, 'the kafkajs group reads 3 records');
    await consumer.stop();
    await consumer.disconnect();
    await admin.setOffsets({ groupId: 'behind', topic: 'orders', partitions: [{ partition: 0, offset: '1' }] });

    const trace = async (offset: number): Promise<any> => (await get(`/api/topics/orders/trace?partition=0&offset=${offset}`)).traces[0];
    const first = await trace(0);
    expect(first.producer).to.include({ clientId: 'kjs-orders', principal: 'User:ANONYMOUS', producerId: -1, transactionalId: null });
    const second = await trace(2);
    expect(second.producer.clientId).to.equal('ck-orders');
    expect(second.producer.producerId).to.be.greaterThanOrEqual(0);
    const groups = Object.fromEntries(second.groups.map((g: any) => [g.group, g]));
    expect(groups['kjs-readers']).to.include({ committedOffset: 3, consumedPast: true });
    expect(groups['ck-readers']).to.include({ committedOffset: 2, consumedPast: false });
    expect(groups['behind']).to.include({ committedOffset: 1, consumedPast: false });
    expect(groups['kjs-readers'].commitTimestamp).to.be.a('number');
    const kinds = second.timeline.map((e: any) => e.kind);
    expect(kinds).to.include.members(['created', 'appended', 'committed-past']);
    expect((await trace(1)).groups.find((g: any) => g.group === 'ck-readers').consumedPast).to.equal(true);

    const cli = await brook(['messages', 'trace', ...http, '--topic', 'orders', '--key', 'order-2']);
    expect(cli.code, cli.stderr).to.equal(0);
    expect(cli.stdout).to.include('orders-0@1 key=order-2');
    expect(cli.stdout).to.match(/appended\s+appended by client id "ck-orders", principal User:ANONYMOUS, producer id \d+ epoch 0/);
    expect(cli.stdout).to.match(/committed-past\s+group kjs-readers committed offset 3/);
    expect(cli.stdout).to.include('not-consumed    group behind committed offset 1 (not past this record)');
    // the ranges reached __brook_trace
    await traceServicesOf(broker.services)!.flushed();
    expect(broker.services.logs.get('__brook_trace', 0)!.highWatermark).to.be.greaterThan(0);
  });

  it('finds and traces through a filtered view: its source\'s matching records, under their source offsets', async () => {
    await admin.createTopics({ topics: [{ topic: 'tagged', numPartitions: 1, configEntries: [{ name: 'brook.index.keys', value: 'true' }, { name: 'brook.trace.enable', value: 'true' }] }] });
    await admin.createTopics({ topics: [{ topic: 'paid-only', numPartitions: 1, configEntries: [{ name: 'brook.view.of', value: 'tagged' }, { name: 'brook.view.filter', value: 'paid' }] }] });
    const producer = kafka.producer();
    await producer.connect();
    // one record per batch, then one compressed batch of mixed tags
    for (let i = 0; i < 4; i++) await producer.send({ topic: 'tagged', messages: [{ key: `o${i}`, value: `order ${i}`, headers: { 'brook-tag': i % 2 === 0 ? 'paid' : 'new' } }] });
    await producer.send({ topic: 'tagged', compression: 1, messages: [4, 5, 6].map((i) => ({ key: `o${i}`, value: `order ${i}`, headers: { 'brook-tag': i === 5 ? 'paid' : 'new' } })) });
    await producer.disconnect();
    const found = await brook(['messages', 'find', ...http, '--topic', 'paid-only', '--offset', '0', '--json']);
    expect(found.code, found.stderr).to.equal(0);
    expect(JSON.parse(found.stdout).messages.map((m: any) => [m.offset, m.key])).to.deep.equal([['0', 'o0'], ['2', 'o2'], ['5', 'o5']]);
    // a key search on the view keeps the filter (the source's key index would find o1 too)
    expect((await get('/api/topics/paid-only/search?key=o1')).messages).to.deep.equal([]);
    expect((await get('/api/topics/paid-only/search?key=o2')).messages.map((m: any) => m.offset)).to.deep.equal(['2']);
    // the trace of a view's record is its source record's
    const traced = await get('/api/topics/paid-only/trace?partition=0&offset=5');
    expect(traced.traces).to.have.length(1);
    expect(traced.traces[0].topic).to.equal('tagged');
    const missing = await fetch(`${base}/api/topics/paid-only/trace?partition=0&offset=1`);
    expect(missing.status).to.equal(404);
    expect(((await missing.json()) as { message: string }).message).to.match(/does not match its filter/);
  });

  it('says a topic without brook.trace.enable has no producer recorded', async () => {
    const cli = await brook(['messages', 'trace', ...http, '--topic', 'timed', '--partition', '0', '--offset', '0']);
    expect(cli.code, cli.stderr).to.equal(0);
    expect(cli.stdout).to.include('(brook.trace.enable is off: producer not recorded)');
    expect(cli.stdout).not.to.include(' appended ');
  });
});
