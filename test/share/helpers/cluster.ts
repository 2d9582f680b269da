import { coordinatorOf as coordinatorAt, withClient, type CoordinatorKeyType } from '../../helpers/coordinators';
import { eventually } from '../../helpers/eventually';
import type { RawClient } from '../../helpers/rawClient';
import { CLUSTER_POLL, type ProcessCluster } from '../../cluster/helpers/processCluster';

/** Runs `fn` on a new connection to broker `nodeId` of the cluster. */
export function onBroker<T>(c: ProcessCluster, nodeId: number, fn: (raw: RawClient) => Promise<T>): Promise<T> {
  return withClient(c.brokers.get(nodeId)!.port, fn);
}

/** The node FindCoordinator names for a group key (0) or a share key (2), asked of the cluster's first broker until one is named. */
export async function coordinatorOf(c: ProcessCluster, key: string, keyType: CoordinatorKeyType = 0): Promise<number> {
  let node = -1;
  await eventually(
    async () => {
      node = await coordinatorAt([...c.brokers.values()][0]!.port, key, keyType);
      return node > 0;
    },
    `a coordinator for ${key}`,
    CLUSTER_POLL,
  );
  return node;
}
