import { ErrorCode } from '../../protocol/errors';
import type { BrokerServices } from '../handlers/types';
import { partitionLog } from '../metadata/partitionLogs';
import { NO_LEADER } from '../metadata/types';
import { partitionWriter } from '../replication/partitionWriter';
import type { DlqTarget } from './dlq';
import { isView, VIEW_OF } from '../views/viewTopics';
import { isReservedInternalTopic } from '../internalTopics/names';

/** Sends a batch to another broker's partition (Produce, acks=all); throws unless it was acknowledged. */
export type RemoteProduce = (leader: number, topic: string, partition: number, batch: Buffer) => Promise<void>;

/**
 * Where dead-lettered records go: partition 0 of the group's DLQ topic, through the write path
 * (acks=all) when this broker leads it, else produced to its leader (cluster mode).
 */
export function dlqTarget(services: BrokerServices, writeTimeoutMs: number, remote: RemoteProduce | null): DlqTarget {
  const { metadata } = services;
  return {
    async append(dlqTopic, sourceTopic, sourcePartition, batch) {
      // set before the config check refused internal topics: the records stay in flight, with a log line
      if (isReservedInternalTopic(dlqTopic)) throw new Error(`dead-letter topic ${dlqTopic} is an internal topic, which cannot be written to`);
      const rf = metadata.partitionState(sourceTopic, sourcePartition)?.replicas.length ?? 1;
      const topic = metadata.topic(dlqTopic) ?? (await metadata.ensureTopic(dlqTopic, { partitions: 1, replicationFactor: rf }));
      // a filtered view is read-only (its records are its source's): the records stay in flight, with a log line
      if (isView(topic)) throw new Error(`dead-letter topic ${dlqTopic} is a filtered view of ${topic.configs[VIEW_OF]}, which cannot be written to`);
      const leader = services.clustered ? (metadata.partitionState(dlqTopic, 0)?.leader ?? NO_LEADER) : metadata.self().nodeId;
      if (leader === NO_LEADER) throw new Error(`dead-letter topic ${dlqTopic} has no leader`);
      if (leader !== metadata.self().nodeId) {
        if (!remote) throw new Error(`dead-letter topic ${dlqTopic} is led by broker ${leader}`);
        await remote(leader, dlqTopic, 0, batch);
        return;
      }
      const found = await partitionLog(services, topic, 0, { waitForRecovery: true });
      if (!found.log) throw new Error(`dead-letter topic ${dlqTopic} unavailable (error ${found.errorCode})`);
      const log = found.log;
      const out = await partitionWriter(services).write(dlqTopic, 0, writeTimeoutMs, () => log.append(batch));
      if (out.errorCode !== ErrorCode.NONE) throw new Error(`dead-letter write to ${dlqTopic} failed (error ${out.errorCode})`);
    },
  };
}
