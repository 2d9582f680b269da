/**
 * kafkajs refuses a whole Metadata answer when any partition of any topic has a partition-level error, and its
 * admin client asks for every topic: with one partition offline (its leader dead, LEADER_NOT_AVAILABLE, what Kafka
 * answers too) `brook topics list`, `groups list` and the rest failed for the whole cluster. Kafka's own tools show
 * such a partition with no leader and go on. For the CLI's process only (never the broker's, and not for callers
 * of runAdmin that share kafkajs with other code), the Metadata parser of every version kafkajs speaks keeps the
 * topic-level checks and lets partitions without a leader through; the commands then show leader -1.
 */

/** kafkajs's own error helpers (not in its typed API). */
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { failure, createErrorFromCode } = require('kafkajs/src/protocol/error') as { failure(code: number): boolean; createErrorFromCode(code: number): Error };

interface MetadataAnswer {
  topicMetadata: Array<{ topicErrorCode: number; partitionMetadata: Array<{ partitionErrorCode: number }> }>;
}

const LEADER_NOT_AVAILABLE = 5;
const REPLICA_NOT_AVAILABLE = 9;
const VERSIONS = ['v0', 'v1', 'v2', 'v3', 'v4', 'v5', 'v6'];

async function tolerantParse(data: MetadataAnswer): Promise<MetadataAnswer> {
  for (const t of data.topicMetadata) if (failure(t.topicErrorCode)) throw createErrorFromCode(t.topicErrorCode);
  for (const t of data.topicMetadata) {
    for (const p of t.partitionMetadata) {
      const code = p.partitionErrorCode;
      if (failure(code) && code !== LEADER_NOT_AVAILABLE && code !== REPLICA_NOT_AVAILABLE) throw createErrorFromCode(code);
    }
  }
  return data;
}

export function tolerateOfflinePartitions(): void {
  for (const v of VERSIONS) {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const mod = require(`kafkajs/src/protocol/requests/metadata/${v}/response`) as { parse: unknown };
    mod.parse = tolerantParse;
  }
}
