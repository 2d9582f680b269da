import { expect } from 'chai';
import { Kafka, logLevel } from 'kafkajs';
import { startTestBroker, type TestBroker } from '../helpers/broker';
import { runPython } from '../helpers/python';

/* eslint-disable @typescript-eslint/no-explicit-any */

describe('message search and trace of transactional records (confluent-kafka and kafkajs transactions)', function () {
  this.timeout(120_000);
  let broker: TestBroker;
  let base: string;
  /** What a read_committed confluent-kafka consumer read from 'tx'. */
  let committedSeen: number[];
  const get = async (p: string): Promise<{ status: number; body: any }> => {
    const r = await fetch(base + p);
    return { status: r.status, body: await r.json() };
  };

  before(async () => {
    broker = await startTestBroker({ metricsPort: 0, console: true, config: { 'transaction.state.log.num.partitions': '1', 'transaction.state.log.replication.factor': '1', 'offsets.topic.num.partitions': '1' } });
    base = `http://127.0.0.1:${broker.httpPort}`;
    // committed c0..c2 at 0..2, marker at 3; aborted at 4..6, marker at 7; committed c3 at 8, marker at 9
    const py = await runPython([
      '-c',
      `
import json
from confluent_kafka import Producer, Consumer, KafkaError
from confluent_kafka.admin import AdminClient, NewTopic
a = AdminClient({'bootstrap.servers': '${broker.bootstrap}'})
for f in a.create_topics([NewTopic('tx', 1, 1, config={'brook.trace.enable': 'true', 'brook.index.keys': 'true'}), NewTopic('tx-scan', 1, 1)]).values(): f.result()
p = Producer({'bootstrap.servers': '${broker.bootstrap}', 'transactional.id': 'tx-1', 'client.id': 'txn-client'})
p.init_transactions()
for t in ['tx', 'tx-scan']:
    p.begin_transaction()
    for i in range(3): p.produce(t, key=b'committed', value=b'c%d' % i)
    p.commit_transaction()
    p.begin_transaction()
    for i in range(3): p.produce(t, key=b'aborted', value=b'ABORTED-%d' % i)
    p.flush()
    p.abort_transaction()
    p.begin_transaction()
    p.produce(t, key=b'committed', value=b'c3')
    p.commit_transaction()
c = Consumer({'bootstrap.servers': '${broker.bootstrap}', 'group.id': 'rc', 'isolation.level': 'read_committed', 'auto.offset.reset': 'earliest', 'enable.auto.commit': False, 'enable.partition.eof': True})
c.subscribe(['tx'])
seen = []
while True:
    m = c.poll(10)
    if m is None: break
    if m.error():
        if m.error().code() == KafkaError._PARTITION_EOF: break
        continue
    seen.append(m.offset())
c.close()
print('ok', json.dumps(seen))
`,
    ]);
    const out = py.out.trim();
    expect(out.slice(0, 3), py.err).to.equal('ok ');
    committedSeen = JSON.parse(out.slice(3)) as number[];
  });

  after(async () => {
    await broker?.destroy();
  });

  it('answers 404 "no record at" for the offset of a transaction marker', async () => {
    expect(broker.services.logs.get('tx', 0)!.highWatermark).to.equal(10);
    for (const offset of [3, 7, 9]) {
      const res = await get(`/api/topics/tx/trace?partition=0&offset=${offset}`);
      expect(res.status, `offset ${offset}: ${JSON.stringify(res.body)}`).to.equal(404);
      expect(res.body.message).to.equal(`no record at tx-0@${offset}`);
    }
    expect((await get('/api/topics/tx/trace?partition=0&offset=8')).body.traces[0].key).to.equal('committed');
  });

  it('flags the records of the aborted transaction in search, on the key index and on a scan, as read_committed sees them', async () => {
    expect(committedSeen).to.deep.equal([0, 1, 2, 8]);
    for (const topic of ['tx', 'tx-scan']) {
      const all = (await get(`/api/topics/${topic}/search?offset=0&limit=50`)).body;
      expect(all.messages.map((m: any) => [m.offset, m.value, m.aborted ?? false]), topic).to.deep.equal([
        ['0', 'c0', false], ['1', 'c1', false], ['2', 'c2', false],
        ['4', 'ABORTED-0', true], ['5', 'ABORTED-1', true], ['6', 'ABORTED-2', true],
        ['8', 'c3', false],
      ]);
      // the records not flagged are exactly the ones the read_committed consumer got
      expect(all.messages.filter((m: any) => !m.aborted).map((m: any) => Number(m.offset))).to.deep.equal(committedSeen);
      const byKey = (await get(`/api/topics/${topic}/search?key=aborted`)).body;
      expect(byKey.messages.map((m: any) => [m.offset, m.aborted]), topic).to.deep.equal([['4', true], ['5', true], ['6', true]]);
      expect(Boolean(byKey.keyIndex), topic).to.equal(topic === 'tx');
    }
    const traced = (await get('/api/topics/tx/trace?partition=0&offset=5')).body.traces[0];
    const abort = traced.timeline.find((e: any) => e.kind === 'aborted');
    expect(abort.detail).to.match(/aborted by the marker at offset 7: read_committed consumers skip it/);
    expect(abort.at).to.be.a('number');
    expect((await get('/api/topics/tx/trace?partition=0&offset=8')).body.traces[0].timeline.map((e: any) => e.kind)).not.to.include('aborted');
  });

  it('reads no further than the last stable offset, and traces an open transaction\'s record as open (kafkajs)', async () => {
    const kafka = new Kafka({ clientId: 'kjs-txn', brokers: [broker.bootstrap], logLevel: logLevel.NOTHING });
    const producer = kafka.producer({ transactionalId: 'kjs-open', idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    try {
      const txn = await producer.transaction();
      await txn.send({ topic: 'tx', messages: [{ key: 'committed', value: 'pending' }] });
      expect(broker.services.logs.get('tx', 0)!.highWatermark).to.equal(11);
      const all = (await get('/api/topics/tx/search?offset=0&limit=50')).body;
      expect(all.messages.map((m: any) => m.offset)).to.deep.equal(['0', '1', '2', '4', '5', '6', '8']);
      expect((await get('/api/topics/tx/search?key=committed&limit=50')).body.messages.map((m: any) => m.offset)).to.deep.equal(['0', '1', '2', '8']);
      expect((await get('/api/topics/tx/search?text=pending')).body.messages).to.deep.equal([]);
      const open = (await get('/api/topics/tx/trace?partition=0&offset=10')).body.traces[0];
      expect(open.valuePreview).to.equal('pending');
      expect(open.timeline.find((e: any) => e.kind === 'open-transaction').detail).to.match(/still open \(last stable offset 10\)/);
      await txn.commit();
      const after = (await get('/api/topics/tx/search?key=committed&limit=50')).body.messages.map((m: any) => m.offset);
      expect(after).to.deep.equal(['0', '1', '2', '8', '10']);
    } finally {
      await producer.disconnect();
    }
  });
});
