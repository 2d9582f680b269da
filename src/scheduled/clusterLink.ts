import { PeerClients } from '../replication/peerClients';
import { ErrorCode } from '../../protocol/errors';
import { ApiKey } from '../../protocol/generated/apis';
import type { AddPartitionsToTxnResponse } from '../../protocol/generated/messages/AddPartitionsToTxnResponse';
import type { FetchResponse } from '../../protocol/generated/messages/FetchResponse';
import type { ListOffsetsResponse } from '../../protocol/generated/messages/ListOffsetsResponse';
import type { OffsetForLeaderEpochResponse } from '../../protocol/generated/messages/OffsetForLeaderEpochResponse';
import type { ProduceResponse } from '../../protocol/generated/messages/ProduceResponse';
import type { BrokerServices } from '../handlers/types';
import { NO_LEADER } from '../metadata/types';
import type { BrokerClient } from '../replication/brokerClient';

/** The client id of the scheduler's inter-broker connections: Produce does not schedule what they move. */
export const SCHEDULER_CLIENT_PREFIX = 'brook-scheduler-';

/** A failed inter-broker exchange: the Kafka error code the other broker answered (or UNKNOWN_SERVER_ERROR). */
export class RemoteWriteError extends Error {
  constructor(readonly errorCode: number, message: string) {
    super(message);
  }
}

/**
 * Cluster mode: the scheduler's reach into partitions another broker leads, over one reused inter-broker
 * connection per broker (as the trace writer and share dead-letter copies do). Produce acks=all to append,
 * ListOffsets for a high watermark and Fetch (as a consumer: up to the high watermark) to read back.
 */
export class ClusterLink {
  private readonly peers: PeerClients;

  constructor(private readonly services: BrokerServices) {
    // a broker that cannot be reached has written nothing: LEADER_NOT_AVAILABLE lets the caller retry
    this.peers = new PeerClients(services, () => `${SCHEDULER_CLIENT_PREFIX}${this.selfId}`, (m) => new RemoteWriteError(ErrorCode.LEADER_NOT_AVAILABLE, m));
  }

  private peer(nodeId: number): Promise<BrokerClient> {
    if (nodeId === NO_LEADER) return Promise.reject(new RemoteWriteError(ErrorCode.LEADER_NOT_AVAILABLE, 'partition has no leader'));
    return this.peers.get(nodeId);
  }

  leaderOf(topic: string, partition: number): number {
    return this.services.metadata.partitionState(topic, partition)?.leader ?? NO_LEADER;
  }

  /** The leader epoch this broker's metadata has for the partition (-1: none known; the leader does not check it then). */
  leaderEpochOf(topic: string, partition: number): number {
    return this.services.metadata.partitionState(topic, partition)?.leaderEpoch ?? -1;
  }

  get selfId(): number {
    return this.services.metadata.self().nodeId;
  }

  async produce(leader: number, topic: string, partition: number, batch: Buffer, acks: number, timeoutMs: number): Promise<void> {
    const client = await this.peer(leader);
    const res = await client.request<ProduceResponse>(ApiKey.Produce, 9, { transactionalId: null, acks, timeoutMs, topicData: [{ name: topic, partitionData: [{ index: partition, records: batch }] }] });
    const p = res.responses[0]?.partitionResponses[0];
    const code = p?.errorCode ?? ErrorCode.UNKNOWN_SERVER_ERROR;
    if (code !== ErrorCode.NONE) throw new RemoteWriteError(code, `broker ${leader} refused the write to ${topic}-${partition} (error ${code}${p?.errorMessage ? `: ${p.errorMessage}` : ''})`);
  }

  /**
   * The leader's log end offset, records above its high watermark included: OffsetForLeaderEpoch for the
   * leader's current epoch (`leaderEpoch`, also sent as the current epoch, so a deposed leader refuses),
   * asked as a replica would (replica id = this broker, CLUSTER_ACTION).
   */
  async logEnd(leader: number, topic: string, partition: number, leaderEpoch: number): Promise<number> {
    const client = await this.peer(leader);
    const res = await client.request<OffsetForLeaderEpochResponse>(ApiKey.OffsetForLeaderEpoch, 4, {
      replicaId: this.selfId,
      topics: [{ topic, partitions: [{ partition, currentLeaderEpoch: leaderEpoch, leaderEpoch }] }],
    });
    const p = res.topics[0]?.partitions[0];
    if (!p || p.errorCode !== 0 || leaderEpoch < 0 || p.leaderEpoch !== leaderEpoch || p.endOffset < 0n) {
      throw new RemoteWriteError(p?.errorCode || ErrorCode.UNKNOWN_LEADER_EPOCH, `broker ${leader} cannot tell the log end of ${topic}-${partition} at epoch ${leaderEpoch} (error ${p?.errorCode}, epoch ${p?.leaderEpoch})`);
    }
    return Number(p.endOffset);
  }

  /** The leader's high watermark of `topic`-`partition` (ListOffsets latest, read-uncommitted). */
  async highWatermark(leader: number, topic: string, partition: number, leaderEpoch = -1): Promise<number> {
    const client = await this.peer(leader);
    const res = await client.request<ListOffsetsResponse>(ApiKey.ListOffsets, 5, {
      replicaId: -1,
      isolationLevel: 0,
      topics: [{ name: topic, partitions: [{ partitionIndex: partition, currentLeaderEpoch: leaderEpoch, timestamp: -1n, maxNumOffsets: 1 }] }],
      timeoutMs: 30_000,
    });
    const p = res.topics[0]?.partitions[0];
    if (!p || p.errorCode !== 0) throw new RemoteWriteError(p?.errorCode ?? ErrorCode.UNKNOWN_SERVER_ERROR, `broker ${leader} cannot list offsets of ${topic}-${partition} (error ${p?.errorCode})`);
    return Number(p.offset);
  }

  /** Batches of `topic`-`partition` from `offset` as the leader serves a consumer, with its high watermark. */
  async fetch(leader: number, topic: string, partition: number, offset: number, maxBytes: number, leaderEpoch = -1): Promise<{ records: Buffer | null; highWatermark: number; logStartOffset: number }> {
    const client = await this.peer(leader);
    const res = await client.request<FetchResponse>(ApiKey.Fetch, 12, {
      replicaId: -1,
      maxWaitMs: 0,
      minBytes: 0,
      maxBytes,
      isolationLevel: 0,
      sessionId: 0,
      sessionEpoch: -1,
      topics: [{ topic, partitions: [{ partition, currentLeaderEpoch: leaderEpoch, fetchOffset: BigInt(offset), lastFetchedEpoch: -1, logStartOffset: -1n, partitionMaxBytes: maxBytes }] }],
      forgottenTopicsData: [],
      rackId: '',
    });
    const p = res.responses[0]?.partitions[0];
    const code = res.errorCode !== 0 ? res.errorCode : (p?.errorCode ?? ErrorCode.UNKNOWN_SERVER_ERROR);
    if (code !== 0 || !p) throw new RemoteWriteError(code, `broker ${leader} cannot serve a fetch of ${topic}-${partition} at ${offset} (error ${code})`);
    return { records: p.records ? Buffer.from(p.records) : null, highWatermark: Number(p.highWatermark), logStartOffset: Number(p.logStartOffset) };
  }

  /** AddPartitionsToTxn v4 (the brokers' form) to the transaction coordinator: adds one partition; its error code. */
  async addToTransaction(coordinator: number, transactionalId: string, producerId: bigint, epoch: number, topic: string, partition: number): Promise<number> {
    const client = await this.peer(coordinator);
    const res = await client.request<AddPartitionsToTxnResponse>(ApiKey.AddPartitionsToTxn, 4, {
      transactions: [{ transactionalId, producerId, producerEpoch: epoch, verifyOnly: false, topics: [{ name: topic, partitions: [partition] }] }],
    });
    if (res.errorCode !== 0) return res.errorCode;
    return res.resultsByTransaction[0]?.topicResults[0]?.resultsByPartition[0]?.partitionErrorCode ?? ErrorCode.UNKNOWN_SERVER_ERROR;
  }

  close(): void {
    this.peers.close();
  }
}
