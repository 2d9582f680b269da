import type { BrokerConfig } from '../config/brokerConfig';
import type { BrokerIdentity } from '../metadata/types';
import { ConfigSource, ConfigType, type ConfigSynonym, type ConfigTypeValue, type DescribedConfig } from './configTypes';
import { dynamicBrokerConfigDef, dynamicBrokerConfigDefs } from './dynamicBrokerConfigCatalog';
import { maxPartitionsPerTopic } from './limits';
import { isSensitiveConfig } from './sensitiveConfigs';
import { staticLayers, type BrokerLayers } from './topicConfigs';
import { HTTP_CONFIG_DEFS } from '../http/settings';

interface BrokerConfigDef {
  name: string;
  type: ConfigTypeValue;
  doc: string;
  /** The value in effect (what the broker parsed), given the broker's own identity. */
  value(cfg: BrokerConfig, self: BrokerIdentity): string | null;
}

const str = (v: number | boolean): string => String(v);

/** Broker properties the core reads (src/config/load.ts), with the values it ended up using. */
const CORE: BrokerConfigDef[] = [
  { name: 'node.id', type: ConfigType.INT, doc: 'Id of this broker in the cluster.', value: (c) => str(c.nodeId) },
  { name: 'broker.id', type: ConfigType.INT, doc: 'Older name of node.id.', value: (c) => str(c.nodeId) },
  { name: 'listeners', type: ConfigType.STRING, doc: 'Addresses the broker listens on.', value: (c, s) => c.raw['listeners'] ?? `PLAINTEXT://${s.host}:${s.port}` },
  {
    name: 'advertised.listeners',
    type: ConfigType.STRING,
    doc: 'Addresses given to clients in Metadata responses.',
    value: (c) => (c.advertisedListeners.length ? c.advertisedListeners.map((l) => `${l.name}://${l.host}:${l.port}`).join(',') : null),
  },
  { name: 'log.dirs', type: ConfigType.STRING, doc: 'Directory holding partition logs and metadata.', value: (c) => c.dataDir },
  { name: 'num.partitions', type: ConfigType.INT, doc: 'Partitions of auto-created topics and of CreateTopics with -1.', value: (c) => str(c.numPartitions) },
  { name: 'default.replication.factor', type: ConfigType.INT, doc: 'Replication factor of topics created with -1.', value: (c) => str(c.defaultReplicationFactor) },
  { name: 'auto.create.topics.enable', type: ConfigType.BOOLEAN, doc: 'Create unknown topics on Metadata and Produce.', value: (c) => str(c.autoCreateTopicsEnable) },
  { name: 'delete.topic.enable', type: ConfigType.BOOLEAN, doc: 'Allow DeleteTopics.', value: (c) => str(c.deleteTopicEnable) },
  { name: 'socket.request.max.bytes', type: ConfigType.INT, doc: 'Largest request frame accepted.', value: (c) => str(c.socketRequestMaxBytes) },
  { name: 'connections.max.idle.ms', type: ConfigType.LONG, doc: 'Idle connections are closed after this long.', value: (c) => str(c.connectionsMaxIdleMs) },
  {
    name: 'max.incremental.fetch.session.cache.slots',
    type: ConfigType.INT,
    doc: 'Fetch sessions kept at once.',
    value: (c) => str(c.fetchSessionCacheSlots),
  },
  { name: 'brook.max.inflight.requests', type: ConfigType.INT, doc: 'Brook: requests in flight per connection before reading pauses.', value: (c) => str(c.maxInFlightRequestsPerConnection) },
  {
    name: 'brook.socket.write.high.water.mark',
    type: ConfigType.INT,
    doc: 'Brook: unsent bytes per connection before reading pauses.',
    value: (c) => str(c.socketWriteHighWaterMark),
  },
  { name: 'brook.fetch.max.wait.ms.cap', type: ConfigType.INT, doc: 'Brook: upper bound of a fetch\'s max_wait_ms.', value: (c) => str(c.fetchMaxWaitMsCap) },
  {
    name: 'brook.max.partitions.per.topic',
    type: ConfigType.INT,
    doc: 'Brook: largest partition count CreateTopics and CreatePartitions accept.',
    value: (c) => str(maxPartitionsPerTopic(c)),
  },
  {
    name: 'brook.log.max.open.segment.handles',
    type: ConfigType.INT,
    doc: 'Brook: segment file descriptors kept open at most over all partitions (a random idle one closed first).',
    value: (c) => str(c.maxOpenSegmentHandles),
  },
  // listener-scope: `listener.name.<l>.<name>` overrides these for one listener (listed as given when set)
  {
    name: 'brook.ssl.handshake.timeout.ms',
    type: ConfigType.INT,
    doc: 'Brook: a TLS client that has not finished its handshake by then is disconnected.',
    value: (c) => c.raw['brook.ssl.handshake.timeout.ms'] ?? '10000',
  },
  {
    name: 'brook.sasl.authentication.timeout.ms',
    type: ConfigType.INT,
    doc: 'Brook: a SASL client that has not authenticated by then is disconnected.',
    value: (c) => c.raw['brook.sasl.authentication.timeout.ms'] ?? '10000',
  },
  ...HTTP_CONFIG_DEFS.map((d) => ({ name: d.name, type: ConfigType[d.type], doc: d.doc, value: (c: BrokerConfig) => c.raw[d.name] ?? d.defaultValue })),
];

/** Names of the broker properties the core reads (src/config/load.ts). */
export function coreBrokerConfigNames(): string[] {
  return CORE.map((d) => d.name);
}

/**
 * The broker's configs for DescribeConfigs (resource type BROKER), each with
 * the value in effect and where it comes from: this broker's dynamic value
 * (DYNAMIC_BROKER_CONFIG), the cluster-wide dynamic default
 * (DYNAMIC_DEFAULT_BROKER_CONFIG), the properties file (STATIC_BROKER_CONFIG)
 * or the built-in default. Configs that cannot change at runtime are read-only.
 * Properties Brook does not know are listed too, as given.
 */
export function describeBrokerConfigs(
  cfg: BrokerConfig,
  self: BrokerIdentity,
  names: readonly string[] | null = null,
  layers: BrokerLayers = staticLayers(cfg),
  /** Names set dynamically (this broker's or the cluster default's) that may be in no catalog. */
  dynamicNames: readonly string[] = [],
): DescribedConfig[] {
  const wanted = names ? new Set(names) : null;
  const out: DescribedConfig[] = [];
  const known = new Set<string>();
  const push = (name: string, type: ConfigTypeValue, doc: string, builtIn: string | null) => {
    known.add(name);
    if (wanted && !wanted.has(name)) return;
    const isSensitive = isSensitiveConfig(name);
    const set = layers(name);
    const synonyms: ConfigSynonym[] = [...set];
    if (builtIn !== null || set.length === 0) synonyms.push({ name, value: builtIn, source: ConfigSource.DEFAULT_CONFIG });
    const top = synonyms[0]!;
    const hide = (v: string | null) => (isSensitive ? null : v);
    out.push({
      name,
      value: hide(top.source === ConfigSource.STATIC_BROKER_CONFIG ? (builtInOrStatic(name, top.value)) : top.value),
      readOnly: dynamicBrokerConfigDef(name) === undefined,
      source: top.source,
      isSensitive,
      type,
      documentation: doc,
      synonyms: synonyms.map((x) => ({ ...x, value: hide(x.value) })),
    });
  };
  // a static property's value as the broker parsed it (node.id from broker.id, ...)
  const parsed = new Map<string, string | null>();
  const builtInOrStatic = (name: string, given: string | null) => (parsed.has(name) ? parsed.get(name)! : given);
  for (const def of CORE) {
    if (known.has(def.name)) continue;
    parsed.set(def.name, def.value(cfg, self));
    push(def.name, def.type, def.doc, cfg.raw[def.name] !== undefined ? null : def.value(cfg, self));
  }
  for (const def of dynamicBrokerConfigDefs()) if (!known.has(def.name)) push(def.name, def.type, def.doc, def.defaultValue);
  for (const name of new Set([...Object.keys(cfg.raw), ...dynamicNames])) {
    if (!known.has(name)) push(name, ConfigType.UNKNOWN, '', null);
  }
  return out;
}

/** The cluster-wide dynamic defaults (DescribeConfigs on the BROKER resource with an empty name, as Kafka answers it). */
export function describeClusterDefaults(values: Record<string, string>, names: readonly string[] | null = null): DescribedConfig[] {
  return Object.entries(values)
    .filter(([name]) => !names || names.includes(name))
    .map(([name, value]) => {
      const def = dynamicBrokerConfigDef(name);
      const isSensitive = isSensitiveConfig(name);
      const shown = isSensitive ? null : value;
      return {
        name,
        value: shown,
        readOnly: false,
        source: ConfigSource.DYNAMIC_DEFAULT_BROKER_CONFIG,
        isSensitive,
        type: def?.type ?? ConfigType.UNKNOWN,
        documentation: def?.doc ?? '',
        synonyms: [{ name, value: shown, source: ConfigSource.DYNAMIC_DEFAULT_BROKER_CONFIG }],
      };
    });
}
