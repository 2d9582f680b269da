import { ApiKey } from '../../../protocol/generated/apis';
import type { DescribeShareGroupOffsetsResponse } from '../../../protocol/generated/messages/DescribeShareGroupOffsetsResponse';
import type { IncrementalAlterConfigsResponse } from '../../../protocol/generated/messages/IncrementalAlterConfigsResponse';
import { withClient } from '../../helpers/coordinators';
import { RawClient } from '../../helpers/rawClient';

/** IncrementalAlterConfigs SET on a GROUP resource (what kafka-configs --entity-type groups does). */
export async function setGroupConfigs(port: number, group: string, configs: Record<string, string>): Promise<void> {
  const raw = await RawClient.connect(port);
  try {
    const res = await raw.request<IncrementalAlterConfigsResponse>(ApiKey.IncrementalAlterConfigs, 1, {
      resources: [{ resourceType: 32, resourceName: group, configs: Object.entries(configs).map(([name, value]) => ({ name, configOperation: 0, value })) }],
      validateOnly: false,
    });
    const r = res.responses[0]!;
    if (r.errorCode !== 0) throw new Error(`group configs refused: ${r.errorCode} ${r.errorMessage}`);
  } finally {
    raw.close();
  }
}

/** The share-partition's start offset (DescribeShareGroupOffsets): every record below it is settled. */
export async function shareStartOffset(port: number, group: string, topic: string, partition = 0): Promise<bigint> {
  const res = await withClient(port, (raw) =>
    raw.request<DescribeShareGroupOffsetsResponse>(ApiKey.DescribeShareGroupOffsets, 0, { groups: [{ groupId: group, topics: [{ topicName: topic, partitions: [partition] }] }] }),
  );
  return res.groups[0]!.topics[0]!.partitions[0]!.startOffset;
}
