import type { BrokerServices } from '../handlers/types';
import { partitionLog } from '../metadata/partitionLogs';
import { ShareCoordinator } from './coordinator';
import { DEFAULT_MAX_SESSIONS, ShareSessions } from './sessions';
import { ShareStateLog } from './stateLog';
import { dlqTarget } from './dlqTarget';
import { ShareStateCoordinator } from './stateCoordinator';
import { ClusterShareState } from './clusterState';
import { shareStateTopicOptions } from './stateTopic';
import { SHARE_STATE_TOPIC } from './records';
import { OFFSETS_TOPIC, offsetsPartitionFor } from '../groups/offsetsTopicRecords';
import { groupConfigFromProperties } from '../groups/config';
import type { ShareClusterView } from './coordinator';
import { partitionWriter } from '../replication/partitionWriter';
import { isView, servingTopicName } from '../views/viewTopics';
import { viewSource } from '../views/viewSource';
import type { RecordFilter } from '../views/recordFilter';

export interface ShareServices {
  coordinator: ShareCoordinator;
  sessions: ShareSessions;
  /** Cluster mode: the share coordinator's side (Read/Write/DeleteShareGroupState), active on the leader of `__brook_share_state`-0. */
  state?: ShareStateCoordinator;
  /** Cluster mode: reads of persisted share-partition state from the share coordinator. */
  cluster?: ClusterShareState;
}

/** Kept beside the services bag rather than in it, so the share code needs no slot in the shared BrokerServices type. */
const byBroker = new WeakMap<object, ShareServices>();

export function shareServicesOf(services: BrokerServices): ShareServices | undefined {
  return byBroker.get(services);
}

/**
 * Replays `__brook_share_state` and makes share groups servable on this broker. In cluster mode
 * (Kafka's split): the broker leading a data partition owns its share-partitions and persists
 * them at the share coordinator, the leader of `__brook_share_state`-0; the group's coordinator
 * (leader of its `__consumer_offsets` partition) keeps the group's members and configs there.
 */
export async function startShareServices(services: BrokerServices): Promise<{ stop(): void }> {
  const { metadata } = services;
  const logger = services.logger.child({ component: 'share' });
  const writeTimeoutMs = Number(services.config.raw['request.timeout.ms'] ?? 30_000);
  const writer = partitionWriter(services);
  const selfId = () => metadata.self().nodeId;
  let state: ShareStateCoordinator | undefined;
  let cluster: ClusterShareState | undefined;
  let view: ShareClusterView | undefined;
  let log: ShareStateLog;
  if (services.clustered) {
    const stateLog = new ShareStateLog({ metadata, logs: services.logs, writer, writeTimeoutMs, clustered: { topicOptions: () => shareStateTopicOptions(services) } });
    state = new ShareStateCoordinator({
      log: stateLog,
      leaderEpoch: () => {
        const st = metadata.partitionState(SHARE_STATE_TOPIC, 0);
        return st && st.leader === selfId() ? st.leaderEpoch : null;
      },
      logger,
    });
    const offsetsPartitions = () => metadata.topic(OFFSETS_TOPIC)?.partitions ?? groupConfigFromProperties(services.config.raw ?? {}).offsetsTopicPartitions ?? 50;
    const c = new ClusterShareState(services, state, offsetsPartitions, writeTimeoutMs);
    cluster = c;
    log = new ShareStateLog({ metadata, logs: services.logs, writer, writeTimeoutMs, sink: (records) => c.write(records) });
    view = {
      leaderEpoch: (topicName, partition) => {
        // a view's partition is led by its source partition's leader, which owns its share-partitions too
        const topic = metadata.topic(topicName);
        const st = metadata.partitionState(topic ? servingTopicName(topic) : topicName, partition);
        return st && st.leader === selfId() ? st.leaderEpoch : null;
      },
      read: (group, topicId, partition, leaderEpoch) => c.read(group, topicId, partition, leaderEpoch),
      groupPlacement: (group) => {
        const st = metadata.partitionState(OFFSETS_TOPIC, offsetsPartitionFor(group, offsetsPartitions()));
        return st ? { epoch: st.leaderEpoch, leads: st.leader === selfId() } : null;
      },
      groupLogEnd: (group) => services.logs.get(OFFSETS_TOPIC, offsetsPartitionFor(group, offsetsPartitions()))?.logEndOffset ?? null,
      groupRecords: (group) => c.loadGroupRecords(offsetsPartitionFor(group, offsetsPartitions())),
    };
  } else {
    log = new ShareStateLog({ metadata, logs: services.logs, writer, writeTimeoutMs });
  }
  const coordinator = new ShareCoordinator({
    log,
    topics: { byName: (n) => metadata.topic(n), byId: (id) => metadata.topicById(id), all: () => metadata.topics() },
    partitionLog: async (topicName, partition) => {
      let topic = metadata.topic(topicName);
      if (!topic) return { errorCode: 3 };
      let filter: RecordFilter | null = null;
      if (isView(topic)) {
        // a filtered view: its source's log, and only the records its filter keeps
        const v = viewSource(metadata, topic);
        if ('message' in v) {
          logger.error({ view: topicName, errorCode: v.errorCode }, v.message);
          return { errorCode: v.errorCode };
        }
        topic = v.source;
        filter = v.filter;
      }
      const found = await partitionLog(services, topic, partition, { waitForRecovery: true });
      return found.log ? { log: found.log, filter } : { errorCode: found.errorCode };
    },
    dlq: dlqTarget(services, writeTimeoutMs, cluster ? (leader, topic, partition, batch) => cluster!.produce(leader, topic, partition, batch, writeTimeoutMs) : null),
    logger,
    cluster: view,
  });
  const maxSessions = Number(services.config.raw['group.share.max.share.sessions'] ?? DEFAULT_MAX_SESSIONS);
  const sessions = new ShareSessions(Number.isInteger(maxSessions) && maxSessions > 0 ? maxSessions : DEFAULT_MAX_SESSIONS);
  coordinator.onMemberGone = (group, member) => void sessions.close(group, member);
  await coordinator.start();
  services.groupConfigs = (group) => coordinator.groups.get(group)?.config;
  byBroker.set(services, { coordinator, sessions, state, cluster });
  return {
    stop() {
      coordinator.stop();
      cluster?.close();
      byBroker.delete(services);
    },
  };
}
