import { ErrorCode } from '../../protocol/errors';
import type { BrokerServices, RequestContext } from '../handlers/types';
import type { Logger } from '../log';
import { OffsetsPlacement } from '../metadata/coordinatorPlacement';
import { hostsReplica } from '../metadata/followMetadata';
import type { MetadataService } from '../metadata/types';
import { OFFSETS_TOPIC } from './offsetsTopicRecords';
import { DEFAULT_GROUP_CONFIG, groupConfigFromProperties } from './config';
import { GroupCoordinator } from './coordinator';
import { OffsetsTopicLog } from './offsetsTopicLog';
import { partitionWriter } from '../replication/partitionWriter';
import { replacePendingOffsets } from '../txn/clusterOffsets';

/**
 * Builds the broker's group coordinator on top of its metadata and storage:
 * ensures `__consumer_offsets`, replays it, and puts the coordinator in
 * `services.groups` for the group handlers.
 */
export async function startGroupCoordinator(services: BrokerServices): Promise<GroupCoordinator> {
  const config = groupConfigFromProperties(services.config.raw ?? {});
  const logger = services.logger.child({ component: 'groups' });
  // the coordinator below, once built: its replay reports the pending transactional offsets it found
  let pendingOwner: GroupCoordinator | undefined;
  const log = new OffsetsTopicLog({
    metadata: services.metadata,
    logs: services.logs,
    partitions: config.offsetsTopicPartitions ?? 50,
    // Cluster mode: only this broker's replicas of __consumer_offsets have logs here.
    hosts: services.clustered ? (p) => hostsReplica(services.metadata, OFFSETS_TOPIC, p) : undefined,
    // Like Kafka's offsets.commit.required.acks=-1: the topic's min.insync.replicas, else the broker's.
    writer: partitionWriter(services),
    writeTimeoutMs: config.offsetsCommitTimeoutMs ?? DEFAULT_GROUP_CONFIG.offsetsCommitTimeoutMs,
    // Cluster mode: TxnOffsetCommit offsets replayed without their marker wait for it in the pending map.
    onPendingTxnOffsets: services.clustered
      ? (p, pending) => {
          replacePendingOffsets(services, p, pending);
          pendingOwner?.txnOffsets.notePendingRecords(pending);
        }
      : undefined,
  });
  await log.open();
  const { metadata } = services;
  // consumer groups re-resolve subscriptions only when this moved (src/groups/consumerCoordinator.ts)
  let topicsVersion = 0;
  let deletedTopic: (topic: string) => Promise<void> = () => Promise.resolve();
  const stopCounting = metadata.onChange((e) => {
    if (e.type === 'topic-created' || e.type === 'topic-deleted' || e.type === 'partitions-added') topicsVersion++;
    if (e.type !== 'topic-deleted') return undefined;
    const forgotten = deletedTopic(e.topic.name);
    // Single broker: DeleteTopics answers once the listeners are done, so the offsets are gone before a client can
    // re-create the topic. Cluster mode: not awaited, since the tombstones' acks=all write may wait for an ISR change
    // that this same metadata event path has to deliver (the coordinator's loads stay off it for the same reason).
    return services.clustered ? undefined : forgotten;
  });
  const placement = services.clustered ? new OffsetsPlacement(metadata, config.offsetsTopicPartitions ?? 50) : null;
  const coordinator = new GroupCoordinator({
    config,
    log,
    logger,
    topics: {
      byName: (name) => metadata.topic(name),
      byId: (id) => metadata.topicById(id),
      names: () => metadata.topics().map((t) => t.name),
      version: () => topicsVersion,
    },
    partitionOf: placement ? (groupId) => placement.partitionOf(groupId) : undefined,
    // the share services, started after this, keep them
    groupConfigs: (groupId) => services.groupConfigs?.(groupId),
  });
  pendingOwner = coordinator;
  deletedTopic = async (topic) => {
    const removed = await coordinator.forgetTopic(topic).catch((err: unknown) => {
      logger.warn({ topic, err: String(err) }, 'removing the committed offsets of a deleted topic failed');
      return 0;
    });
    if (removed > 0) logger.info({ topic, partitions: removed }, 'committed offsets of a deleted topic removed');
  };
  const stopCoordinator = coordinator.stop.bind(coordinator);
  let stopFollowing: () => void = () => undefined;
  coordinator.stop = () => {
    stopCounting();
    stopFollowing();
    stopCoordinator();
  };
  if (placement) {
    await coordinator.start(placement.ledPartitions());
    stopFollowing = followOffsetsLeadership(metadata, log, coordinator, logger);
  } else {
    await coordinator.start();
  }
  services.groups = coordinator;
  return coordinator;
}

/**
 * Cluster mode: the coordinator serves the groups of the `__consumer_offsets`
 * partitions this broker leads, loading a partition when it gains leadership
 * and dropping its groups when it loses it. Loads run one after another, off
 * the metadata event path, so a long replay does not hold up other events.
 */
function followOffsetsLeadership(metadata: MetadataService, log: OffsetsTopicLog, coordinator: GroupCoordinator, logger: Logger): () => void {
  let chain: Promise<void> = Promise.resolve();
  const run = (what: string, fn: () => Promise<void> | void) => {
    chain = chain.then(fn).catch((err: unknown) => logger.error({ err: err instanceof Error ? err.message : String(err) }, what));
  };
  const selfId = () => metadata.self().nodeId;
  return metadata.onChange((e) => {
    if (e.type === 'topic-created' && e.topic.name === OFFSETS_TOPIC) {
      run('cannot open the offsets topic', async () => {
        await log.open();
        for (let p = 0; p < e.topic.partitions; p++) if (metadata.partitionState(OFFSETS_TOPIC, p)?.leader === selfId()) await coordinator.loadPartition(p);
      });
    } else if (e.type === 'partition-changed' && e.state.topic === OFFSETS_TOPIC) {
      const p = e.state.partition;
      if (e.state.leader === selfId()) run('cannot load group partition', async () => {
        await log.open();
        await coordinator.loadPartition(p);
      });
      else run('cannot unload group partition', () => coordinator.unloadPartition(p));
    }
  });
}

/**
 * The coordinator of the broker serving this request, or null while it is not
 * running or (cluster mode, when `groupId` is given) does not serve that group.
 */
export function groupCoordinator(ctx: RequestContext, groupId?: string): GroupCoordinator | null {
  const g = ctx.broker.groups;
  if (!g?.isLoaded) return null;
  return groupId === undefined || g.ownsGroup(groupId) ? g : null;
}

/** Why groupCoordinator(ctx, groupId) gave null: not running here, or another broker coordinates the group. */
export function groupCoordinatorError(ctx: RequestContext, groupId: string): number {
  const g = ctx.broker.groups;
  if (!g?.isLoaded) return ErrorCode.COORDINATOR_NOT_AVAILABLE;
  return g.ownsGroup(groupId) ? ErrorCode.NONE : ErrorCode.NOT_COORDINATOR;
}

/** Keeps request payloads that outlive the request from pinning the whole request frame. */
export function ownBytes(b: Buffer): Buffer {
  return Buffer.from(b);
}

export function clientHost(ctx: RequestContext): string {
  return `/${ctx.connection.remoteAddress}`;
}
