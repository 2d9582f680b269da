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
