import { ConfigSource, ConfigType, type ConfigTypeValue, type DescribedConfig } from '../admin/configTypes';
import { isReservedInternalTopic } from '../internalTopics/names';

/**
 * Share-group configs (KIP-932 group configs, set with IncrementalAlterConfigs on a GROUP
 * resource), plus Brook's extensions: redelivery back-off and (KIP-1191's name) the
 * dead-letter topic.
 */
export interface ShareGroupConfig {
  /** group.share.record.lock.duration.ms */
  lockDurationMs: number;
  /** group.share.delivery.count.limit */
  deliveryCountLimit: number;
  /** group.share.session.timeout.ms */
  sessionTimeoutMs: number;
  /** group.share.heartbeat.interval.ms */
  heartbeatIntervalMs: number;
  /** share.auto.offset.reset */
  autoOffsetReset: 'earliest' | 'latest';
  /** share.isolation.level: read_committed acquires only committed records, up to the last stable offset. */
  readCommitted: boolean;
  /** brook.share.redelivery.backoff: delay before a record delivered n times is acquirable again; empty = at once. */
  redeliveryBackoffMs: number[];
  /** errors.deadletterqueue.topic.name (KIP-1191); null = archive only. */
  dlqTopic: string | null;
}

interface ConfigDef {
  name: string;
  type: ConfigTypeValue;
  default: string;
  doc: string;
  /** Null when the value is valid, else why not. */
  check(v: string): string | null;
}

const intIn = (min: number, max: number) => (v: string) =>
  /^-?\d+$/.test(v) && Number(v) >= min && Number(v) <= max ? null : `must be an integer in [${min}, ${max}]`;

export const SHARE_CONFIG_DEFS: readonly ConfigDef[] = [
  { name: 'group.share.record.lock.duration.ms', type: ConfigType.INT, default: '30000', doc: 'How long a share-group member holds an acquired record before it is released.', check: intIn(1000, 3_600_000) },
  { name: 'group.share.delivery.count.limit', type: ConfigType.INT, default: '5', doc: 'Deliveries after which a record is archived (and sent to the dead-letter topic, if any).', check: intIn(2, 10) },
  { name: 'group.share.session.timeout.ms', type: ConfigType.INT, default: '45000', doc: 'A share-group member that does not heartbeat for this long is removed.', check: intIn(1000, 3_600_000) },
  { name: 'group.share.heartbeat.interval.ms', type: ConfigType.INT, default: '5000', doc: 'Heartbeat interval the coordinator tells share-group members.', check: intIn(100, 3_600_000) },
  { name: 'share.auto.offset.reset', type: ConfigType.STRING, default: 'latest', doc: 'Where a share group starts on a partition it has no state for: earliest or latest.', check: (v) => (v === 'earliest' || v === 'latest' ? null : 'must be earliest or latest') },
  { name: 'share.isolation.level', type: ConfigType.STRING, default: 'read_uncommitted', doc: 'read_committed: records of aborted transactions are never acquired and nothing past the last stable offset is; read_uncommitted: every record up to the high watermark.', check: (v) => (v === 'read_committed' || v === 'read_uncommitted' ? null : 'must be read_committed or read_uncommitted') },
  { name: 'brook.share.redelivery.backoff', type: ConfigType.LIST, default: '', doc: 'Brook: delays (1s,5s,1m...) before a released or lock-expired record is acquirable again, by delivery count; empty = at once.', check: (v) => (parseBackoff(v) === null ? 'must be a comma-separated list of durations such as 500ms,1s,5s,1m' : null) },
  { name: 'errors.deadletterqueue.topic.name', type: ConfigType.STRING, default: '', doc: 'KIP-1191: topic that rejected records and records that reached the delivery limit are copied to; empty = none.', check: (v) => (v === '' ? null : !/^[a-zA-Z0-9._-]{1,249}$/.test(v) ? 'not a valid topic name' : isReservedInternalTopic(v) ? `${v} is an internal topic: records cannot be sent there` : null) },
];

const DEFS = new Map(SHARE_CONFIG_DEFS.map((d) => [d.name, d]));

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

/** Null when `name=value` may be set on a share group, else the reason. */
export function shareConfigProblem(name: string, value: string | null): string | null {
  const def = DEFS.get(name);
  if (!def) return `unknown group config ${name}`;
  return value === null ? null : def.check(value);
}

export function isShareConfig(name: string): boolean {
  return DEFS.has(name);
}

/** The effective config of a group from its explicitly set values. */
export function resolveShareConfig(set: ReadonlyMap<string, string>): ShareGroupConfig {
  const get = (n: string) => set.get(n) ?? DEFS.get(n)!.default;
  return {
    lockDurationMs: Number(get('group.share.record.lock.duration.ms')),
    deliveryCountLimit: Number(get('group.share.delivery.count.limit')),
    sessionTimeoutMs: Number(get('group.share.session.timeout.ms')),
    heartbeatIntervalMs: Number(get('group.share.heartbeat.interval.ms')),
    autoOffsetReset: get('share.auto.offset.reset') === 'earliest' ? 'earliest' : 'latest',
    readCommitted: get('share.isolation.level') === 'read_committed',
    redeliveryBackoffMs: parseBackoff(get('brook.share.redelivery.backoff')) ?? [],
    dlqTopic: get('errors.deadletterqueue.topic.name') || null,
  };
}

/** Delay before a record released after its n-th delivery is acquirable again (the last level repeats). */
export function backoffFor(cfg: ShareGroupConfig, deliveryCount: number): number {
  const b = cfg.redeliveryBackoffMs;
  if (b.length === 0 || deliveryCount <= 0) return 0;
  return b[Math.min(deliveryCount, b.length) - 1]!;
}

/** DescribeConfigs of a GROUP resource: every share config, set ones as dynamic. */
export function describeShareConfigs(set: ReadonlyMap<string, string>, keys: readonly string[] | null): DescribedConfig[] {
  const wanted = keys && keys.length > 0 ? new Set(keys) : null;
  return SHARE_CONFIG_DEFS.filter((d) => !wanted || wanted.has(d.name)).map((d) => {
    const v = set.get(d.name);
    // Kafka reports dynamic group configs with the topic-config source value (there is no group-specific one).
    const source = v === undefined ? ConfigSource.DEFAULT_CONFIG : ConfigSource.DYNAMIC_TOPIC_CONFIG;
    return {
      name: d.name,
      value: v ?? d.default,
      readOnly: false,
      source,
      isSensitive: false,
      type: d.type,
      documentation: d.doc,
      synonyms: [{ name: d.name, value: v ?? d.default, source }],
    };
  });
}
