/**
 * ElectLeaders: v0-2
 *
 * Behavior:
 * - Preferred or unclean election on request (kafka-leader-election), from any broker. Needs ALTER on the cluster
 *   (CLUSTER_AUTHORIZATION_FAILED).
 * - A null partition list means every partition, and then only the partitions an election was tried for are
 *   reported, as in Kafka.
 * - Unknown partitions: UNKNOWN_TOPIC_OR_PARTITION. A single broker leads everything with its only replica:
 *   ELECTION_NOT_NEEDED.
 *
 * Version notes:
 * - v0: preferred elections only.
 * - v1+: election_type (preferred or unclean, anything else INVALID_REQUEST, KIP-460) and a top-level error_code.
 * - v2: flexible.
 */
import { ErrorCode } from '../../protocol/errors';
import type { ElectLeadersRequest } from '../../protocol/generated/messages/ElectLeadersRequest';
import type { ElectLeadersResponseInput } from '../../protocol/generated/messages/ElectLeadersResponse';
import type { ElectionResult } from '../metadata/types';
import { authorizedCluster } from '../security/acl/check';
import { AclOperation } from '../security/acl/model';
import type { Handler } from './types';

/** ElectLeadersRequest.ElectionType values. */
const ELECTION_PREFERRED = 0;
const ELECTION_UNCLEAN = 1;

type Wanted = Array<{ topic: string; partition: number }>;

function grouped(results: readonly ElectionResult[]): ElectLeadersResponseInput['replicaElectionResults'] {
  const byTopic = new Map<string, ElectionResult[]>();
  for (const r of results) {
    const list = byTopic.get(r.topic) ?? [];
    list.push(r);
    byTopic.set(r.topic, list);
  }
  return [...byTopic].map(([topic, rs]) => ({ topic, partitionResult: rs.map((r) => ({ partitionId: r.partition, errorCode: r.errorCode, errorMessage: r.message })) }));
}

export const handleElectLeaders: Handler<ElectLeadersRequest, ElectLeadersResponseInput> = async (ctx, req) => {
  const { metadata } = ctx.broker;
  const all = req.topicPartitions === null;
  const wanted: Wanted = all
    ? metadata.topics().flatMap((t) => Array.from({ length: t.partitions }, (_, partition) => ({ topic: t.name, partition })))
    : req.topicPartitions!.flatMap((t) => t.partitions.map((partition) => ({ topic: t.topic, partition })));
  if (!authorizedCluster(ctx, AclOperation.ALTER)) {
    const refused = wanted.map((w) => ({ ...w, errorCode: ErrorCode.CLUSTER_AUTHORIZATION_FAILED, message: null }));
    return { throttleTimeMs: 0, errorCode: ErrorCode.CLUSTER_AUTHORIZATION_FAILED, replicaElectionResults: grouped(refused) };
  }
  const type = ctx.apiVersion >= 1 ? req.electionType : ELECTION_PREFERRED;
  if (type !== ELECTION_PREFERRED && type !== ELECTION_UNCLEAN) {
    return { throttleTimeMs: 0, errorCode: ErrorCode.INVALID_REQUEST, replicaElectionResults: [] };
  }
  const known = wanted.filter((w) => metadata.partitionState(w.topic, w.partition) !== undefined);
  const unknown: ElectionResult[] = wanted
    .filter((w) => metadata.partitionState(w.topic, w.partition) === undefined)
    .map((w) => ({ ...w, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, message: `unknown partition ${w.topic}-${w.partition}` }));
  // A single broker leads every partition it has with its only replica: nothing to elect.
  const decided: ElectionResult[] = metadata.electLeaders
    ? await metadata.electLeaders(known, type === ELECTION_PREFERRED ? 'preferred' : 'unclean')
    : known.map((w) => ({ ...w, errorCode: ErrorCode.ELECTION_NOT_NEEDED, message: null }));
  const results = [...decided, ...unknown].filter((r) => !all || r.errorCode !== ErrorCode.ELECTION_NOT_NEEDED);
  return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, replicaElectionResults: grouped(results) };
};
