import type { GroupCoordinator } from '../groups/coordinator';
import type { ReplicatedBroker } from '../replication/replicatedBroker';

/**
 * What the transaction coordinator and its marker path use of the broker: the
 * core, replication (markers are written with acks=all) and the group
 * coordinator (transactional offsets become committed offsets at the marker),
 * which its owner fills in once it runs.
 */
export interface TxnBroker extends ReplicatedBroker {
  groups?: GroupCoordinator;
}
