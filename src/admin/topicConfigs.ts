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
function inheritedValue(def: TopicConfigDef, layers: BrokerLayers): { value: string | null; source: ConfigSynonym['source'] } {
  for (const syn of def.synonyms) {
    const set = layers(syn.name)[0];
    if (set?.value != null) return { value: scaled(syn, set.value), source: set.source };
  }
  return { value: def.defaultValue, source: ConfigSource.DEFAULT_CONFIG };
}

function synonymsOf(def: TopicConfigDef, topic: TopicInfo, layers: BrokerLayers): ConfigSynonym[] {
  const out: ConfigSynonym[] = [];
  const override = topic.configs[def.name];
  if (override !== undefined) out.push({ name: def.name, value: override, source: ConfigSource.DYNAMIC_TOPIC_CONFIG });
  for (const syn of def.synonyms) out.push(...layers(syn.name));
  const withDefault = [...def.synonyms].reverse().find((s) => s.defaultValue !== undefined);
  if (withDefault) out.push({ name: withDefault.name, value: withDefault.defaultValue ?? null, source: ConfigSource.DEFAULT_CONFIG });
  else if (def.synonyms.length === 0) out.push({ name: def.name, value: def.defaultValue, source: ConfigSource.DEFAULT_CONFIG });
  return out;
}

function describeOne(def: TopicConfigDef, topic: TopicInfo, layers: BrokerLayers): DescribedConfig {
  const override = topic.configs[def.name];
  const { value, source } = override !== undefined ? { value: override, source: ConfigSource.DYNAMIC_TOPIC_CONFIG } : inheritedValue(def, layers);
  return {
    name: def.name,
    value,
    readOnly: false,
    source,
    isSensitive: false,
    type: def.type,
    documentation: def.doc,
    synonyms: synonymsOf(def, topic, layers),
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
