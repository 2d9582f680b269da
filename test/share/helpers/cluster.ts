import { ApiKey } from '../../../protocol/generated/apis';
import type { FindCoordinatorResponse } from '../../../protocol/generated/messages/FindCoordinatorResponse';
import { eventually } from '../../helpers/eventually';
import { RawClient } from '../../helpers/rawClient';
import { CLUSTER_POLL, type ProcessCluster } from '../../cluster/helpers/processCluster';

export async function onBroker<T>(c: ProcessCluster, nodeId: number, fn: (raw: RawClient) => Promise<T>): Promise<T> {
  const raw = await RawClient.connect(c.brokers.get(nodeId)!.port);
  try {
    return await fn(raw);
  } finally {
    raw.close();
  }
}

/** The node FindCoordinator names for a group key (0) or, from v6, a share key (2: "group:topicId:partition"). */
export async function coordinatorOf(c: ProcessCluster, key: string, keyType: 0 | 2 = 0): Promise<number> {
  let node = -1;
  await eventually(async () => {
    const raw = await RawClient.connect([...c.brokers.values()][0]!.port);
    try {
      if (keyType === 0) {
        const res = await raw.request<FindCoordinatorResponse>(ApiKey.FindCoordinator, 1, { key, keyType: 0 });
        node = res.errorCode === 0 ? res.nodeId : -1;
      } else {
        const res = await raw.request<FindCoordinatorResponse>(ApiKey.FindCoordinator, 6, { keyType: 2, coordinatorKeys: [key] });
        node = res.coordinators[0]?.errorCode === 0 ? res.coordinators[0].nodeId : -1;
      }
    } finally {
      raw.close();
    }
    return node > 0;
  }, `a coordinator for ${key}`, CLUSTER_POLL);
  return node;
}
