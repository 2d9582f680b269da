import type { BrokerServices } from '../handlers/types';
import { partitionLog } from '../metadata/partitionLogs';
import { ShareCoordinator } from './coordinator';
import { ShareSessions } from './sessions';
import { ShareStateLog } from './stateLog';
import { partitionWriter } from '../replication/partitionWriter';

export interface ShareServices {
  coordinator: ShareCoordinator;
  sessions: ShareSessions;
}

/** Kept beside the services bag rather than in it, so the share code needs no slot in the shared BrokerServices type. */
const byBroker = new WeakMap<object, ShareServices>();

export function shareServicesOf(services: BrokerServices): ShareServices | undefined {
  return byBroker.get(services);
}

/**
 * Replays `__brook_share_state` and makes share groups servable on this broker.
 * Single-broker mode only for now: in a cluster the share-partition state would have to be
 * written from each data partition's leader to the state topic's leader (Kafka's
 * WriteShareGroupState), which Brook does not do yet, so the share APIs answer
 * COORDINATOR_NOT_AVAILABLE there rather than keep state that a failover would lose.
 */
export async function startShareServices(services: BrokerServices): Promise<{ stop(): void }> {
  const { metadata } = services;
  const logger = services.logger.child({ component: 'share' });
  if (services.clustered) {
    logger.info({}, 'share groups are not served in cluster mode yet');
    return { stop() {} };
  }
  const coordinator = new ShareCoordinator({
    log: new ShareStateLog({ metadata, logs: services.logs, writer: partitionWriter(services), writeTimeoutMs: Number(services.config.raw['request.timeout.ms'] ?? 30_000) }),
    topics: { byName: (n) => metadata.topic(n), byId: (id) => metadata.topicById(id) },
    partitionLog: async (topicName, partition) => {
      const topic = metadata.topic(topicName);
      if (!topic) return { errorCode: 3 };
      const found = await partitionLog(services, topic, partition);
      return found.log ? { log: found.log } : { errorCode: found.errorCode };
    },
    dlq: {
      async open(dlqTopic, sourceTopic, sourcePartition) {
        const rf = metadata.partitionState(sourceTopic, sourcePartition)?.replicas.length ?? 1;
        const topic = metadata.topic(dlqTopic) ?? (await metadata.ensureTopic(dlqTopic, { partitions: 1, replicationFactor: rf }));
        const found = await partitionLog(services, topic, 0);
        if (!found.log) throw new Error(`dead-letter topic ${dlqTopic} unavailable (error ${found.errorCode})`);
        return found.log;
      },
    },
    logger,
  });
  const sessions = new ShareSessions();
  coordinator.onMemberGone = (group, member) => void sessions.close(group, member);
  await coordinator.start();
  byBroker.set(services, { coordinator, sessions });
  return {
    stop() {
      coordinator.stop();
      byBroker.delete(services);
    },
  };
}
