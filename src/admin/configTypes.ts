/** Kafka's ConfigResource.Type wire values. */
export const ConfigResourceType = {
  UNKNOWN: 0,
  TOPIC: 2,
  BROKER: 4,
  BROKER_LOGGER: 8,
  CLIENT_METRICS: 16,
  GROUP: 32,
} as const;

/** Kafka's DescribeConfigsResponse.ConfigSource wire values. */
export const ConfigSource = {
  UNKNOWN: 0,
  DYNAMIC_TOPIC_CONFIG: 1,
  DYNAMIC_BROKER_CONFIG: 2,
  DYNAMIC_DEFAULT_BROKER_CONFIG: 3,
  STATIC_BROKER_CONFIG: 4,
  DEFAULT_CONFIG: 5,
  DYNAMIC_BROKER_LOGGER_CONFIG: 6,
} as const;
export type ConfigSourceValue = (typeof ConfigSource)[keyof typeof ConfigSource];

const SOURCE_NAMES = new Map<number, string>(Object.entries(ConfigSource).map(([k, v]) => [v, k]));
/** Kafka's name of a DescribeConfigs config source (DYNAMIC_TOPIC_CONFIG, DEFAULT_CONFIG, ...); null when unknown. */
export function configSourceName(code: number): string | null {
  return SOURCE_NAMES.get(code) ?? null;
}

/** Kafka's ConfigDef.Type as sent in DescribeConfigs v3+. */
export const ConfigType = {
  UNKNOWN: 0,
  BOOLEAN: 1,
  STRING: 2,
  INT: 3,
  SHORT: 4,
  LONG: 5,
  DOUBLE: 6,
  LIST: 7,
  CLASS: 8,
  PASSWORD: 9,
} as const;
export type ConfigTypeValue = (typeof ConfigType)[keyof typeof ConfigType];

/** IncrementalAlterConfigs operation codes. */
export const AlterConfigOp = {
  SET: 0,
  DELETE: 1,
  APPEND: 2,
  SUBTRACT: 3,
} as const;

/** One config as DescribeConfigs and CreateTopics v5+ report it. */
export interface ConfigSynonym {
  name: string;
  value: string | null;
  source: ConfigSourceValue;
}

export interface DescribedConfig {
  name: string;
  value: string | null;
  readOnly: boolean;
  source: ConfigSourceValue;
  isSensitive: boolean;
  type: ConfigTypeValue;
  documentation: string;
  /** Highest precedence first, the entry's own source included (Kafka's order). */
  synonyms: ConfigSynonym[];
}
