import type { BrokerConfig } from '../config/brokerConfig';
import type { BrokerIdentity } from '../metadata/types';
import { ConfigSource, ConfigType, type ConfigTypeValue, type DescribedConfig } from './configTypes';
import { topicConfigDefs } from './topicConfigCatalog';
import { maxPartitionsPerTopic } from './limits';

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
];

// JAAS text carries PLAIN passwords and ssl.keystore.key an inline private key (Kafka's PASSWORD type).
const SENSITIVE = /password|secret|credential|token|jaas\.config|keystore\.key$/i;

function logDefs(): BrokerConfigDef[] {
  const out: BrokerConfigDef[] = [];
  const seen = new Set<string>();
  for (const def of topicConfigDefs()) {
    for (const syn of def.synonyms) {
      if (seen.has(syn.name)) continue;
      seen.add(syn.name);
      out.push({
        name: syn.name,
        type: syn.scale ? ConfigType.LONG : def.type,
        doc: `Broker default of the topic config ${def.name}. ${def.doc}`,
        value: (c) => c.raw[syn.name] ?? syn.defaultValue ?? null,
      });
    }
  }
  return out;
}

/**
 * The broker's configs for DescribeConfigs (resource type BROKER). Brook has
 * no dynamic broker configs, so every entry is read-only and comes from the
 * properties file / flags (STATIC_BROKER_CONFIG) or the built-in default.
 * Properties Brook does not know are listed too, as given.
 */
export function describeBrokerConfigs(cfg: BrokerConfig, self: BrokerIdentity, names: readonly string[] | null = null): DescribedConfig[] {
  const wanted = names ? new Set(names) : null;
  const out: DescribedConfig[] = [];
  const known = new Set<string>();
  const push = (name: string, type: ConfigTypeValue, doc: string, value: string | null, source: DescribedConfig['source']) => {
    known.add(name);
    if (wanted && !wanted.has(name)) return;
    const isSensitive = SENSITIVE.test(name);
    const shown = isSensitive ? null : value;
    out.push({ name, value: shown, readOnly: true, source, isSensitive, type, documentation: doc, synonyms: [{ name, value: shown, source }] });
  };
  for (const def of [...CORE, ...logDefs()]) {
    if (known.has(def.name)) continue;
    const source = cfg.raw[def.name] !== undefined ? ConfigSource.STATIC_BROKER_CONFIG : ConfigSource.DEFAULT_CONFIG;
    push(def.name, def.type, def.doc, def.value(cfg, self), source);
  }
  for (const [name, value] of Object.entries(cfg.raw)) {
    if (!known.has(name)) push(name, ConfigType.UNKNOWN, '', value, ConfigSource.STATIC_BROKER_CONFIG);
  }
  return out;
}
