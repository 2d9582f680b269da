import { isKnownTopicConfig, validateTopicConfig } from '../config/logConfigMapping';
import type { BrokerConfig } from '../config/brokerConfig';
import type { TopicInfo } from '../metadata/types';
import { ConfigSource, type ConfigSynonym, type DescribedConfig } from './configTypes';
import { topicConfigDef, topicConfigDefs, type BrokerSynonym, type TopicConfigDef } from './topicConfigCatalog';

/** Why a topic config cannot be set to `value`, or null when it can. */
export function topicConfigProblem(name: string, value: string): string | null {
  const def = topicConfigDef(name);
  if (!def) return `unknown topic config ${name}`;
  const reason = def.check(value);
  if (reason) return `${name}: ${reason}`;
  // The storage mapping must also accept it, or the log could not be opened with it later.
  if (isKnownTopicConfig(name)) {
    try {
      validateTopicConfig(name, value);
    } catch (err) {
      return (err as Error).message;
    }
  }
  return null;
}

/** First problem among a set of topic configs, as an error message. */
export function topicConfigsProblem(configs: Record<string, string>): string | null {
  for (const [k, v] of Object.entries(configs)) {
    const p = topicConfigProblem(k, v);
    if (p) return p;
  }
  return null;
}

function scaled(syn: BrokerSynonym, value: string): string {
  if (!syn.scale) return value;
  const n = Number(value);
  // Negative values mean "unlimited" and keep their meaning unscaled, as the storage mapping does.
  return Number.isInteger(n) && n >= 0 ? String(BigInt(value.trim()) * BigInt(syn.scale)) : value;
}

/** What sets a broker property, highest precedence first: dynamic broker configs, then the properties file. */
export type BrokerLayers = (name: string) => ConfigSynonym[];

/** Only the properties file (no dynamic broker configs known to the caller). */
export const staticLayers =
  (broker: BrokerConfig): BrokerLayers =>
  (name) =>
    broker.raw[name] !== undefined ? [{ name, value: broker.raw[name]!, source: ConfigSource.STATIC_BROKER_CONFIG }] : [];

/** The broker-level value (dynamic or static property, or the broker default) a topic inherits when it has no override. */
function inheritedValue(def: TopicConfigDef, layers: BrokerLayers): string | null {
  for (const syn of def.synonyms) {
    const set = layers(syn.name)[0];
    if (set?.value != null) return scaled(syn, set.value);
  }
  return def.defaultValue;
}

/**
 * Kafka's synonym list for a topic config (ConfigHelper.createTopicConfigEntry / configSynonyms): the topic
 * override, then what sets the broker properties, grouped by source (dynamic per-broker, dynamic cluster-wide
 * default, properties file, built-in default that is not null) and in precedence order within a group, with
 * every entry before the first one named after the primary broker property (the first synonym) dropped. So a
 * default retention.ms has none: log.retention.ms has no default, and log.retention.hours (set or not) comes
 * before any log.retention.ms entry. A config without a broker property has only its override, if any.
 */
function synonymsOf(def: TopicConfigDef, topic: TopicInfo, layers: BrokerLayers): ConfigSynonym[] {
  const out: ConfigSynonym[] = [];
  const override = topic.configs[def.name];
  if (override !== undefined) out.push({ name: def.name, value: override, source: ConfigSource.DYNAMIC_TOPIC_CONFIG });
  if (def.synonyms.length === 0) return out;
  const fromBroker: ConfigSynonym[] = [];
  for (const syn of def.synonyms) fromBroker.push(...layers(syn.name));
  for (const syn of def.synonyms) {
    if (syn.defaultValue !== undefined) fromBroker.push({ name: syn.name, value: syn.defaultValue, source: ConfigSource.DEFAULT_CONFIG });
  }
  // Kafka's source ids rank them: dynamic broker 2, dynamic default 3, static 4, default 5 (a stable sort).
  fromBroker.sort((a, b) => a.source - b.source);
  const primary = def.synonyms[0].name;
  const first = fromBroker.findIndex((s) => s.name === primary);
  if (first >= 0) out.push(...fromBroker.slice(first));
  return out;
}

function describeOne(def: TopicConfigDef, topic: TopicInfo, layers: BrokerLayers): DescribedConfig {
  const override = topic.configs[def.name];
  const synonyms = synonymsOf(def, topic, layers);
  return {
    name: def.name,
    value: override !== undefined ? override : inheritedValue(def, layers),
    readOnly: false,
    // As in Kafka, the source is that of the first synonym, DEFAULT_CONFIG when there is none.
    source: synonyms[0]?.source ?? ConfigSource.DEFAULT_CONFIG,
    isSensitive: false,
    type: def.type,
    documentation: def.doc,
    synonyms,
  };
}

/**
 * Every topic config with its effective value and where it comes from;
 * `names` (null = all) narrows the list. Overrides with no catalog entry
 * (stored before the catalog knew them) are still shown.
 */
export function describeTopicConfigs(topic: TopicInfo, broker: BrokerConfig, names: readonly string[] | null = null, layers: BrokerLayers = staticLayers(broker)): DescribedConfig[] {
  const wanted = names ? new Set(names) : null;
  const out: DescribedConfig[] = [];
  for (const def of topicConfigDefs()) {
    if (!wanted || wanted.has(def.name)) out.push(describeOne(def, topic, layers));
  }
  for (const [name, value] of Object.entries(topic.configs)) {
    if (topicConfigDef(name) || (wanted && !wanted.has(name))) continue;
    out.push({
      name,
      value,
      readOnly: false,
      source: ConfigSource.DYNAMIC_TOPIC_CONFIG,
      isSensitive: false,
      type: 0,
      documentation: '',
      synonyms: [{ name, value, source: ConfigSource.DYNAMIC_TOPIC_CONFIG }],
    });
  }
  return out;
}
