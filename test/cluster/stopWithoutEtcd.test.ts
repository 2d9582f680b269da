import { expect } from 'chai';
import { rmSync } from 'node:fs';
import { Kafka, logLevel } from 'kafkajs';
import { startEtcd, type TestEtcd } from '../helpers/etcd';
import { tempDataDir } from '../helpers/tempDir';
import { startChildBroker, type ChildBroker } from '../txn/helpers/childBroker';

/**
 * An etcd that stops answering with its connections open (a network partition, a stopped process) left a broker
 * told to stop waiting forever on its lease revoke and watch cancels. It must stop anyway, with its logs saved.
 */
describe('cluster: a broker told to stop while etcd does not answer', function () {
  this.timeout(120_000);
  let etcd: TestEtcd | null = null;
  let broker: ChildBroker | null = null;
  const dataDir = tempDataDir();

  after(async () => {
    await broker?.kill9();
    await etcd?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('SIGTERM with etcd stopped: exits within 20 s, says why it could not leave cleanly, and restarts clean with what it acknowledged', async () => {
    etcd = await startEtcd();
    // a one-broker cluster: its internal topics get one replica (with the default 3 they would wait for three brokers)
    const props = { 'metadata.backend': 'etcd', 'etcd.endpoints': etcd.endpoint, 'etcd.prefix': '/stop-without-etcd', 'node.id': '1', 'offsets.topic.num.partitions': '1', 'offsets.topic.replication.factor': '1' };
    broker = await startChildBroker(dataDir, props);
    const kafka = new Kafka({ brokers: [`127.0.0.1:${broker.port}`], logLevel: logLevel.NOTHING });
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 'kept', numPartitions: 1, replicationFactor: 1 }], waitForLeaders: true });
    await admin.disconnect();
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({ topic: 'kept', acks: -1, messages: [{ key: 'k', value: 'acknowledged before the stop' }] });
    await producer.disconnect();

    etcd.signal('SIGSTOP');
    const t0 = Date.now();
    const first = broker;
    const exited = new Promise<number | null>((resolve) => first.child.once('exit', (code) => resolve(code)));
    first.child.kill('SIGTERM');
    const deadline = new Promise<'hung'>((resolve) => setTimeout(() => resolve('hung'), 20_000).unref());
    const outcome = await Promise.race([exited, deadline]);
    expect(outcome, 'the broker exited').to.not.equal('hung');
    const msgs = first.logs.map((l) => l.msg);
    expect(msgs, `exited after ${Date.now() - t0} ms`).to.include('shutdown complete');
    expect(msgs).to.include('could not revoke the broker lease in etcd; the others see this broker leave when it expires');

    etcd.signal('SIGCONT');
    broker = await startChildBroker(dataDir, props);
    const opened = broker.logs.find((l) => l.msg === 'log manager opened');
    expect(opened?.cleanShutdown, 'the logs were saved before the exit').to.equal(true);
    const consumer = new Kafka({ brokers: [`127.0.0.1:${broker.port}`], logLevel: logLevel.NOTHING }).consumer({ groupId: 'after-stop' });
    await consumer.connect();
    try {
      await consumer.subscribe({ topic: 'kept', fromBeginning: true });
      const got = await new Promise<string>((resolve) => void consumer.run({ eachMessage: async ({ message }) => resolve(message.value!.toString()) }));
      expect(got).to.equal('acknowledged before the stop');
    } finally {
      await consumer.disconnect();
    }
    await broker.stop();
  });
});
