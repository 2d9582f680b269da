import { isKnownTopicConfig } from '../config/logConfigMapping';
import { filterProblem } from '../views/viewTopics';
import { ConfigType, type ConfigTypeValue } from './configTypes';
import { SCHEDULED_TOPIC_CONFIGS } from './scheduledTopicConfigs';
import { anyValue, boolValue, doubleValue, intValue, listOf, longValue, oneOf, type ValueCheck } from './configValues';

/** A broker property that sets the same thing for every topic. */
export interface BrokerSynonym {
  name: string;
  /** The broker property is in coarser units (hours, minutes) than the topic config (ms). */
  scale?: number;
  /** Kafka's default of the broker property itself, when it has one. */
  defaultValue?: string;
}

export interface TopicConfigDef {
  name: string;
  type: ConfigTypeValue;
  /** Kafka's default when neither the topic nor the broker sets it. */
  defaultValue: string | null;
  /** Highest precedence first. */
  synonyms: BrokerSynonym[];
  check: ValueCheck;
  doc: string;
}

const LONG_MAX = '9223372036854775807';
const MS_PER_HOUR = 3_600_000;

/**
 * Every topic config Kafka defines, so tools that set common ones
 * (compression.type, min.insync.replicas, ...) are not refused. Those the
 * storage layer acts on are listed in logConfigMapping; the rest are stored and
 * reported, and their documentation says Brook does not act on them.
 */
const DEFS: TopicConfigDef[] = [
  {
    name: 'cleanup.policy',
    type: ConfigType.LIST,
    defaultValue: 'delete',
    synonyms: [{ name: 'log.cleanup.policy', defaultValue: 'delete' }],
    check: listOf(['delete', 'compact'], true),
    doc: 'How old log segments are discarded: "delete" by age or size, "compact" keeps the newest record per key, or both.',
  },
  {
    name: 'compression.type',
    type: ConfigType.STRING,
    defaultValue: 'producer',
    synonyms: [{ name: 'compression.type', defaultValue: 'producer' }],
    check: oneOf('uncompressed', 'zstd', 'lz4', 'snappy', 'gzip', 'producer'),
    doc: 'Compression codec of stored batches; "producer" keeps what the producer sent.',
  },
  {
    name: 'compression.gzip.level',
    type: ConfigType.INT,
    defaultValue: '-1',
    synonyms: [{ name: 'compression.gzip.level', defaultValue: '-1' }],
    check: (v) => (v.trim() === '-1' ? null : intValue(1, 9)(v)),
    doc: 'Gzip level used when the broker compresses (-1 = codec default).',
  },
  {
    name: 'compression.lz4.level',
    type: ConfigType.INT,
    defaultValue: '9',
    synonyms: [{ name: 'compression.lz4.level', defaultValue: '9' }],
    check: intValue(1, 17),
    doc: 'LZ4 level used when the broker compresses.',
  },
  {
    name: 'compression.zstd.level',
    type: ConfigType.INT,
    defaultValue: '3',
    synonyms: [{ name: 'compression.zstd.level', defaultValue: '3' }],
    check: intValue(-131072, 22),
    doc: 'Zstandard level used when the broker compresses.',
  },
  {
    name: 'delete.retention.ms',
    type: ConfigType.LONG,
    defaultValue: '86400000',
    synonyms: [{ name: 'log.cleaner.delete.retention.ms', defaultValue: '86400000' }],
    check: longValue(0),
    doc: 'How long compaction keeps tombstones, so consumers that lag can still see deletions.',
  },
  {
    name: 'file.delete.delay.ms',
    type: ConfigType.LONG,
    defaultValue: '60000',
    synonyms: [{ name: 'log.segment.delete.delay.ms', defaultValue: '60000' }],
    check: longValue(0),
    doc: 'Delay before a deleted segment file is removed from disk.',
  },
  {
    name: 'flush.messages',
    type: ConfigType.LONG,
    defaultValue: LONG_MAX,
    synonyms: [{ name: 'log.flush.interval.messages', defaultValue: LONG_MAX }],
    check: longValue(1),
    doc: 'Force an fsync after this many messages since the last one.',
  },
  {
    name: 'flush.ms',
    type: ConfigType.LONG,
    defaultValue: LONG_MAX,
    synonyms: [{ name: 'log.flush.interval.ms' }],
    check: longValue(0),
    doc: 'Force an fsync when the oldest unflushed message is this old.',
  },
  {
    name: 'follower.replication.throttled.replicas',
    type: ConfigType.LIST,
    defaultValue: '',
    synonyms: [],
    check: anyValue,
    doc: 'Replicas whose follower replication is throttled.',
  },
  {
    name: 'index.interval.bytes',
    type: ConfigType.INT,
    defaultValue: '4096',
    synonyms: [{ name: 'log.index.interval.bytes', defaultValue: '4096' }],
    check: intValue(0),
    doc: 'Bytes of log between two entries of the sparse offset index.',
  },
  {
    name: 'leader.replication.throttled.replicas',
    type: ConfigType.LIST,
    defaultValue: '',
    synonyms: [],
    check: anyValue,
    doc: 'Replicas whose leader-side replication is throttled.',
  },
  {
    name: 'local.retention.bytes',
    type: ConfigType.LONG,
    defaultValue: '-2',
    synonyms: [{ name: 'log.local.retention.bytes', defaultValue: '-2' }],
    check: longValue(-2),
    doc: 'Local size limit when tiered storage is on (-2 = same as retention.bytes).',
  },
  {
    name: 'local.retention.ms',
    type: ConfigType.LONG,
    defaultValue: '-2',
    synonyms: [{ name: 'log.local.retention.ms', defaultValue: '-2' }],
    check: longValue(-2),
    doc: 'Local age limit when tiered storage is on (-2 = same as retention.ms).',
  },
  {
    name: 'max.compaction.lag.ms',
    type: ConfigType.LONG,
    defaultValue: LONG_MAX,
    synonyms: [{ name: 'log.cleaner.max.compaction.lag.ms', defaultValue: LONG_MAX }],
    check: longValue(1),
    doc: 'Longest a record may stay uncompacted.',
  },
  {
    name: 'max.message.bytes',
    type: ConfigType.INT,
    defaultValue: '1048588',
    synonyms: [{ name: 'message.max.bytes', defaultValue: '1048588' }],
    check: intValue(0),
    doc: 'Largest record batch the topic accepts (after compression).',
  },
  {
    name: 'message.downconversion.enable',
    type: ConfigType.BOOLEAN,
    defaultValue: 'true',
    synonyms: [{ name: 'log.message.downconversion.enable', defaultValue: 'true' }],
    check: boolValue,
    doc: 'Whether old consumers get batches converted to their message format.',
  },
  {
    name: 'message.format.version',
    type: ConfigType.STRING,
    defaultValue: '3.0-IV1',
    synonyms: [{ name: 'log.message.format.version', defaultValue: '3.0-IV1' }],
    check: anyValue,
    doc: 'Message format version (ignored since Kafka 3.0: v2 is always used).',
  },
  {
    name: 'message.timestamp.after.max.ms',
    type: ConfigType.LONG,
    defaultValue: LONG_MAX,
    synonyms: [{ name: 'log.message.timestamp.after.max.ms', defaultValue: LONG_MAX }],
    check: longValue(0),
    doc: 'How far in the future a CreateTime timestamp may be.',
  },
  {
    name: 'message.timestamp.before.max.ms',
    type: ConfigType.LONG,
    defaultValue: LONG_MAX,
    synonyms: [{ name: 'log.message.timestamp.before.max.ms', defaultValue: LONG_MAX }],
    check: longValue(0),
    doc: 'How far in the past a CreateTime timestamp may be.',
  },
  {
    name: 'message.timestamp.difference.max.ms',
    type: ConfigType.LONG,
    defaultValue: LONG_MAX,
    synonyms: [{ name: 'log.message.timestamp.difference.max.ms', defaultValue: LONG_MAX }],
    check: longValue(0),
    doc: 'Largest allowed gap between a CreateTime timestamp and the broker clock (deprecated by the before/after pair).',
  },
  {
    name: 'message.timestamp.type',
    type: ConfigType.STRING,
    defaultValue: 'CreateTime',
    synonyms: [{ name: 'log.message.timestamp.type', defaultValue: 'CreateTime' }],
    check: oneOf('CreateTime', 'LogAppendTime'),
    doc: 'Whether record timestamps are the producer\'s (CreateTime) or the broker\'s append time (LogAppendTime).',
  },
  {
    name: 'min.cleanable.dirty.ratio',
    type: ConfigType.DOUBLE,
    defaultValue: '0.5',
    synonyms: [{ name: 'log.cleaner.min.cleanable.ratio', defaultValue: '0.5' }],
    check: doubleValue(0, 1),
    doc: 'Share of uncompacted log that triggers compaction.',
  },
  {
    name: 'min.compaction.lag.ms',
    type: ConfigType.LONG,
    defaultValue: '0',
    synonyms: [{ name: 'log.cleaner.min.compaction.lag.ms', defaultValue: '0' }],
    check: longValue(0),
    doc: 'Youngest a record must be before compaction may remove it.',
  },
  {
    name: 'min.insync.replicas',
    type: ConfigType.INT,
    defaultValue: '1',
    synonyms: [{ name: 'min.insync.replicas', defaultValue: '1' }],
    check: intValue(1),
    doc: 'Replicas that must acknowledge an acks=all write (a single broker always has one).',
  },
  {
    name: 'preallocate',
    type: ConfigType.BOOLEAN,
    defaultValue: 'false',
    synonyms: [{ name: 'log.preallocate', defaultValue: 'false' }],
    check: boolValue,
    doc: 'Preallocate segment files on disk.',
  },
  {
    name: 'remote.storage.enable',
    type: ConfigType.BOOLEAN,
    defaultValue: 'false',
    synonyms: [],
    check: (v) => boolValue(v) ?? (v.trim().toLowerCase() === 'true' ? 'tiered storage is not available on this broker' : null),
    doc: 'Tiered storage for the topic; Brook has none, so only false is accepted.',
  },
  {
    name: 'retention.bytes',
    type: ConfigType.LONG,
    defaultValue: '-1',
    synonyms: [{ name: 'log.retention.bytes', defaultValue: '-1' }],
    check: longValue(),
    doc: 'Largest size a partition may grow to before old segments are deleted (-1 = no limit).',
  },
  {
    name: 'retention.ms',
    type: ConfigType.LONG,
    defaultValue: '604800000',
    synonyms: [
      { name: 'log.retention.ms' },
      { name: 'log.retention.minutes', scale: 60_000 },
      { name: 'log.retention.hours', scale: MS_PER_HOUR, defaultValue: '168' },
    ],
    check: longValue(-1),
    doc: 'How long a segment is kept after its newest record before it is deleted (-1 = forever).',
  },
  {
    name: 'segment.bytes',
    type: ConfigType.INT,
    defaultValue: '1073741824',
    synonyms: [{ name: 'log.segment.bytes', defaultValue: '1073741824' }],
    check: intValue(14),
    doc: 'Size at which the active segment is closed and a new one started.',
  },
  {
    name: 'segment.index.bytes',
    type: ConfigType.INT,
    defaultValue: '10485760',
    synonyms: [{ name: 'log.index.size.max.bytes', defaultValue: '10485760' }],
    check: intValue(4),
    doc: 'Largest size of a segment\'s offset index.',
  },
  {
    name: 'segment.jitter.ms',
    type: ConfigType.LONG,
    defaultValue: '0',
    synonyms: [
      { name: 'log.roll.jitter.ms' },
      { name: 'log.roll.jitter.hours', scale: MS_PER_HOUR, defaultValue: '0' },
    ],
    check: longValue(0),
    doc: 'Random amount subtracted from segment.ms so segments do not all roll at once.',
  },
  {
    name: 'segment.ms',
    type: ConfigType.LONG,
    defaultValue: '604800000',
    synonyms: [
      { name: 'log.roll.ms' },
      { name: 'log.roll.hours', scale: MS_PER_HOUR, defaultValue: '168' },
    ],
    check: longValue(1),
    doc: 'Age at which the active segment is closed even if not full, so retention can delete it.',
  },
  {
    name: 'unclean.leader.election.enable',
    type: ConfigType.BOOLEAN,
    defaultValue: 'false',
    synonyms: [{ name: 'unclean.leader.election.enable', defaultValue: 'false' }],
    check: boolValue,
    doc: 'Whether an out-of-sync replica may become leader (cluster mode; turning it on elects offline partitions at once).',
  },
  {
    name: 'brook.fsync.on.append',
    type: ConfigType.BOOLEAN,
    defaultValue: 'false',
    synonyms: [{ name: 'log.flush.on.append', defaultValue: 'false' }],
    check: boolValue,
    doc: 'Brook: acknowledge a produce only after its batch is fsynced (group commit).',
  },
  {
    name: 'brook.index.keys',
    type: ConfigType.BOOLEAN,
    defaultValue: 'false',
    synonyms: [],
    check: boolValue,
    doc: 'Brook: keep a per-segment key-hash index so messages can be found by key without scanning.',
  },
  {
    name: 'brook.trace.enable',
    type: ConfigType.BOOLEAN,
    defaultValue: 'false',
    synonyms: [],
    check: boolValue,
    doc: 'Brook: record which producer wrote each batch (in __brook_trace) so a message can be traced.',
  },
  ...SCHEDULED_TOPIC_CONFIGS,
  {
    name: 'brook.view.of',
    type: ConfigType.STRING,
    defaultValue: null,
    synonyms: [],
    check: (v) => (v.trim() === '' ? 'expected the name of the source topic' : null),
    doc: 'Brook: makes the topic a read-only filtered view of this source topic (set at creation only).',
  },
  {
    name: 'brook.view.filter',
    type: ConfigType.STRING,
    defaultValue: null,
    synonyms: [],
    check: (v) => filterProblem(v),
    doc: 'Brook: which source records a view serves: RocketMQ tag syntax (paid || refunded) or a SQL92 condition over headers, key and value.<field>.',
  },
];

/** Topic configs acted on outside the log (src/trace, src/views), so not in the log config mapping. */
// acted on outside the log's own config: tracing, views, and the cluster's replication (acks=all, elections)
const ACTED_ON_ELSEWHERE = new Set(['brook.trace.enable', 'brook.view.of', 'brook.view.filter', 'min.insync.replicas', 'unclean.leader.election.enable']);

const NOT_ENFORCED = ' Brook stores this setting but does not act on it.';

const BY_NAME: ReadonlyMap<string, TopicConfigDef> = new Map(
  DEFS.map((d) => [d.name, isKnownTopicConfig(d.name) || ACTED_ON_ELSEWHERE.has(d.name) || SCHEDULED_TOPIC_CONFIGS.includes(d) ? d : { ...d, doc: d.doc + NOT_ENFORCED }]),
);

export function topicConfigDef(name: string): TopicConfigDef | undefined {
  return BY_NAME.get(name);
}

/** In name order, as Kafka lists them. */
export function topicConfigDefs(): TopicConfigDef[] {
  return [...BY_NAME.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}
