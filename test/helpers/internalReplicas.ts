/**
 * The internal topics' replication factor for a test cluster of `brokers` brokers, as Kafka's integration test
 * harness sets offsets.topic.replication.factor to its broker count: the default (3) would leave a smaller cluster
 * without `__consumer_offsets` and the other internal topics, which are created only once that many brokers are up.
 * A test's own config overrides it.
 */
export function internalReplicas(brokers: number): Record<string, string> {
  return { 'offsets.topic.replication.factor': String(Math.max(1, Math.min(3, brokers))) };
}
