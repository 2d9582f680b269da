import { PeerClients } from '../replication/peerClients';
import { ErrorCode } from '../../protocol/errors';
import { Writer } from '../../protocol/codec/writer';
import { buildRecordBatch } from '../../protocol/records';
import type { ReadShareGroupStateResponse } from '../../protocol/generated/messages/ReadShareGroupStateResponse';
import type { WriteShareGroupStateResponse } from '../../protocol/generated/messages/WriteShareGroupStateResponse';
import type { DeleteShareGroupStateResponse } from '../../protocol/generated/messages/DeleteShareGroupStateResponse';
import type { InitializeShareGroupStateResponse } from '../../protocol/generated/messages/InitializeShareGroupStateResponse';
import type { ProduceResponse } from '../../protocol/generated/messages/ProduceResponse';
import type { BrokerServices } from '../handlers/types';
import { OFFSETS_TOPIC, offsetsPartitionFor } from '../groups/offsetsTopicRecords';
import { CoordinatorWriteError } from '../internalTopics/writeErrors';
import { replayKeyedLog } from '../internalTopics/replayKeyedLog';
import { MetadataError, NO_LEADER } from '../metadata/types';
import { ensureInternalTopic } from '../metadata/internalTopicReplicas';
import { partitionWriter } from '../replication/partitionWriter';
import { fromStateBatches, toStateBatches } from './stateBatches';
import { SHARE_STATE_TOPIC, decodeShareRecord, encodeShareRecord, type ShareStateRecord } from './records';
import type { ShareStateCoordinator, StateRead } from './stateCoordinator';
import { shareStateTopicOptions } from './stateTopic';

const READ_SHARE_GROUP_STATE = 84;
const WRITE_SHARE_GROUP_STATE = 85;
const DELETE_SHARE_GROUP_STATE = 86;
const PRODUCE = 0;
const INITIALIZE_SHARE_GROUP_STATE = 83;
/** Key version of Brook's share-group records in `__consumer_offsets` (above Kafka's, beside Brook's 1000). */
export const BROOK_SHARE_GROUP_KEY_VERSION = 1001;
/**
 * Cluster mode, seen from a data partition's leader and a share group's coordinator: where
 * share state goes. Share-partition state goes to the share coordinator, the leader of
 * `__brook_share_state`-0 (called directly when that is this broker, else with Kafka's
 * Read/Write/DeleteShareGroupState over one reused inter-broker connection). Group-level
 * records (the group, its configs, its members) go to the group's `__consumer_offsets`
 * partition, which the group's coordinator leads, as Kafka keeps share-group records there.
 */
export class ClusterShareState {
  private readonly peers: PeerClients;

  constructor(
    private readonly services: BrokerServices,
    private readonly stateCoordinator: ShareStateCoordinator,
    private readonly offsetsPartitions: () => number,
    private readonly writeTimeoutMs: number,
  ) {
    this.peers = new PeerClients(services, () => `brook-share-${services.metadata.self().nodeId}`, (m) => new CoordinatorWriteError(ErrorCode.COORDINATOR_NOT_AVAILABLE, m));
  }

  /** A coalesced batch of share records; throws (the whole batch failed) unless every part was written. */
  async write(records: ShareStateRecord[]): Promise<void> {
    const byOffsetsPartition = new Map<number, ShareStateRecord[]>();
    // The latest snapshot of each share-partition is all a compacted topic would keep.
    const latest = new Map<string, Extract<ShareStateRecord, { kind: 'partition' }>>();
    for (const r of records) {
      if (r.kind === 'partition') latest.set(`${r.group}\u0000${r.topicId}\u0000${r.partition}`, r);
      else {
        const p = offsetsPartitionFor(r.group, this.offsetsPartitions());
        const list = byOffsetsPartition.get(p) ?? [];
        list.push(r);
        byOffsetsPartition.set(p, list);
      }
    }
    await Promise.all([...[...byOffsetsPartition].map(([p, rs]) => this.writeGroupRecords(p, rs)), this.writePartitions([...latest.values()])]);
  }

  private async writeGroupRecords(partition: number, records: ShareStateRecord[]): Promise<void> {
    const log = this.services.logs.get(OFFSETS_TOPIC, partition);
    if (!log) throw new CoordinatorWriteError(ErrorCode.NOT_COORDINATOR, `no replica of ${OFFSETS_TOPIC}-${partition} here`);
    const batch = buildRecordBatch({ records: records.map((r) => groupKeyed(encodeShareRecord(r))) });
    const out = await partitionWriter(this.services).write(OFFSETS_TOPIC, partition, this.writeTimeoutMs, () => log.append(batch));
    if (out.errorCode !== 0) throw new CoordinatorWriteError(out.errorCode, `share group records not written to ${OFFSETS_TOPIC}-${partition} (error ${out.errorCode})`);
  }

  /** Group-level share records of one `__consumer_offsets` partition (this broker leads it), in log order. */
  async *loadGroupRecords(partition: number): AsyncIterable<ShareStateRecord> {
    const log = this.services.logs.get(OFFSETS_TOPIC, partition);
    if (!log) return;
    for await (const r of replayKeyedLog(log)) {
      if (r.key.length < 2 || r.key.readInt16BE(0) !== BROOK_SHARE_GROUP_KEY_VERSION) continue;
      const rec = decodeShareRecord(r.key.subarray(2), r.value);
      if (rec && rec.kind !== 'partition') yield rec;
    }
  }

  private async writePartitions(records: ReadonlyArray<Extract<ShareStateRecord, { kind: 'partition' }>>): Promise<void> {
    if (records.length === 0) return;
    const leader = await this.stateLeader();
    if (leader === this.services.metadata.self().nodeId) {
      for (const r of records) {
        const code = r.snapshot
          ? await this.stateCoordinator.write(r.group, r.topicId, r.partition, r.leaderEpoch ?? -1, r.stateEpoch ?? 0, r.snapshot)
          : await this.stateCoordinator.reset(r.group, r.topicId, r.partition, -1);
        if (code !== 0) throw new CoordinatorWriteError(code, `share state of ${r.topicId}-${r.partition} not written (error ${code})`);
      }
      return;
    }
    const client = await this.peers.get(leader);
    const byGroup = new Map<string, typeof records>();
    for (const r of records) byGroup.set(r.group, [...(byGroup.get(r.group) ?? []), r]);
    for (const [group, rs] of byGroup) {
      const writes = rs.filter((r) => r.snapshot);
      const deletes = rs.filter((r) => !r.snapshot);
      if (writes.length > 0) {
        const res = await client.request<WriteShareGroupStateResponse>(WRITE_SHARE_GROUP_STATE, 0, {
          groupId: group,
          topics: writes.map((r) => ({
            topicId: Buffer.from(r.topicId, 'hex'),
            partitions: [{ partition: r.partition, stateEpoch: r.stateEpoch ?? 0, leaderEpoch: r.leaderEpoch ?? -1, startOffset: BigInt(r.snapshot!.startOffset), stateBatches: toStateBatches(r.snapshot!) }],
          })),
        });
        failOn(res.results.flatMap((t) => t.partitions.map((p) => p.errorCode)), 'WriteShareGroupState');
      }
      if (deletes.length > 0) {
        const res = await client.request<DeleteShareGroupStateResponse>(DELETE_SHARE_GROUP_STATE, 0, {
          groupId: group,
          topics: deletes.map((r) => ({ topicId: Buffer.from(r.topicId, 'hex'), partitions: [{ partition: r.partition }] })),
        });
        failOn(res.results.flatMap((t) => t.partitions.map((p) => p.errorCode)), 'DeleteShareGroupState');
      }
    }
  }

  /** The persisted state of one share-partition, read from the share coordinator; null snapshot when it has none. */
  async read(group: string, topicId: string, partition: number, leaderEpoch: number): Promise<StateRead> {
    const leader = await this.stateLeader().catch(() => NO_LEADER);
    if (leader === NO_LEADER) return { errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE };
    if (leader === this.services.metadata.self().nodeId) return this.stateCoordinator.read(group, topicId, partition, leaderEpoch);
    try {
      const client = await this.peers.get(leader);
      const res = await client.request<ReadShareGroupStateResponse>(READ_SHARE_GROUP_STATE, 0, {
        groupId: group,
        topics: [{ topicId: Buffer.from(topicId, 'hex'), partitions: [{ partition, leaderEpoch }] }],
      });
      const p = res.results[0]?.partitions[0];
      if (!p) return { errorCode: ErrorCode.UNKNOWN_SERVER_ERROR };
      if (p.errorCode !== 0) return { errorCode: p.errorCode };
      if (p.startOffset < 0n) return { errorCode: 0, snapshot: null, leaderEpoch: -1, stateEpoch: p.stateEpoch };
      const snapshot = fromStateBatches(Number(p.startOffset), p.stateBatches);
      return snapshot ? { errorCode: 0, snapshot, leaderEpoch, stateEpoch: p.stateEpoch } : { errorCode: ErrorCode.UNKNOWN_SERVER_ERROR };
    } catch (err) {
      this.services.logger.warn({ group, topicId, partition, err: String(err) }, 'cannot read share state from the share coordinator');
      return { errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE };
    }
  }

  /**
   * AlterShareGroupOffsets (startOffset >= 0) and DeleteShareGroupOffsets (-1) at the share coordinator: the
   * state is reset under the next state epoch (InitializeShareGroupState / DeleteShareGroupState when remote).
   */
  async reset(group: string, topicId: string, partition: number, startOffset: number): Promise<number> {
    try {
      const leader = await this.stateLeader();
      if (leader === this.services.metadata.self().nodeId) return await this.stateCoordinator.reset(group, topicId, partition, startOffset);
      const client = await this.peers.get(leader);
      const id = Buffer.from(topicId, 'hex');
      const res =
        startOffset >= 0
          ? await client.request<InitializeShareGroupStateResponse>(INITIALIZE_SHARE_GROUP_STATE, 0, { groupId: group, topics: [{ topicId: id, partitions: [{ partition, stateEpoch: -1, startOffset: BigInt(startOffset) }] }] })
          : await client.request<DeleteShareGroupStateResponse>(DELETE_SHARE_GROUP_STATE, 0, { groupId: group, topics: [{ topicId: id, partitions: [{ partition }] }] });
      return res.results[0]?.partitions[0]?.errorCode ?? ErrorCode.UNKNOWN_SERVER_ERROR;
    } catch (err) {
      this.services.logger.warn({ group, topicId, partition, err: String(err) }, 'cannot reset share state at the share coordinator');
      return err instanceof CoordinatorWriteError ? err.errorCode : ErrorCode.COORDINATOR_NOT_AVAILABLE;
    }
  }

  /** Produce (acks=all) of one batch to another broker's partition: the dead-letter topic led elsewhere. */
  async produce(leader: number, topic: string, partition: number, batch: Buffer, timeoutMs: number): Promise<void> {
    const client = await this.peers.get(leader);
    const res = await client.request<ProduceResponse>(PRODUCE, 9, {
      transactionalId: null,
      acks: -1,
      timeoutMs,
      topicData: [{ name: topic, partitionData: [{ index: partition, records: batch }] }],
    });
    const code = res.responses[0]?.partitionResponses[0]?.errorCode ?? ErrorCode.UNKNOWN_SERVER_ERROR;
    if (code !== ErrorCode.NONE) throw new Error(`broker ${leader} refused the write to ${topic}-${partition} (error ${code})`);
  }

  /** Creates `__brook_share_state` if needed; the node id of its partition's leader. */
  async stateLeader(): Promise<number> {
    const { metadata } = this.services;
    if (!metadata.topic(SHARE_STATE_TOPIC)) {
      try {
        await ensureInternalTopic(metadata, SHARE_STATE_TOPIC, shareStateTopicOptions(this.services));
      } catch (err) {
        // too few brokers alive yet: the writer keeps the state and tries again
        if (err instanceof MetadataError) throw new CoordinatorWriteError(ErrorCode.COORDINATOR_NOT_AVAILABLE, err.message);
        throw err;
      }
    }
    const leader = metadata.partitionState(SHARE_STATE_TOPIC, 0)?.leader ?? NO_LEADER;
    if (leader === NO_LEADER) throw new CoordinatorWriteError(ErrorCode.COORDINATOR_NOT_AVAILABLE, `${SHARE_STATE_TOPIC} has no leader`);
    return leader;
  }

  close(): void {
    this.peers.close();
  }
}

function groupKeyed(r: { key: Buffer; value: Buffer | null }): { key: Buffer; value: Buffer | null } {
  return { key: Buffer.concat([new Writer(2).int16(BROOK_SHARE_GROUP_KEY_VERSION).toBuffer(), r.key]), value: r.value };
}

function failOn(codes: number[], api: string): void {
  const bad = codes.find((c) => c !== 0);
  if (bad !== undefined) throw new CoordinatorWriteError(bad, `${api} refused by the share coordinator (error ${bad})`);
}
