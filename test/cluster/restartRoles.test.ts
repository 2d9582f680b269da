import { expect } from 'chai';
import { ApiKey } from '../../protocol/generated/apis';
import { ErrorCode } from '../../protocol/errors';
import type { ProduceResponse } from '../../protocol/generated/messages/ProduceResponse';
import { LogManager } from '../../storage/logManager';
import { eventually } from '../helpers/eventually';
import { MemoryCluster } from '../helpers/memoryCluster';
import { RawClient } from '../helpers/rawClient';
import { buildBatch } from '../storage/helpers';

/**
 * Issue 17: a restarted broker of a cluster listens without first giving every replica it holds its role (opening
 * each log one after another took ~1.2 ms a partition, so 100,000 replicas kept it from listening for minutes).
 * Internal topics still take their roles first, since the coordinators that start next replay and write them.
 * Here the logs of an ordinary topic cannot open until the test lets them: the broker must start anyway.
 */
describe('cluster: a restarted broker listens before its replicas have their roles', function () {
  this.timeout(60_000);
  let c: MemoryCluster;
  const originalCreate = LogManager.prototype.create;

  afterEach(async () => {
    LogManager.prototype.create = originalCreate;
    await c?.stop();
  });

  it('internal topics are in their roles when it has started; the others follow, and the broker catches up', async () => {
    c = await MemoryCluster.start({ brokers: 3 });
    await c.metadata.createTopic('__internal_like', { assignment: [[1, 2, 3]], internal: true });
    await c.createTopic('gated', 4, 3);
    const client = await RawClient.connect(c.broker(c.leaderOf('gated', 0)).port);
    try {
      const res = await client.request<ProduceResponse>(ApiKey.Produce, 9, {
        transactionalId: null,
        acks: -1,
        timeoutMs: 10_000,
        topicData: [{ name: 'gated', partitionData: [{ index: 0, records: buildBatch([{ value: 'before' }]) }] }],
      });
      expect(res.responses[0]!.partitionResponses[0]!.errorCode).to.equal(0);
    } finally {
      client.close();
    }
    await c.killBroker(3);

    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let held = 0;
    LogManager.prototype.create = async function (this: LogManager, ...args: Parameters<LogManager['create']>) {
      if (args[0] === 'gated') {
        held++;
        await gate;
      }
      return originalCreate.apply(this, args);
    };
    // resolves while every 'gated' log is held: starting did not wait for them
    await (c as unknown as { startNode(id: number): Promise<unknown> }).startNode(3);
    const replication = c.replication(3);
    expect(replication.replica('__internal_like', 0), 'internal topic replica').to.not.equal(undefined);
    for (let p = 0; p < 4; p++) expect(replication.replica('gated', p), `gated-${p} before its log opens`).to.equal(undefined);
    await eventually(() => held > 0, 'the gated logs were asked for');

    release();
    await c.settled();
    for (let p = 0; p < 4; p++) expect(replication.replica('gated', p)?.role, `gated-${p}`).to.equal('follower');
    await eventually(() => replication.replica('gated', 0)!.log.logEndOffset === 1, 'broker 3 fetched what was written while it was down');
  });

  it('a partition a client asks for takes its role before the rest of the batch', async () => {
    const N = 300;
    c = await MemoryCluster.start({ brokers: 1 });
    await c.createTopic('slow', N, 1);
    await c.killBroker(1);
    // the topic's logs cannot open until the client has asked for the last partition once
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    LogManager.prototype.create = async function (this: LogManager, ...args: Parameters<LogManager['create']>) {
      if (args[0] === 'slow') await gate;
      return originalCreate.apply(this, args);
    };
    const led = (): number => {
      let n = 0;
      for (let p = 0; p < N; p++) if (c!.replication(1).replica('slow', p)?.role === 'leader') n++;
      return n;
    };
    let client: RawClient | undefined;
    try {
      await (c as unknown as { startNode(id: number): Promise<unknown> }).startNode(1);
      client = await RawClient.connect(c.broker(1).port);
      const last = N - 1;
      const produce = async (): Promise<number> => {
        const res = await client!.request<ProduceResponse>(ApiKey.Produce, 9, {
          transactionalId: null,
          acks: -1,
          timeoutMs: 10_000,
          topicData: [{ name: 'slow', partitionData: [{ index: last, records: buildBatch([{ value: 'wanted' }]) }] }],
        });
        return res.responses[0]!.partitionResponses[0]!.errorCode;
      };
      expect(await produce(), 'while no log of the topic can open').to.equal(ErrorCode.NOT_LEADER_OR_FOLLOWER);
      expect(led()).to.equal(0);
      release();
      let ledWhenServed = -1;
      await eventually(async () => {
        const code = await produce();
        if (code !== 0) expect(code).to.equal(ErrorCode.NOT_LEADER_OR_FOLLOWER);
        if (code === 0) ledWhenServed = led();
        return code === 0;
      }, 'the last partition accepts the write');
      // taken in order it would have been the last role applied
      expect(ledWhenServed, 'partitions led when the last one was served').to.be.below(N / 2);
    } finally {
      release();
      client?.close();
    }
    await c.settled();
    expect(led()).to.equal(N);
  });
});
