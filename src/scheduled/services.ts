import { ErrorCode } from '../../protocol/errors';
import type { BrokerServices } from '../handlers/types';
import type { TopicInfo } from '../metadata/types';
import type { Acks } from '../replication/partitionWriter';
import { intake } from './intake';
import { topicPolicy } from './policy';
import { Scheduler } from './scheduler';

/** Kept beside the services bag (as share groups do), so the scheduler needs no slot in BrokerServices. */
const byBroker = new WeakMap<object, Scheduler>();

export function schedulerOf(services: BrokerServices): Scheduler | undefined {
  return byBroker.get(services);
}

/**
 * Replays `__brook_scheduled` and starts delivering. Single-broker mode only for now: in a cluster the
 * scheduled record, the journal and the target partition can each be led by a different broker, and the
 * move would need an inter-broker produce; until then scheduling headers are refused there (INVALID_RECORD)
 * rather than delivered at once or kept where a failover would lose them.
 */
export async function startScheduledServices(services: BrokerServices): Promise<{ stop(): void }> {
  const logger = services.logger.child({ component: 'scheduled' });
  if (services.clustered) {
    logger.info({}, 'scheduled delivery is not served in cluster mode yet');
    return { stop() {} };
  }
  const scheduler = new Scheduler(services, logger, Number(services.config.raw['request.timeout.ms'] ?? 30_000));
  await scheduler.start();
  byBroker.set(services, scheduler);
  return {
    stop() {
      scheduler.stop();
      byBroker.delete(services);
    },
  };
}

export type ScheduledProduce = null | { errorCode: number; message: string | null };

/**
 * Produce's hook: null when the batch is not the scheduler's (appended as usual), else the outcome of
 * writing it to `__brook_scheduled` instead (errorCode 0: durable under the producer's acks).
 */
export async function produceScheduled(services: BrokerServices, topic: TopicInfo, partition: number, batch: Buffer, acks: Acks, timeoutMs: number, now: number): Promise<ScheduledProduce> {
  const taken = intake(topic.name, partition, batch, topicPolicy(topic.configs), now, (name) => services.metadata.topic(name)?.partitions);
  if (taken.kind === 'pass') return null;
  if (taken.kind === 'refuse') {
    services.logger.info({ topic: topic.name, partition, reason: taken.message }, 'scheduled produce refused');
    return { errorCode: ErrorCode.INVALID_RECORD, message: taken.message };
  }
  const scheduler = byBroker.get(services);
  if (!scheduler) return { errorCode: ErrorCode.INVALID_RECORD, message: 'scheduled delivery is not served in cluster mode yet' };
  const out = await scheduler.schedule(taken.schedules, taken.cancels, acks, timeoutMs);
  if (out.errorCode !== 0) services.logger.info({ topic: topic.name, partition, errorCode: out.errorCode, reason: 'message' in out ? out.message : null }, 'scheduled produce refused');
  return 'message' in out ? out : { errorCode: 0, message: null };
}
