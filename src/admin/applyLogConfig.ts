import { mergeConfig, type LogConfig } from '../../storage/config';
import { logConfigFromTopicConfigs } from '../config/logConfigMapping';
import type { BrokerCore } from '../brokerCore';
import type { TopicInfo } from '../metadata/types';
import { withTagIndex } from '../views/sourceIndexing';

/**
 * The complete storage config of a topic's partitions: broker defaults with
 * the topic's overrides on top. Complete (not a patch) so that removing an
 * override brings the broker default back.
 */
export function effectiveLogConfig(services: BrokerCore, topic: TopicInfo): LogConfig {
  // the log manager's defaults: static properties with dynamic broker configs applied on top
  return mergeConfig(services.logs.defaultConfig, withTagIndex(services.metadata, topic, logConfigFromTopicConfigs(topic.configs)));
}

/** Pushes the topic's configs to its open partition logs; logs opened later get them from partitionLog(). */
export function applyTopicConfigsToLogs(services: BrokerCore, topic: TopicInfo): void {
  const config = effectiveLogConfig(services, topic);
  // logs only known from the summary get it when first used
  services.logs.topicConfigChanged(topic.name);
  for (let p = 0; p < topic.partitions; p++) services.logs.loaded(topic.name, p)?.updateConfig(config);
}
