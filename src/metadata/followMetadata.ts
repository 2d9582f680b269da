import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { logConfigFromTopicConfigs } from '../config/logConfigMapping';
import { writeFileAtomic } from './atomicFile';
import type { BrokerCore } from '../brokerCore';
import type { MetadataEvent, MetadataService, TopicInfo } from './types';
import { applySourceTagIndex, withTagIndex } from '../views/sourceIndexing';
import { VIEW_OF } from '../views/viewTopics';

/** Whether this broker keeps a replica of the partition (always, in single-broker mode). */
export function hostsReplica(metadata: MetadataService, topic: string, partition: number): boolean {
  const s = metadata.partitionState(topic, partition);
  return !s || s.replicas.includes(metadata.self().nodeId);
}

/** Creates the missing logs of hosted partitions; returns the partitions whose log was missing. */
async function createHosted(services: BrokerCore, topic: TopicInfo, from: number, to: number): Promise<number[]> {
  const { logs, logger, metadata } = services;
  const cfg = withTagIndex(metadata, topic, logConfigFromTopicConfigs(topic.configs));
  const created = [];
  const missing: number[] = [];
  for (let p = from; p < to; p++) {
    // the log lookup first: at a restart nearly every log exists, and it is the cheaper question
    if (logs.has(topic.name, p) || !hostsReplica(metadata, topic.name, p)) continue;
    missing.push(p);
    created.push(
      logs.create(topic.name, p, cfg).catch((err: unknown) => logger.error({ topic: topic.name, partition: p, err: err instanceof Error ? err.message : String(err) }, 'cannot create partition log')),
    );
  }
  await Promise.all(created);
  return missing;
}

/**
 * Keeps partition logs in step with metadata changes made by any API on any
 * broker: logs exist for the partitions this broker replicates. The listener's
 * promise is awaited by the change, so a created topic has its partition
 * directories (and a deleted one has none) when the client hears back.
 */
export function followMetadata(services: BrokerCore): () => void {
  const { logs, logger, metadata } = services;
  return metadata.onChange(async (e: MetadataEvent) => {
    switch (e.type) {
      case 'topic-created':
        logger.info({ topic: e.topic.name, partitions: e.topic.partitions, topicId: e.topic.id.toString('hex') }, 'topic created');
        await createHosted(services, e.topic, 0, e.topic.partitions);
        // a new tag view: its source's appends keep the tag index from now on
        if (e.topic.configs[VIEW_OF] !== undefined) applySourceTagIndex(metadata, logs, e.topic.configs[VIEW_OF]);
        break;
      case 'topic-deleted':
        logger.info({ topic: e.topic.name }, 'topic deleted');
        await logs.deleteTopic(e.topic.name).catch((err: unknown) => logger.error({ topic: e.topic.name, err: err instanceof Error ? err.message : String(err) }, 'cannot delete topic logs'));
        if (e.topic.configs[VIEW_OF] !== undefined) applySourceTagIndex(metadata, logs, e.topic.configs[VIEW_OF]);
        break;
      case 'partitions-added':
        logger.info({ topic: e.topic.name, partitions: e.topic.partitions, previous: e.previous }, 'partitions added');
        await createHosted(services, e.topic, e.previous, e.topic.partitions);
        break;
      case 'configs-altered': {
        const cfg = logConfigFromTopicConfigs(e.topic.configs);
        // logs only known from the summary get the new configs when first used
        logs.topicConfigChanged(e.topic.name);
        for (const { topic, log } of logs.loadedPartitions()) if (topic === e.topic.name) log.updateConfig(cfg);
        if (e.topic.configs[VIEW_OF] !== undefined) applySourceTagIndex(metadata, logs, e.topic.configs[VIEW_OF]);
        break;
      }
      case 'partition-changed': {
        // A replica assigned here later (reassignment) gets its log now; the replica manager fills it.
        const topic = metadata.topic(e.state.topic);
        if (topic) await createHosted(services, topic, e.state.partition, e.state.partition + 1);
        break;
      }
      case 'brokers-changed':
        break;
    }
  });
}

export const CLUSTER_ID_FILE = 'cluster-id';

/**
 * Ties the data dir to the cluster whose metadata it follows. Deleting logs
 * of topics the metadata does not know is only safe against the same
 * metadata: against a wiped or different etcd it would delete everything, so
 * that start is refused instead.
 */
async function claimDataDir(dataDir: string, clusterId: string): Promise<void> {
  const file = path.join(dataDir, CLUSTER_ID_FILE);
  let existing: string | null = null;
  try {
    existing = (await fs.readFile(file, 'utf8')).trim();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  if (existing === null) await writeFileAtomic(file, `${clusterId}\n`);
  else if (existing !== clusterId) {
    throw new Error(`data dir ${dataDir} belongs to cluster ${existing}, but the metadata in etcd is cluster ${clusterId}; refusing to start (it would delete the logs the metadata does not know)`);
  }
}

/**
 * At start in cluster mode the metadata may have moved on while this broker
 * was down: logs of topics deleted meanwhile go (a topic re-created under the
 * same name must not inherit their data), and partitions assigned here
 * meanwhile get their logs.
 */
export async function reconcileLogsAtStart(services: BrokerCore): Promise<void> {
  const { logs, logger, metadata } = services;
  await claimDataDir(services.config.dataDir, metadata.clusterId);
  // deciding what to delete needs every log on disk, not only those the summary names
  await logs.listed();
  // names only: making an object of every log found (100,000 at scale) is work the partitions' roles do lazily
  const stale = new Set<string>();
  const movedOff: Array<{ topic: string; partition: number }> = [];
  for (const { topic, partition } of logs.partitionKeys()) {
    if (!metadata.topic(topic)) stale.add(topic);
    else if (!hostsReplica(metadata, topic, partition)) movedOff.push({ topic, partition });
  }
  for (const topic of stale) {
    logger.info({ topic }, 'deleting logs of a topic deleted while this broker was down');
    await logs.deleteTopic(topic);
  }
  // partitions reassigned away from this broker while it was down
  for (const { topic, partition } of movedOff) {
    logger.info({ topic, partition }, 'deleting the log of a partition moved off this broker while it was down');
    await logs.deletePartition(topic, partition);
  }
  // A hosted partition without a log here (a wiped data dir, a deleted partition dir) lost what this replica held:
  // it leaves the ISR before registering, or the controller could elect it from its old membership with an empty
  // log and the other replicas would truncate the acknowledged records away to follow it.
  const self = metadata.self().nodeId;
  const lost: Array<{ topic: string; partition: number }> = [];
  for (const topic of metadata.topics()) {
    for (const partition of await createHosted(services, topic, 0, topic.partitions)) {
      if (metadata.partitionState(topic.name, partition)?.isr.includes(self)) lost.push({ topic: topic.name, partition });
    }
  }
  if (lost.length > 0 && metadata.leaveIsrOfLost) {
    logger.warn({ partitions: lost.length, first: lost.slice(0, 10).map((p) => `${p.topic}-${p.partition}`) }, 'this broker is in the ISR of partitions whose logs are gone: leaving those ISRs; it catches up as a follower');
    await metadata.leaveIsrOfLost(lost);
  }
}
