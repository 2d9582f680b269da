import { expect } from 'chai';
import { Kafka, logLevel } from 'kafkajs';
import { rmSync } from 'node:fs';
import { startTestBroker } from '../helpers/broker';
import { eventually } from '../helpers/eventually';
import { tempDataDir } from '../helpers/tempDir';

/**
 * Idle logs go back to the unopened state (issue 17): a kafkajs idempotent producer keeps producing across the
 * unload without a sequence error or a duplicate, and a kafkajs consumer reads everything after the reopen.
 */
describe('broker: idle logs unloaded and reopened', () => {
  it('an idempotent kafkajs producer and a kafkajs consumer see nothing of an idle log going back to unopened', async () => {
    const dataDir = tempDataDir('brook-idle-logs-');
    const broker = await startTestBroker({ dataDir, config: { 'num.partitions': '2' } });
    const kafka = new Kafka({ brokers: [broker.bootstrap], clientId: 'idle-logs', logLevel: logLevel.NOTHING });
    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    const consumer = kafka.consumer({ groupId: 'idle-logs-reader' });
    try {
      await producer.connect();
      for (let i = 0; i < 10; i++) await producer.send({ topic: 'idle', acks: -1, messages: [{ key: `k${i}`, value: `before-${i}`, partition: i % 2 }] });
      const logs = broker.services.logs;
      const topicLogs = [0, 1].map((p) => logs.get('idle', p)!);
      expect(topicLogs.every((l) => l.isOpen)).to.equal(true);

      // as if an idle period had passed
      expect(await logs.unloadIdle(Date.now() + 3_600_000)).to.equal(2);
      expect(topicLogs.map((l) => l.isOpen)).to.deep.equal([false, false]);
      expect(topicLogs.map((l) => l.logEndOffset)).to.deep.equal([5, 5]);

      // the same producer (same id, sequences going on) writes to the unloaded logs: accepted in order, no duplicate
      for (let i = 10; i < 20; i++) await producer.send({ topic: 'idle', acks: -1, messages: [{ key: `k${i}`, value: `after-${i}`, partition: i % 2 }] });
      expect(topicLogs.map((l) => l.logEndOffset)).to.deep.equal([10, 10]);
      const table = await topicLogs[0]!.producerState.table();
      expect(table.size, 'the producer known again after the reopen').to.equal(1);

      await logs.unloadIdle(Date.now() + 3_600_000);
      await consumer.connect();
      await consumer.subscribe({ topic: 'idle', fromBeginning: true });
      const seen: string[] = [];
      await consumer.run({
        eachMessage: async ({ message }) => {
          seen.push(message.value!.toString());
        },
      });
      await eventually(() => seen.length === 20, 'all 20 records consumed', 30_000);
      const expected = [...Array.from({ length: 10 }, (_, i) => `before-${i}`), ...Array.from({ length: 10 }, (_, i) => `after-${i + 10}`)];
      expect([...seen].sort()).to.deep.equal([...expected].sort());
    } finally {
      await consumer.disconnect().catch(() => undefined);
      await producer.disconnect().catch(() => undefined);
      await broker.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
