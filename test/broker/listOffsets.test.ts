import { expect } from 'chai';
import { ErrorCode } from '../../protocol/errors';
import { ApiKey } from '../../protocol/generated/apis';
import type { ListOffsetsResponse } from '../../protocol/generated/messages/ListOffsetsResponse';
import { startTestBroker, type TestBroker } from '../helpers/broker';
import { batchOf, produceRaw } from '../helpers/dataPath';
import { RawClient } from '../helpers/rawClient';

describe('ListOffsets', () => {
  let broker: TestBroker;
  let client: RawClient;
  before(async () => {
    broker = await startTestBroker();
    client = await RawClient.connect(broker.port);
    await produceRaw(client, 'lo', 0, batchOf([{ value: 'a', timestamp: 1000 }, { value: 'b', timestamp: 5000 }]));
    await produceRaw(client, 'lo', 0, batchOf([{ value: 'c', timestamp: 3000 }]));
    await broker.services.metadata.createTopic('lo-empty', { partitions: 1 });
  });
  after(async () => {
    client.close();
    await broker.destroy();
  });

  async function list(topic: string, timestamp: bigint, version = 7) {
    const res = await client.request<ListOffsetsResponse>(ApiKey.ListOffsets, version, {
      replicaId: -1,
      isolationLevel: 0,
      topics: [{ name: topic, partitions: [{ partitionIndex: 0, timestamp, currentLeaderEpoch: -1, maxNumOffsets: 1 }] }],
      timeoutMs: 1000,
    });
    return res.topics[0].partitions[0];
  }

  it('answers earliest (-2) and latest (-1)', async () => {
    expect(await list('lo', -2n)).to.deep.include({ errorCode: 0, offset: 0n, timestamp: -1n, leaderEpoch: 0 });
    expect(await list('lo', -1n)).to.deep.include({ errorCode: 0, offset: 3n });
    expect(await list('lo-empty', -1n)).to.deep.include({ errorCode: 0, offset: 0n });
  });

  it('answers max timestamp (-3, v7) with the offset that carries it', async () => {
    expect(await list('lo', -3n)).to.deep.include({ errorCode: 0, offset: 1n, timestamp: 5000n });
    expect(await list('lo-empty', -3n)).to.deep.include({ errorCode: 0, offset: -1n, timestamp: -1n });
  });

  it('finds the first offset with a timestamp at or after the one asked for', async () => {
    expect(await list('lo', 900n)).to.deep.include({ offset: 0n, timestamp: 1000n });
    expect(await list('lo', 4000n)).to.deep.include({ offset: 1n, timestamp: 5000n });
    expect(await list('lo', 9999n)).to.deep.include({ errorCode: 0, offset: -1n, timestamp: -1n });
  });

  it('uses the v0 offsets list and the v1 layout', async () => {
    expect((await list('lo', -1n, 0)).oldStyleOffsets).to.deep.equal([3n]);
    expect(await list('lo', -2n, 1)).to.deep.include({ offset: 0n });
  });

  it('reports unknown topics and partitions', async () => {
    expect((await list('no-such-topic', -1n)).errorCode).to.equal(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
    const res = await client.request<ListOffsetsResponse>(ApiKey.ListOffsets, 5, {
      replicaId: -1,
      topics: [{ name: 'lo', partitions: [{ partitionIndex: 9, timestamp: -1n }] }],
    });
    expect(res.topics[0].partitions[0].errorCode).to.equal(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
  });
});
