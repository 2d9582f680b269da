import { expect } from 'chai';
import { Kafka, logLevel } from 'kafkajs';
import { rmSync } from 'node:fs';
import { startTestBroker } from '../helpers/broker';
import { fetchRaw, fetchRequest, recordsOf } from '../helpers/dataPath';
import { RawClient } from '../helpers/rawClient';
import { tempDataDir } from '../helpers/tempDir';

describe('broker restart', () => {
  it('keeps topics, topic ids, configs, offsets and records across a restart', async () => {
    const dataDir = tempDataDir();
    try {
      const first = await startTestBroker({ dataDir, config: { 'num.partitions': '2' } });
      const kafka = new Kafka({ brokers: [first.bootstrap], clientId: 'restart', logLevel: logLevel.NOTHING });
      const producer = kafka.producer();
      await producer.connect();
      for (let i = 0; i < 20; i++) {
        await producer.send({ topic: 'durable', messages: [{ key: `k${i}`, value: `v${i}`, partition: i % 2, headers: { i: String(i) } }] });
      }
      await producer.disconnect();
      await first.services.metadata.createTopic('configured', { partitions: 1, configs: { 'max.message.bytes': '300' } });
      const topicId = first.services.metadata.topic('durable')!.id;
      const clusterId = first.services.metadata.clusterId;
      await first.close();

      const second = await startTestBroker({ dataDir });
      try {
        expect(second.services.metadata.clusterId).to.equal(clusterId);
        expect(second.services.metadata.topic('durable')!.id.equals(topicId)).to.equal(true);
        expect(second.services.metadata.topic('durable')!.partitions).to.equal(2);
        // Topic configs are applied to logs reloaded from disk.
        expect(second.services.logs.get('configured', 0)!.currentConfig().maxMessageBytes).to.equal(300);
        const c = await RawClient.connect(second.port);
        const res = await fetchRaw(c, fetchRequest([{ topic: 'durable', partition: 0, offset: 0 }, { topic: 'durable', partition: 1, offset: 0 }]));
        const got = res.responses[0].partitions.map((p) => recordsOf(p.records).map((r) => [r.offset, r.key, r.value, r.headers[0][1]]));
        expect(got[0]).to.deep.equal(Array.from({ length: 10 }, (_, j) => [j, `k${2 * j}`, `v${2 * j}`, String(2 * j)]));
        expect(got[1]).to.deep.equal(Array.from({ length: 10 }, (_, j) => [j, `k${2 * j + 1}`, `v${2 * j + 1}`, String(2 * j + 1)]));
        c.close();
      } finally {
        await second.close();
      }
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
