import { PeerClients } from '../replication/peerClients';
import { ErrorCode } from '../../protocol/errors';
import type { WriteTxnMarkersResponse } from '../../protocol/generated/messages/WriteTxnMarkersResponse';
import type { TxnBroker } from './txnBroker';
import { partitionLog } from '../metadata/partitionLogs';
import { NO_LEADER, type TopicInfo } from '../metadata/types';
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
  private readonly peers: PeerClients;

  constructor(private readonly services: TxnBroker) {
    this.peers = new PeerClients(services, () => `brook-txn-${services.metadata.self().nodeId}`);
  }

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
    const client = await this.peers.get(state.leader);
    const res = await client.request<WriteTxnMarkersResponse>(WRITE_TXN_MARKERS, 1, {
      markers: [{ producerId, producerEpoch: epoch, transactionResult: commit, topics: [{ name: info.name, partitionIndexes: [partition] }], coordinatorEpoch }],
    });
    const code = res.markers[0]?.topics[0]?.partitions[0]?.errorCode ?? ErrorCode.UNKNOWN_SERVER_ERROR;
    if (code !== ErrorCode.NONE) throw new Error(`broker ${state.leader} refused the marker for ${info.name}-${partition} (error ${code})`);
  }

  close(): void {
    this.peers.close();
  }
}
