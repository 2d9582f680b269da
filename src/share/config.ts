import { ConfigSource, ConfigType, type ConfigTypeValue, type DescribedConfig } from '../admin/configTypes';
import type { GroupConfig } from '../groups/config';
import { isReservedInternalTopic } from '../internalTopics/names';

/**
 * Group configs (Kafka's GroupConfig, set with IncrementalAlterConfigs on a GROUP resource):
 * KIP-848 consumer groups' session timeout and heartbeat interval, KIP-932 share groups'
 * configs, plus Brook's extensions: redelivery back-off and (KIP-1191's name) the
 * dead-letter topic.
 */
export interface ShareGroupConfig {
  /** share.record.lock.duration.ms */
  lockDurationMs: number;
  /** share.delivery.count.limit */
  deliveryCountLimit: number;
  /** share.session.timeout.ms */
  sessionTimeoutMs: number;
  /** share.heartbeat.interval.ms */
  heartbeatIntervalMs: number;
  /** share.auto.offset.reset */
  autoOffsetReset: 'earliest' | 'latest';
  /** share.isolation.level: read_committed acquires only committed records, up to the last stable offset. */
  readCommitted: boolean;
  /** brook.share.redelivery.backoff: delay before a record delivered n times is acquirable again; empty = at once. */
  redeliveryBackoffMs: number[];
  /** errors.deadletterqueue.topic.name (KIP-1191); null = archive only. */
  dlqTopic: string | null;
  /** consumer.session.timeout.ms of a KIP-848 consumer group; null = the broker's group.consumer.session.timeout.ms. */
  consumerSessionTimeoutMs: number | null;
  /** consumer.heartbeat.interval.ms of a KIP-848 consumer group; null = the broker's group.consumer.heartbeat.interval.ms. */
  consumerHeartbeatIntervalMs: number | null;
}

/** The broker's group coordinator settings a consumer group config defaults to and must stay within (as Kafka's). */
export type BrokerGroupSettings = Pick<
  GroupConfig,
  'consumerSessionTimeoutMs' | 'consumerMinSessionTimeoutMs' | 'consumerMaxSessionTimeoutMs' | 'consumerHeartbeatIntervalMs' | 'consumerMinHeartbeatIntervalMs' | 'consumerMaxHeartbeatIntervalMs'
>;

interface ConfigDef {
  name: string;
  /**
   * The name Brook listed before it followed Kafka's GroupConfig (Kafka's broker-level default of the
   * config): still accepted when set, and stored values under it still apply, but listed under `name`.
   */
  alias?: string;
  type: ConfigTypeValue;
  /** A fixed default, or the broker property it follows. */
  default: string | ((b: BrokerGroupSettings) => number);
  doc: string;
  /** Null when the value is valid, else why not. */
  check(v: string, b: BrokerGroupSettings): string | null;
}

const intIn = (min: number, max: number) => (v: string) =>
  /^-?\d+$/.test(v) && Number(v) >= min && Number(v) <= max ? null : `must be an integer in [${min}, ${max}]`;

/** Kafka checks a consumer group's timeouts against the broker's group.consumer.min/max.* properties. */
const intWithin = (range: (b: BrokerGroupSettings) => [number, number], bounds: string) => (v: string, b: BrokerGroupSettings) =>
  intIn(...range(b))(v) === null ? null : `must be an integer in [${range(b).join(', ')}] (the broker's ${bounds})`;

export const SHARE_CONFIG_DEFS: readonly ConfigDef[] = [
  { name: 'consumer.session.timeout.ms', type: ConfigType.INT, default: (b) => b.consumerSessionTimeoutMs, doc: 'A member of this consumer group (KIP-848 protocol) that does not heartbeat for this long is removed.', check: intWithin((b) => [b.consumerMinSessionTimeoutMs, b.consumerMaxSessionTimeoutMs], 'group.consumer.min/max.session.timeout.ms') },
  { name: 'consumer.heartbeat.interval.ms', type: ConfigType.INT, default: (b) => b.consumerHeartbeatIntervalMs, doc: 'Heartbeat interval the coordinator tells members of this consumer group (KIP-848 protocol).', check: intWithin((b) => [b.consumerMinHeartbeatIntervalMs, b.consumerMaxHeartbeatIntervalMs], 'group.consumer.min/max.heartbeat.interval.ms') },
  { name: 'share.record.lock.duration.ms', alias: 'group.share.record.lock.duration.ms', type: ConfigType.INT, default: '30000', doc: 'How long a share-group member holds an acquired record before it is released.', check: intIn(1000, 3_600_000) },
  { name: 'share.delivery.count.limit', alias: 'group.share.delivery.count.limit', type: ConfigType.INT, default: '5', doc: 'Deliveries after which a record is archived (and sent to the dead-letter topic, if any).', check: intIn(2, 10) },
  { name: 'share.session.timeout.ms', alias: 'group.share.session.timeout.ms', type: ConfigType.INT, default: '45000', doc: 'A share-group member that does not heartbeat for this long is removed.', check: intIn(1000, 3_600_000) },
  { name: 'share.heartbeat.interval.ms', alias: 'group.share.heartbeat.interval.ms', type: ConfigType.INT, default: '5000', doc: 'Heartbeat interval the coordinator tells share-group members.', check: intIn(100, 3_600_000) },
  { name: 'share.auto.offset.reset', type: ConfigType.STRING, default: 'latest', doc: 'Where a share group starts on a partition it has no state for: earliest or latest.', check: (v) => (v === 'earliest' || v === 'latest' ? null : 'must be earliest or latest') },
  { name: 'share.isolation.level', type: ConfigType.STRING, default: 'read_uncommitted', doc: 'read_committed: records of aborted transactions are never acquired and nothing past the last stable offset is; read_uncommitted: every record up to the high watermark.', check: (v) => (v === 'read_committed' || v === 'read_uncommitted' ? null : 'must be read_committed or read_uncommitted') },
  { name: 'brook.share.redelivery.backoff', type: ConfigType.LIST, default: '', doc: 'Brook: delays (1s,5s,1m...) before a released or lock-expired record is acquirable again, by delivery count; empty = at once.', check: (v) => (parseBackoff(v) === null ? 'must be a comma-separated list of durations such as 500ms,1s,5s,1m' : null) },
  { name: 'errors.deadletterqueue.topic.name', type: ConfigType.STRING, default: '', doc: 'KIP-1191: topic that rejected records and records that reached the delivery limit are copied to; empty = none.', check: (v) => (v === '' ? null : !/^[a-zA-Z0-9._-]{1,249}$/.test(v) ? 'not a valid topic name' : isReservedInternalTopic(v) ? `${v} is an internal topic: records cannot be sent there` : null) },
];

const DEFS = new Map(SHARE_CONFIG_DEFS.map((d) => [d.name, d]));
const BY_ALIAS = new Map(SHARE_CONFIG_DEFS.filter((d) => d.alias).map((d) => [d.alias!, d]));

function defOf(name: string): ConfigDef | undefined {
  return DEFS.get(name) ?? BY_ALIAS.get(name);
}

function defaultOf(d: ConfigDef, b: BrokerGroupSettings): string {
  return typeof d.default === 'string' ? d.default : String(d.default(b));
}

/** Kafka's name of a group config given by Kafka's name or Brook's former one; other names unchanged. */
export function groupConfigName(name: string): string {
  return defOf(name)?.name ?? name;
}

/** Stored group configs under Kafka's names (records written before carry Brook's former names; Kafka's wins). */
export function canonicalGroupConfigs(stored: Record<string, string>): Map<string, string> {
  const out = new Map<string, string>();
  for (const [k, v] of Object.entries(stored)) if (!DEFS.has(k)) out.set(groupConfigName(k), v);
  for (const [k, v] of Object.entries(stored)) if (DEFS.has(k)) out.set(k, v);
  return out;
}

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** "1s,5s,1m" -> [1000, 5000, 60000]; null when malformed. An empty string is no back-off. */
export function parseBackoff(v: string): number[] | null {
  if (v.trim() === '') return [];
  const out: number[] = [];
  for (const part of v.split(',')) {
    const m = /^\s*(\d+)(ms|s|m|h)?\s*$/.exec(part);
    if (!m) return null;
    out.push(Number(m[1]) * UNIT_MS[m[2] ?? 'ms']!);
  }
  return out;
}

/** Null when `name=value` may be set on a group (by Kafka's name or Brook's former one), else the reason. */
export function groupConfigProblem(name: string, value: string | null, b: BrokerGroupSettings): string | null {
  const def = defOf(name);
  if (!def) return `unknown group config ${name}`;
  return value === null ? null : def.check(value, b);
}

/** Kafka's check across a group's configs once changed: a session outlasts the heartbeat interval. */
export function groupConfigsProblem(set: ReadonlyMap<string, string>, b: BrokerGroupSettings): string | null {
  for (const kind of ['consumer', 'share'] as const) {
    const session = `${kind}.session.timeout.ms`;
    const heartbeat = `${kind}.heartbeat.interval.ms`;
    const value = (n: string) => Number(set.get(n) ?? defaultOf(DEFS.get(n)!, b));
    if (value(session) <= value(heartbeat)) return `${session} must be greater than ${heartbeat}`;
  }
  return null;
}

/** The effective config of a group from its explicitly set values (under Kafka's names). */
export function resolveShareConfig(set: ReadonlyMap<string, string>): ShareGroupConfig {
  const get = (n: string) => set.get(n) ?? (DEFS.get(n)!.default as string);
  const optional = (n: string) => (set.has(n) ? Number(set.get(n)) : null);
  return {
    lockDurationMs: Number(get('share.record.lock.duration.ms')),
    deliveryCountLimit: Number(get('share.delivery.count.limit')),
    sessionTimeoutMs: Number(get('share.session.timeout.ms')),
    heartbeatIntervalMs: Number(get('share.heartbeat.interval.ms')),
    autoOffsetReset: get('share.auto.offset.reset') === 'earliest' ? 'earliest' : 'latest',
    readCommitted: get('share.isolation.level') === 'read_committed',
    redeliveryBackoffMs: parseBackoff(get('brook.share.redelivery.backoff')) ?? [],
    dlqTopic: get('errors.deadletterqueue.topic.name') || null,
    consumerSessionTimeoutMs: optional('consumer.session.timeout.ms'),
    consumerHeartbeatIntervalMs: optional('consumer.heartbeat.interval.ms'),
  };
}

/** Delay before a record released after its n-th delivery is acquirable again (the last level repeats). */
export function backoffFor(cfg: ShareGroupConfig, deliveryCount: number): number {
  const b = cfg.redeliveryBackoffMs;
  if (b.length === 0 || deliveryCount <= 0) return 0;
  return b[Math.min(deliveryCount, b.length) - 1]!;
}

/** DescribeConfigs of a GROUP resource: every group config under Kafka's name, set ones as dynamic. */
export function describeShareConfigs(set: ReadonlyMap<string, string>, keys: readonly string[] | null, b: BrokerGroupSettings): DescribedConfig[] {
  const wanted = keys && keys.length > 0 ? new Set(keys.map(groupConfigName)) : null;
  return SHARE_CONFIG_DEFS.filter((d) => !wanted || wanted.has(d.name)).map((d) => {
    const v = set.get(d.name);
    const value = v ?? defaultOf(d, b);
    // Kafka reports dynamic group configs with the topic-config source value (there is no group-specific one).
    const source = v === undefined ? ConfigSource.DEFAULT_CONFIG : ConfigSource.DYNAMIC_TOPIC_CONFIG;
    return {
      name: d.name,
      value,
      readOnly: false,
      source,
      isSensitive: false,
      type: d.type,
      documentation: d.doc,
      synonyms: [{ name: d.name, value, source }],
    };
  });
}
