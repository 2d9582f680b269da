import type { BrokerCore } from '../brokerCore';
import type { MetadataService } from '../metadata/types';
import type { ReplicaManager } from './replicaManager';

/** What the leader checks and the write path read: who leads what (metadata) and this broker's replicas. */
export interface LeaderView {
  metadata: Pick<MetadataService, 'topic' | 'partitionState' | 'self'>;
  /** Absent in single-broker mode: this broker leads every partition at epoch 0 and is its whole ISR. */
  replication?: ReplicaManager;
}

/** A broker as the leader checks and the write path see it: its core plus replication when it runs (cluster mode). */
export interface ReplicatedBroker extends BrokerCore {
  /** Partition roles, follower fetchers, ISR and acks=all; absent in single-broker mode. */
  replication?: ReplicaManager;
}
