import type { BrokerServices, RequestContext } from '../handlers/types';
import { groupConfigFromProperties } from './config';
import { GroupCoordinator } from './coordinator';
import { OffsetsTopicLog } from './offsetsTopicLog';

/**
 * Builds the broker's group coordinator on top of its metadata and storage:
 * ensures `__consumer_offsets`, replays it, and puts the coordinator in
 * `services.groups` for the group handlers.
 */
export async function startGroupCoordinator(services: BrokerServices): Promise<GroupCoordinator> {
  const config = groupConfigFromProperties(services.config.raw ?? {});
  const logger = services.logger.child({ component: 'groups' });
  const log = new OffsetsTopicLog({
    metadata: services.metadata,
    logs: services.logs,
    partitions: config.offsetsTopicPartitions ?? 50,
  });
  await log.open();
  const { metadata } = services;
  const coordinator = new GroupCoordinator({
    config,
    log,
    logger,
    topics: {
      byName: (name) => metadata.topic(name),
      byId: (id) => metadata.topicById(id),
      names: () => metadata.topics().map((t) => t.name),
    },
  });
  await coordinator.start();
  services.groups = coordinator;
  return coordinator;
}

/** The coordinator of the broker serving this request, or null while it is not running. */
export function groupCoordinator(ctx: RequestContext): GroupCoordinator | null {
  const g = ctx.broker.groups;
  return g instanceof GroupCoordinator && g.isLoaded ? g : null;
}

/** Keeps request payloads that outlive the request from pinning the whole request frame. */
export function ownBytes(b: Buffer): Buffer {
  return Buffer.from(b);
}

export function clientHost(ctx: RequestContext): string {
  return `/${ctx.connection.remoteAddress}`;
}
