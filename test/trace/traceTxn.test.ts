import { expect } from 'chai';
import { Kafka, logLevel } from 'kafkajs';
import { startTestBroker, type TestBroker } from '../helpers/broker';
import { runPython } from '../helpers/python';

/* eslint-disable @typescript-eslint/no-explicit-any */

describe('message search and trace of transactional records (confluent-kafka and kafkajs transactions)', function () {
  this.timeout(120_000);
  let broker: TestBroker;
  let base: string;
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
from confluent_kafka import Producer
from confluent_kafka.admin import AdminClient, NewTopic
a = AdminClient({'bootstrap.servers': '${broker.bootstrap}'})
for f in a.create_topics([NewTopic('tx', 1, 1, config={'brook.trace.enable': 'true'})]).values(): f.result()
p = Producer({'bootstrap.servers': '${broker.bootstrap}', 'transactional.id': 'tx-1', 'client.id': 'txn-client'})
p.init_transactions()
p.begin_transaction()
for i in range(3): p.produce('tx', key=b'committed', value=b'c%d' % i)
p.commit_transaction()
p.begin_transaction()
for i in range(3): p.produce('tx', key=b'aborted', value=b'ABORTED-%d' % i)
p.flush()
p.abort_transaction()
p.begin_transaction()
p.produce('tx', key=b'committed', value=b'c3')
p.commit_transaction()
print('ok')
`,
    ]);
    expect(py.out.trim(), py.err).to.equal('ok');
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
});
