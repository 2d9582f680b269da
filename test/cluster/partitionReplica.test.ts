import { expect } from 'chai';
import { ErrorCode } from '../../protocol/errors';
import { LogManager } from '../../storage/logManager';
import type { PartitionLog } from '../../storage/partitionLog';
import type { PartitionState } from '../../src/metadata/types';
import { PartitionReplica } from '../../src/replication/partitionReplica';
import { buildBatch, removeDir, tempDir } from '../storage/helpers';

const state = (over: Partial<PartitionState> = {}): PartitionState => ({
  topic: 't',
  partition: 0,
  replicas: [1, 2, 3],
  leader: 1,
  leaderEpoch: 4,
  isr: [1, 2, 3],
  partitionEpoch: 7,
  ...over,
});

describe('replication: leader-side partition state', () => {
  let dir: string;
  let manager: LogManager;
  let log: PartitionLog;
  let replica: PartitionReplica;

  beforeEach(async () => {
    dir = tempDir();
    manager = new LogManager({ dataDir: dir, schedulerIntervalMs: 0 });
    await manager.open();
    log = await manager.create('t', 0);
    log.highWatermarkFollowsLog = false;
    replica = new PartitionReplica(log, state(), 1);
    await replica.becomeLeader(state(), 1_000);
  });

  afterEach(async () => {
    replica.stop();
    await manager.close();
    removeDir(dir);
  });

  it('starts the epoch in the leader epoch cache at the log end and stamps it into appends', async () => {
    expect(log.epochs.all()).to.deep.equal([{ epoch: 4, startOffset: 0 }]);
    await log.append(buildBatch([{ value: 'a' }]));
    const stored = (await log.read(0, 1 << 20)).chunks[0]!;
    expect(stored.readInt32BE(12)).to.equal(4);
  });

  it('moves the high watermark to the smallest log end over the ISR, only once every ISR follower fetched', async () => {
    await log.append(buildBatch([{ value: 'a' }, { value: 'b' }, { value: 'c' }]));
    expect(log.highWatermark).to.equal(0);
    replica.onFollowerFetch(2, 3, 1_010);
    expect(log.highWatermark).to.equal(0); // follower 3's position is unknown in this epoch
    replica.onFollowerFetch(3, 2, 1_010);
    expect(log.highWatermark).to.equal(2);
    replica.onFollowerFetch(3, 3, 1_020);
    expect(log.highWatermark).to.equal(3);
  });

  it('a follower outside the ISR does not hold the high watermark back, and qualifies to rejoin at the high watermark', async () => {
    replica.updateState(state({ isr: [1, 2], partitionEpoch: 8 }), 1_000);
    await log.append(buildBatch([{ value: 'a' }, { value: 'b' }]));
    expect(replica.onFollowerFetch(2, 2, 1_010)).to.equal(null);
    expect(log.highWatermark).to.equal(2);
    expect(replica.onFollowerFetch(3, 0, 1_010)).to.equal(null);
    expect(replica.onFollowerFetch(3, 1, 1_020)).to.equal(null);
    expect(replica.onFollowerFetch(3, 2, 1_030)).to.equal(3);
  });

  it('counts a follower as caught up when it fetched the log end, or reached where the log ended at its previous fetch (Kafka\'s rule)', async () => {
    await log.append(buildBatch([{ value: 'a' }, { value: 'b' }]));
    replica.onFollowerFetch(2, 2, 2_000); // at the log end: caught up at 2000
    replica.onFollowerFetch(3, 0, 2_000); // fetching, but behind: still caught up only at 1000 (becoming leader)
    await log.append(buildBatch([{ value: 'c' }]));
    // 2 is behind the end (3) now, but has what the log held at its previous fetch: caught up as of that fetch
    replica.onFollowerFetch(2, 2, 2_500);
    expect(replica.laggingInsync(2_800, 900)).to.deep.equal([3]);
    expect(replica.laggingInsync(2_950, 900)).to.deep.equal([2, 3]);
    replica.onFollowerFetch(2, 3, 2_600);
    expect(replica.laggingInsync(3_400, 900)).to.deep.equal([3]);
    expect(replica.laggingInsync(3_400, 5_000)).to.deep.equal([]);
  });

  it('acks=all waiters complete when the high watermark passes them, and fail when leadership goes', async () => {
    await log.append(buildBatch([{ value: 'a' }]));
    const first = replica.waitForReplication(0, 2, 10_000);
    const second = replica.waitForReplication(0, 3, 10_000);
    expect(replica.pendingAcks).to.equal(2);
    replica.onFollowerFetch(2, 1, 1_100);
    replica.updateState(state({ isr: [1, 2], partitionEpoch: 8 }), 1_100);
    expect(await first).to.equal(0);
    expect(await second).to.equal(ErrorCode.NOT_ENOUGH_REPLICAS_AFTER_APPEND);
    await log.append(buildBatch([{ value: 'b' }]));
    const third = replica.waitForReplication(1, 1, 10_000);
    replica.becomeFollower(state({ leader: 2, leaderEpoch: 5 }));
    expect(await third).to.equal(ErrorCode.NOT_LEADER_OR_FOLLOWER);
    expect(log.leaderEpochForAppends).to.equal(undefined);
  });
});
