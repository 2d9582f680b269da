/**
 * WriteTxnMarkers: v0-1
 *
 * Behavior:
 * - Appends the commit/abort markers a coordinator asks for, with acks=all (Brook's own coordinator writes its
 *   markers directly).
 * - Needs CLUSTER_ACTION (CLUSTER_AUTHORIZATION_FAILED on every partition). Unknown topic:
 *   UNKNOWN_TOPIC_OR_PARTITION; cluster mode, not the leader: NOT_LEADER_OR_FOLLOWER.
 *
 * Version notes:
 * - v0: as above. v1: flexible.
 */
import { ErrorCode } from '../../protocol/errors';
import type { WriteTxnMarkersRequest } from '../../protocol/generated/messages/WriteTxnMarkersRequest';
import type { WriteTxnMarkersResponseInput } from '../../protocol/generated/messages/WriteTxnMarkersResponse';
import { StorageError } from '../../storage/errors';
import { partitionLog } from '../metadata/partitionLogs';
import { afterMarker, markerReadyCode } from '../txn/clusterOffsets';
import { appendMarker } from '../txn/markers';
import type { Handler } from './types';
import { authorizedCluster } from '../security/acl/check';
import { AclOperation } from '../security/acl/model';

export const handleWriteTxnMarkers: Handler<WriteTxnMarkersRequest, WriteTxnMarkersResponseInput> = async (ctx, req) => {
  if (!authorizedCluster(ctx, AclOperation.CLUSTER_ACTION)) {
    const refused = (partitionIndex: number) => ({ partitionIndex, errorCode: ErrorCode.CLUSTER_AUTHORIZATION_FAILED });
    return { markers: req.markers.map((m) => ({ producerId: m.producerId, topics: m.topics.map((t) => ({ name: t.name, partitions: t.partitionIndexes.map(refused) })) })) };
  }
  const markers = await Promise.all(
    req.markers.map(async (m) => ({
      producerId: m.producerId,
      topics: await Promise.all(
        m.topics.map(async (t) => {
          const info = ctx.broker.metadata.topic(t.name);
          return {
            name: t.name,
            partitions: await Promise.all(
              t.partitionIndexes.map(async (p) => {
                if (!info) return { partitionIndex: p, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION };
                // Cluster mode: only the leader appends; a follower's copy comes from replication.
                const leader = ctx.broker.clustered ? ctx.broker.metadata.partitionState(t.name, p)?.leader : undefined;
                if (leader !== undefined && leader !== ctx.broker.metadata.self().nodeId) return { partitionIndex: p, errorCode: ErrorCode.NOT_LEADER_OR_FOLLOWER };
                const found = await partitionLog(ctx.broker, info, p);
                if (!found.log) return { partitionIndex: p, errorCode: found.errorCode };
                const ready = markerReadyCode(ctx.broker, t.name, p);
                if (ready !== ErrorCode.NONE) return { partitionIndex: p, errorCode: ready };
                try {
                  // acks=all, as Kafka appends markers: the coordinator retries until the ISR has it
                  const written = await appendMarker(ctx.broker, found.log, t.name, p, m.producerId, m.producerEpoch, m.transactionResult, m.coordinatorEpoch, ctx.now);
                  if (written !== ErrorCode.NONE) return { partitionIndex: p, errorCode: written };
                  await afterMarker(ctx.broker, t.name, p, m.producerId, m.transactionResult);
                  return { partitionIndex: p, errorCode: ErrorCode.NONE };
                } catch (err) {
                  if (err instanceof StorageError) return { partitionIndex: p, errorCode: err.code };
                  throw err;
                }
              }),
            ),
          };
        }),
      ),
    })),
  );
  return { markers };
};
