import { ErrorCode } from '../../protocol/errors';
import type { WriteTxnMarkersResponse } from '../../protocol/generated/messages/WriteTxnMarkersResponse';
import type { TxnBroker } from './txnBroker';
import { partitionLog } from '../metadata/partitionLogs';
import { NO_LEADER, type TopicInfo } from '../metadata/types';
import { BrokerClient } from '../replication/brokerClient';
import { interBrokerAddress } from '../security/interBroker/address';
import { interBrokerSecurityOf } from '../security/interBroker/settings';
import { afterMarker, markerReadyCode } from './clusterOffsets';
import { appendMarker } from './markers';

const WRITE_TXN_MARKERS = 27;

/**
 * Where a transaction's markers go: the partition's leader. On a single
 * broker, or when this broker leads the partition, the marker is appended
 * here; otherwise it is sent to the leader with WriteTxnMarkers (Kafka's
 * coordinator-to-leader path), over one reused connection per broker.
 */
export class MarkerWriter {
  private readonly clients = new Map<number, Promise<BrokerClient>>();

  constructor(private readonly services: TxnBroker) {}

  async write(info: TopicInfo, partition: number, producerId: bigint, epoch: number, commit: boolean, coordinatorEpoch: number, now: number): Promise<void> {
    const { metadata } = this.services;
    const state = this.services.clustered ? metadata.partitionState(info.name, partition) : undefined;
    if (!state || state.leader === metadata.self().nodeId) {
      const found = await partitionLog(this.services, info, partition, { waitForRecovery: true });
      if (!found.log) throw new Error(`partition ${info.name}-${partition} unavailable (error ${found.errorCode})`);
      const ready = markerReadyCode(this.services, info.name, partition);
      if (ready !== ErrorCode.NONE) throw new Error(`partition ${info.name}-${partition} not ready for markers (error ${ready})`);
      const written = await appendMarker(this.services, found.log, info.name, partition, producerId, epoch, commit, coordinatorEpoch, now);
      if (written !== ErrorCode.NONE) throw new Error(`marker for ${info.name}-${partition} not written (error ${written})`);
      await afterMarker(this.services, info.name, partition, producerId, commit);
      return;
    }
    if (state.leader === NO_LEADER) throw new Error(`partition ${info.name}-${partition} has no leader`);
    const client = await this.client(state.leader);
    const res = await client.request<WriteTxnMarkersResponse>(WRITE_TXN_MARKERS, 1, {
      markers: [{ producerId, producerEpoch: epoch, transactionResult: commit, topics: [{ name: info.name, partitionIndexes: [partition] }], coordinatorEpoch }],
    });
    const code = res.markers[0]?.topics[0]?.partitions[0]?.errorCode ?? ErrorCode.UNKNOWN_SERVER_ERROR;
    if (code !== ErrorCode.NONE) throw new Error(`broker ${state.leader} refused the marker for ${info.name}-${partition} (error ${code})`);
  }

  private async client(nodeId: number): Promise<BrokerClient> {
    const cached = this.clients.get(nodeId);
    if (cached) {
      const c = await cached.catch(() => null);
      if (c && !c.closed) return c;
      this.clients.delete(nodeId);
    }
    const broker = this.services.metadata.brokers().find((b) => b.nodeId === nodeId);
    if (!broker) throw new Error(`broker ${nodeId} is not registered`);
    const security = interBrokerSecurityOf(this.services.config);
    const at = interBrokerAddress(broker, security.listenerName);
    const p = BrokerClient.connect(at.host, at.port, `brook-txn-${this.services.metadata.self().nodeId}`, undefined, security);
    this.clients.set(nodeId, p);
    p.catch(() => this.clients.delete(nodeId));
    return p;
  }

  close(): void {
    for (const p of this.clients.values()) void p.then((c) => c.close()).catch(() => undefined);
    this.clients.clear();
  }
}
