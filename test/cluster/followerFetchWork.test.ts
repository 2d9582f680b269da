import { expect } from 'chai';
import { ApiKey } from '../../protocol/generated/apis';
import type { FetchRequest } from '../../protocol/generated/messages/FetchRequest';
import type { FetchResponseInput } from '../../protocol/generated/messages/FetchResponse';
import type { ProduceResponse } from '../../protocol/generated/messages/ProduceResponse';
import type { BrokerObserver } from '../../src/handlers/types';
import { WATCH_MIN_PARTITIONS } from '../../src/fetch/sessionWatch';
import { eventually } from '../helpers/eventually';
import { MemoryCluster } from '../helpers/memoryCluster';
import { RawClient } from '../helpers/rawClient';
import { buildBatch } from '../storage/helpers';

const PARTITIONS = 200;
const WRITES = 50;

/**
 * Issue 17: an acks=all write must not cost work in proportion to every replicated partition. Followers fetch in
 * incremental sessions (KIP-227), so after the first full fetch a follower names only partitions whose offset
 * moved, the leader reads only those and the partitions whose logs changed (plus a sweep's share), and answers
 * only partitions with news. Counted on the leader (work, not time): partitions named in follower fetches,
 * partitions looked at, and partitions in the answers, per acknowledged write to one of 200 partitions.
 * Sessionless, each of the two followers named and got back all ~67 partitions the leader leads, per round; with
 * sessions but no watch the leader still looked at all ~67 per fetch.
 */
describe('replication: follower fetches name, read and carry only partitions that moved', function () {
  this.timeout(120_000);
  let c: MemoryCluster;

  after(async () => {
    await c?.stop();
  });

  it(`acks=all writes to one of ${PARTITIONS} RF=3 partitions: a few partitions per write in follower fetches, leader reads and answers`, async () => {
    c = await MemoryCluster.start({ brokers: 3 });
    await c.createTopic('many', PARTITIONS, 3);
    const leader = c.leaderOf('many', 0);
    const led = [...Array(PARTITIONS).keys()].filter((p) => c.leaderOf('many', p) === leader).length;
    const client = await RawClient.connect(c.broker(leader).port);
    const write = async (value: string) => {
      const res = await client.request<ProduceResponse>(ApiKey.Produce, 9, {
        transactionalId: null,
        acks: -1,
        timeoutMs: 10_000,
        topicData: [{ name: 'many', partitionData: [{ index: 0, records: buildBatch([{ value }]) }] }],
      });
      return res.responses[0]!.partitionResponses[0]!.errorCode;
    };
    try {
      await eventually(async () => (await write('warm')) === 0, 'partition 0 takes acks=all writes');
      for (let i = 0; i < 20; i++) expect(await write(`warm-${i}`)).to.equal(0);

      let fetches = 0;
      let named = 0;
      let answered = 0;
      const observer: BrokerObserver = {
        requestDone: (ctx, request, response) => {
          if (ctx.apiKey !== ApiKey.Fetch || !response) return;
          const req = request as FetchRequest;
          if ((ctx.apiVersion >= 15 ? req.replicaState.replicaId : req.replicaId) < 0) return;
          fetches++;
          for (const t of req.topics) named += t.partitions.length;
          for (const t of (response as FetchResponseInput).responses ?? []) answered += t.partitions?.length ?? 0;
        },
        connectionOpened: () => undefined,
        connectionClosed: () => undefined,
      };
      // every partition a fetch looks at is checked for leadership once: counts the leader's walk over partitions
      const metadata = c.broker(leader).services.metadata;
      const partitionState = metadata.partitionState.bind(metadata);
      let looked = 0;
      metadata.partitionState = (topic, partition) => {
        looked++;
        return partitionState(topic, partition);
      };
      c.broker(leader).services.observer = observer;
      for (let i = 0; i < WRITES; i++) expect(await write(`w-${i}`)).to.equal(0);
      c.broker(leader).services.observer = undefined;
      metadata.partitionState = partitionState;

      const figures = `leader leads ${led} partitions; per write: ${(fetches / WRITES).toFixed(2)} follower fetches naming ${(named / WRITES).toFixed(2)} partitions, answered with ${(answered / WRITES).toFixed(2)}, ${(looked / WRITES).toFixed(2)} partitions looked at`;
      expect(led, figures).to.be.at.least(WATCH_MIN_PARTITIONS);
      expect(fetches / WRITES, figures).to.be.at.least(1);
      // two followers, each naming the written partition at its new offset (a timeout round names nothing)
      expect(named / WRITES, figures).to.be.at.most(4);
      expect(answered / WRITES, figures).to.be.at.most(4);
      // and reads only those, what changed and its share of the once-a-second sweep (src/fetch/sessionWatch.ts),
      // not every session partition per fetch (2 x ${led} per round before)
      expect(looked / WRITES, figures).to.be.at.most(20);
      console.log(`      ${figures}`);
    } finally {
      client.close();
    }
  });

  it('an idle partition keeps its followers in the ISR while a busy one keeps their sessions reading only it', async () => {
    await c?.stop();
    // a short lag time, well under the test, and enough partitions per leader for watched sessions
    // (WATCH_MIN_PARTITIONS); four with one leader: one written, three idle
    c = await MemoryCluster.start({ brokers: 3, config: { 'replica.lag.time.max.ms': '800' } });
    await c.createTopic('mixed', PARTITIONS, 3);
    const leader = c.leaderOf('mixed', 0);
    const same = [...Array(PARTITIONS).keys()].filter((p) => c.leaderOf('mixed', p) === leader).slice(0, 4);
    expect(same.length).to.equal(4);
    const [busy, ...idle] = same as [number, ...number[]];
    const client = await RawClient.connect(c.broker(leader).port);
    const shrinksBefore = c.replication(leader).isrShrinks;
    try {
      const until = Date.now() + 3000;
      let writes = 0;
      while (Date.now() < until) {
        const res = await client.request<ProduceResponse>(ApiKey.Produce, 9, {
          transactionalId: null,
          acks: -1,
          timeoutMs: 10_000,
          topicData: [{ name: 'mixed', partitionData: [{ index: busy, records: buildBatch([{ value: `b-${writes++}` }]) }] }],
        });
        expect(res.responses[0]!.partitionResponses[0]!.errorCode).to.equal(0);
      }
      expect(writes).to.be.greaterThan(100);
      for (const p of idle) expect(c.state('mixed', p).isr, `ISR of idle partition ${p}`).to.have.length(3);
      expect(c.replication(leader).isrShrinks - shrinksBefore, 'ISR shrinks on the leader').to.equal(0);
    } finally {
      client.close();
    }
  });
});
