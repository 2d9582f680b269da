import { expect } from 'chai';
import * as path from 'node:path';
import { startTestBroker, type TestBroker } from '../helpers/broker';
import { PYTHON, runPython as run } from '../helpers/python';

const SCRIPT = path.join(__dirname, 'kafka_python_admin.py');


describe('admin: kafka-python KafkaAdminClient', function () {
  this.timeout(120_000);
  let broker: TestBroker;

  before(async function () {
    const probe = await run(['-c', 'import kafka.admin']).catch(() => ({ code: 1, out: '', err: 'python3 missing' }));
    if (probe.code !== 0) {
      console.log(`    skipped: kafka-python is not importable with ${PYTHON}: ${probe.err.trim()}`);
      this.skip();
    }
    broker = await startTestBroker();
  });
  after(async () => {
    await broker?.destroy();
  });

  it('creates, describes, alters, grows, describes the cluster and deletes', async () => {
    const res = await run([SCRIPT, broker.bootstrap]);
    expect(res.code, res.err.slice(-2000)).to.equal(0);
    const obs = JSON.parse(res.out.trim().split('\n').pop()!);
    expect(obs).to.deep.include({
      create: 'ok',
      create_again: 'TopicAlreadyExistsError',
      create_bad_config: 'InvalidConfigurationError',
      alter: [0],
      after_alter: { 'kp-topic': { 'retention.ms': '1000', 'segment.ms': '500000' } },
      partitions: 'ok',
      shrink: 'InvalidPartitionsError',
      delete: 'ok',
    });
    expect(obs.describe['kp-topic']).to.include({ 'retention.ms': '7200000', 'segment.bytes': '1073741824', 'cleanup.policy': 'delete' });
    expect(obs.cluster).to.deep.include({ cluster_id: broker.services.metadata.clusterId, controller_id: 1 });
    expect(obs.cluster.brokers).to.deep.equal([{ node_id: 1, host: '127.0.0.1', port: broker.port, rack: null }]);
    expect(obs.topics).to.not.include('kp-topic');
    expect(broker.services.metadata.topic('kp-topic')).to.equal(undefined);
  });
});
