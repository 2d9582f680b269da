import { expect } from 'chai';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CompressionTypes, Kafka, logLevel, type Consumer, type Producer } from 'kafkajs';
import { eventually } from '../helpers/eventually';
import { startTestBroker, tempDataDir, type TestBroker } from '../helpers/broker';
import { startChildBroker, type ChildBroker } from '../txn/helpers/childBroker';
import { viewScanStats } from '../../src/views/viewRead';

interface Seen {
  offset: number;
  value: string;
  tag: string;
}

/** A kafkajs group reading `count` records of `topic` from the beginning. */
async function groupRead(kafka: Kafka, topic: string, groupId: string, count: number, consumers: Consumer[]): Promise<Seen[]> {
  const consumer = kafka.consumer({ groupId, maxWaitTimeInMs: 200, heartbeatInterval: 500 });
  consumers.push(consumer);
  const seen: Seen[] = [];
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ message }) => {
      seen.push({ offset: Number(message.offset), value: message.value!.toString(), tag: message.headers?.['brook-tag']?.toString() ?? '' });
    },
  });
  await eventually(() => seen.length >= count, `${count} records from ${topic}`, 60_000);
  return seen;
}

const RARE_SENDS = [4, 19, 27];

/** Send `s`: 20 records tagged 'common', except one 'rare' in the sends of RARE_SENDS; every third gzip. */
async function send(producer: Producer, topic: string, s: number): Promise<void> {
  await producer.send({
    topic,
    compression: s % 3 === 0 ? CompressionTypes.GZIP : CompressionTypes.None,
    messages: Array.from({ length: 20 }, (_, i) => ({ partition: 0, value: `${s}-${i}`, headers: { 'brook-tag': RARE_SENDS.includes(s) && i === 11 ? 'rare' : 'common' } })),
  });
}

describe('views: the tag index of a source across restarts (kafkajs)', function () {
  this.timeout(240_000);
  const consumers: Consumer[] = [];
  afterEach(async () => {
    for (const c of consumers.splice(0)) await c.disconnect().catch(() => undefined);
  });

  it('after a restart the first view fetch reads only the batches holding the tag, decoding nothing to build the index', async () => {
    const dataDir = tempDataDir('brook-tagindex-');
    let broker: TestBroker | null = await startTestBroker({ dataDir });
    try {
      let kafka = new Kafka({ brokers: [broker.bootstrap], clientId: 'tag-index', logLevel: logLevel.NOTHING });
      const admin = kafka.admin();
      await admin.connect();
      await admin.createTopics({ topics: [{ topic: 'ev', numPartitions: 1, configEntries: [{ name: 'segment.bytes', value: '4000' }] }] });
      await admin.createTopics({ topics: [{ topic: 'ev.rare', configEntries: [{ name: 'brook.view.of', value: 'ev' }, { name: 'brook.view.filter', value: 'rare' }] }] });
      const producer = kafka.producer();
      await producer.connect();
      for (let s = 0; s < 30; s++) await send(producer, 'ev', s);
      await producer.disconnect();
      await admin.disconnect();
      expect(broker.services.logs.get('ev', 0)!.segmentCount).to.be.greaterThan(3);
      await broker.close();
      broker = await startTestBroker({ dataDir });
      kafka = new Kafka({ brokers: [broker.bootstrap], clientId: 'tag-index-2', logLevel: logLevel.NOTHING });
      const before = { ...viewScanStats };
      const got = await groupRead(kafka, 'ev.rare', 'g-after-restart', 3, consumers);
      expect(got.map((r) => r.value)).to.deep.equal(RARE_SENDS.map((s) => `${s}-11`));
      // one batch per send: only the three holding 'rare' are walked (each at most twice: the fetch after a rare record
      // starts inside its batch); the other 27 are skipped, unread, or read with a neighbour but not decoded
      expect(viewScanStats.batchesWalked - before.batchesWalked).to.be.within(3, 6);
      const unreadBatches = (viewScanStats.offsetsSkippedUnread - before.offsetsSkippedUnread) / 20;
      const readNotDecoded = viewScanStats.batchesSkippedBySummary - before.batchesSkippedBySummary;
      expect(unreadBatches).to.be.at.least(10);
      expect(unreadBatches + readNotDecoded).to.be.at.least(27);
      const stats = broker.services.logs.get('ev', 0)!.tagIndex.stats;
      expect(stats.batchesIndexed).to.equal(0);
      expect(stats.rebuilds).to.equal(0);
    } finally {
      await broker?.close();
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('kill -9 while producing: after restart the view serves exactly the acknowledged rare records, the lost index rebuilt by recovery', async () => {
    const dataDir = tempDataDir('brook-tagindex-kill9-');
    let child: ChildBroker | null = await startChildBroker(dataDir);
    try {
      let kafka = new Kafka({ brokers: [`127.0.0.1:${child.port}`], clientId: 'tag-kill9', logLevel: logLevel.NOTHING, retry: { retries: 0 } });
      const admin = kafka.admin();
      await admin.connect();
      await admin.createTopics({ topics: [{ topic: 'k9', numPartitions: 1, configEntries: [{ name: 'segment.bytes', value: '6000' }] }] });
      await admin.createTopics({ topics: [{ topic: 'k9.rare', configEntries: [{ name: 'brook.view.of', value: 'k9' }, { name: 'brook.view.filter', value: 'rare' }] }] });
      await admin.disconnect();
      const producer = kafka.producer();
      await producer.connect();
      const acked: number[] = [];
      // sends keep going until the broker dies under them; the ones acknowledged must all be served after restart
      const sending = (async () => {
        for (let s = 0; s < 10_000; s++) {
          try {
            await send(producer, 'k9', s % 30 === 4 || s % 30 === 19 || s % 30 === 27 ? 4 : s % 30 === 0 ? 0 : 1);
          } catch {
            return;
          }
          acked.push(s);
        }
      })();
      await eventually(() => acked.length >= 45, '45 sends acknowledged', 60_000);
      await child.kill9();
      await sending;
      await producer.disconnect().catch(() => undefined);
      const ackedRare = acked.filter((s) => s % 30 === 4 || s % 30 === 19 || s % 30 === 27).length;

      child = await startChildBroker(dataDir);
      kafka = new Kafka({ brokers: [`127.0.0.1:${child.port}`], clientId: 'tag-kill9-2', logLevel: logLevel.NOTHING });
      // the source read whole, filtered here, is what the view must serve
      const admin2 = kafka.admin();
      await admin2.connect();
      // the log is recovered in the background after a crash: until then its partition answers NOT_LEADER
      const end = await eventually(async () => Number((await admin2.fetchTopicOffsets('k9').catch(() => [{ high: '-1' }]))[0]!.high) > 0 && Number((await admin2.fetchTopicOffsets('k9'))[0]!.high), 'k9 recovered');
      await admin2.disconnect();
      const all = await groupRead(kafka, 'k9', 'g-source', end, consumers);
      const want = all.filter((r) => r.tag === 'rare');
      expect(want.length).to.be.at.least(ackedRare);
      const got = await groupRead(kafka, 'k9.rare', 'g-view', want.length, consumers);
      expect(got.map((r) => r.offset)).to.deep.equal(want.map((r) => r.offset));
      // the active segment's index lived in memory only: recovery, which scans that segment anyway, rebuilt and wrote
      // it, so every segment has its file and no view read had to build one
      const dir = path.join(dataDir, 'k9-0');
      const files = fs.readdirSync(dir);
      expect(files.filter((f) => f.endsWith('.tagindex')).length).to.equal(files.filter((f) => f.endsWith('.log')).length);
      expect(child.logs.some((l) => typeof l.msg === 'string' && / missing: building it from the log$/.test(l.msg))).to.equal(false);
    } finally {
      await child?.kill9();
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
