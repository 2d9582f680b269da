import { expect } from 'chai';
import { rmSync } from 'node:fs';
import { ErrorCode } from '../../protocol/errors';
import { LocalMetadataService } from '../../src/metadata/localMetadataService';
import { MetadataError } from '../../src/metadata/types';
import { startTestBroker } from '../helpers/broker';
import { RawClient } from '../helpers/rawClient';
import { tempDataDir } from '../helpers/tempDir';

const self = { nodeId: 4, host: '127.0.0.1', port: 9092, rack: null };

async function rejectsWith(p: Promise<unknown>, code: number): Promise<void> {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err, `expected MetadataError ${code}`).to.be.instanceOf(MetadataError);
  expect((err as MetadataError).errorCode).to.equal(code);
}

describe('LocalMetadataService partition state (single-broker side of the cluster seam)', () => {
  let dir: string;
  let svc: LocalMetadataService;
  beforeEach(async () => {
    dir = tempDataDir();
    svc = await LocalMetadataService.open({ dataDir: dir, self, defaultPartitions: 2 });
  });
  afterEach(async () => {
    await svc.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('reports this broker as the only replica, leader and ISR at epoch 0', async () => {
    await svc.createTopic('t', { partitions: 2 });
    expect(svc.partitionState('t', 1)).to.deep.equal({ topic: 't', partition: 1, replicas: [4], leader: 4, leaderEpoch: 0, isr: [4], partitionEpoch: 0 });
    expect(svc.partitionState('t', 2)).to.equal(undefined);
    expect(svc.partitionState('nope', 0)).to.equal(undefined);
  });

  it('accepts an ISR of itself at the current epochs and refuses stale or impossible ones', async () => {
    await svc.createTopic('t', { partitions: 1 });
    const same = await svc.alterPartitionIsr('t', 0, { leaderEpoch: 0, partitionEpoch: 0 }, [4]);
    expect(same.isr).to.deep.equal([4]);
    await rejectsWith(svc.alterPartitionIsr('t', 0, { leaderEpoch: 1, partitionEpoch: 0 }, [4]), ErrorCode.FENCED_LEADER_EPOCH);
    await rejectsWith(svc.alterPartitionIsr('t', 0, { leaderEpoch: 0, partitionEpoch: 3 }, [4]), ErrorCode.INVALID_UPDATE_VERSION);
    await rejectsWith(svc.alterPartitionIsr('t', 0, { leaderEpoch: 0, partitionEpoch: 0 }, [4, 5]), ErrorCode.INVALID_UPDATE_VERSION);
    await rejectsWith(svc.alterPartitionIsr('t', 9, { leaderEpoch: 0, partitionEpoch: 0 }, [4]), ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
  });

  it('creates from a manual assignment naming itself and refuses other brokers or more replicas', async () => {
    const t = await svc.createTopic('manual', { assignment: [[4], [4], [4]] });
    expect(t.partitions).to.equal(3);
    await rejectsWith(svc.createTopic('other', { assignment: [[5]] }), ErrorCode.INVALID_REPLICA_ASSIGNMENT);
    await rejectsWith(svc.createTopic('rf2', { replicationFactor: 2 }), ErrorCode.INVALID_REPLICATION_FACTOR);
    expect(svc.topic('other')).to.equal(undefined);
  });

  it('takes the bound address through setSelf', async () => {
    await svc.setSelf({ ...self, port: 39092 });
    expect(svc.self().port).to.equal(39092);
    expect(svc.brokers()).to.deep.equal([{ ...self, port: 39092 }]);
  });
});

describe('ElectLeaders on a single broker', () => {
  it('has nothing to elect: ELECTION_NOT_NEEDED for known partitions, UNKNOWN_TOPIC_OR_PARTITION otherwise, nothing listed for "all"', async () => {
    const broker = await startTestBroker();
    const raw = await RawClient.connect(broker.port);
    try {
      await broker.services.metadata.createTopic('solo', { partitions: 2 });
      type Answer = { errorCode: number; replicaElectionResults: Array<{ topic: string; partitionResult: Array<{ partitionId: number; errorCode: number }> }> };
      const named = await raw.request<Answer>(43, 1, { electionType: 1, topicPartitions: [{ topic: 'solo', partitions: [0, 1, 5] }], timeoutMs: 1000 });
      expect(named.errorCode).to.equal(0);
      expect(named.replicaElectionResults[0].partitionResult.map((r) => [r.partitionId, r.errorCode])).to.deep.equal([
        [0, ErrorCode.ELECTION_NOT_NEEDED],
        [1, ErrorCode.ELECTION_NOT_NEEDED],
        [5, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION],
      ]);
      const all = await raw.request<Answer>(43, 0, { electionType: 0, topicPartitions: null, timeoutMs: 1000 });
      expect(all.replicaElectionResults).to.deep.equal([]);
    } finally {
      raw.close();
      await broker.destroy();
    }
  });
});
