import { expect } from 'chai';
import { Kafka, logLevel } from 'kafkajs';
import { ProcessCluster } from '../cluster/helpers/processCluster';

/**
 * Cluster mode does not serve scheduled delivery yet (docs/ARCHITECTURE.md, "Scheduled delivery"): a produce
 * that would be scheduled is refused with INVALID_RECORD instead of being delivered at once or kept where a
 * failover would lose it, and ordinary produces to the same topic are unaffected.
 */
describe('scheduled delivery in cluster mode: refused, harmlessly', function () {
  this.timeout(180_000);
  let c: ProcessCluster | null = null;

  after(async () => {
    await c?.stop();
  });

  it('a scheduled produce gets INVALID_RECORD and nothing is appended; plain produces work', async () => {
    c = await ProcessCluster.start([1, 2]);
    const kafka = new Kafka({ brokers: c.bootstrap, logLevel: logLevel.NOTHING, retry: { retries: 8, initialRetryTime: 200 } });
    const admin = await c.adminClient();
    await admin.createTopics({ topics: [{ topic: 'cl-orders', numPartitions: 1, replicationFactor: 2 }], waitForLeaders: true });
    const producer = kafka.producer({ retry: { retries: 3 } });
    await producer.connect();
    try {
      const err = await producer.send({ topic: 'cl-orders', acks: -1, messages: [{ key: 'k', value: 'later', headers: { 'brook-delay-ms': '1000' } }] }).then(
        () => null,
        (e: Error) => e,
      );
      expect(err, 'refused').to.not.equal(null);
      expect(`${err!.message} ${JSON.stringify(err)}`).to.match(/INVALID_RECORD|validation/i);
      await producer.send({ topic: 'cl-orders', acks: -1, messages: [{ key: 'k', value: 'now' }] });
    } finally {
      await producer.disconnect();
    }
    expect((await admin.fetchTopicOffsets('cl-orders'))[0]!.high).to.equal('1');
  });
});
