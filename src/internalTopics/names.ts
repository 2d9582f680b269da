/**
 * The broker's own topics, written only by the broker (Produce refuses them)
 * and replicated like any other. A leaf, so that metadata, security, metrics
 * and the coordinators can name them without importing each other.
 */

/** Committed offsets and group state, one partition per group hash (Kafka's). */
export const OFFSETS_TOPIC = '__consumer_offsets';

/** Transaction coordinator state, one partition (Kafka's). */
export const TXN_STATE_TOPIC = '__transaction_state';

/** Who produced which offsets of topics with brook.trace.enable (src/trace), one compacted partition. */
export const TRACE_TOPIC = '__brook_trace';
/** Scheduled delivery (src/scheduled): the scheduled records and the delivery journal, an append log. */
export const SCHEDULED_TOPIC = '__brook_scheduled';

/** Kafka's, then every `__brook_` one (share-group state and any added later). */
const RESERVED = new Set([OFFSETS_TOPIC, TXN_STATE_TOPIC]);
const BROOK_PREFIX = '__brook_';

/**
 * A name only the broker's own coordinators may create: a client's CreateTopics or an auto-creation would make it an
 * ordinary topic that takes any record, and the coordinator replaying it at the next start would meet records that
 * are not its own (Kafka refuses such creations too: "Creation of internal topic ... is prohibited").
 */
export function isReservedInternalTopic(name: string): boolean {
  return RESERVED.has(name) || name.startsWith(BROOK_PREFIX);
}
