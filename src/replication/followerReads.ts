import { ErrorCode } from '../../protocol/errors';
import { StorageError } from '../../storage/errors';
import type { ReadLease } from '../../storage/readBuffers';
import { errorRead, type FetchTarget, type PartitionRead } from '../fetch/readPartitions';
import type { ReplicatedBroker } from './replicatedBroker';
import { checkLeader } from './leadership';

/**
 * A follower's Fetch on the leader: the fetch offset tells the leader how far
 * the follower got (ISR, high watermark), and the answer reads up to the log
 * end rather than the high watermark, with the high watermark for the follower
 * to adopt. With a `lease`, the chunks are in its buffers and valid until it
 * is released.
 */
export async function readForFollower(services: ReplicatedBroker, targets: readonly FetchTarget[], maxBytes: number, replicaId: number, recordProgress: boolean, lease?: ReadLease): Promise<PartitionRead[]> {
  const replication = services.replication!;
  let remaining = maxBytes;
  let readAny = false;
  const out: PartitionRead[] = [];
  for (const t of targets) {
    if (t.topic === null) {
      out.push(errorRead(t, t.errorCode, null));
      continue;
    }
    const check = checkLeader(services, t.topicName, t.partition, t.currentLeaderEpoch, { replicaFetch: true });
    if (check.errorCode !== 0 || !check.replica) {
      out.push(errorRead(t, check.errorCode || ErrorCode.NOT_LEADER_OR_FOLLOWER, null));
      continue;
    }
    const replica = check.replica;
    const log = replica.log;
    if (t.fetchOffset < log.logStartOffset || t.fetchOffset > log.logEndOffset) {
      out.push(errorRead(t, ErrorCode.OFFSET_OUT_OF_RANGE, log));
      continue;
    }
    // once per request: a parked fetch re-reads on every wake, and its offset is news only the first time
    // (an abandoned parked fetch must not keep a stopped follower looking caught up or bring it back in sync)
    if (recordProgress) replication.onFollowerFetch(replica, replicaId, t.fetchOffset, Date.now());
    // a replica being added (reassignment catch-up) is served within the leader throttle; in-sync followers are not
    const catchUp = replication.throttle.leader.limited && (replica.state.addingReplicas?.includes(replicaId) ?? false);
    if (catchUp && replication.throttle.leader.delayMs() > 0) {
      out.push({ target: t, errorCode: 0, log, logStartOffset: log.logStartOffset, logEndOffset: log.logEndOffset, highWatermark: log.highWatermark, chunks: [], bytes: 0 });
      continue;
    }
    const limit = Math.min(t.maxBytes, remaining, catchUp ? Math.max(1, replication.throttle.leader.allowance()) : Infinity);
    const logEndOffset = log.logEndOffset;
    // caught up, the common case for every partition but the one that woke the fetch: no read, no spread
    if (t.fetchOffset === logEndOffset || (limit <= 0 && readAny)) {
      out.push({ target: t, errorCode: 0, log, logStartOffset: log.logStartOffset, logEndOffset, highWatermark: log.highWatermark, chunks: [], bytes: 0 });
      continue;
    }
    try {
      const logStartOffset = log.logStartOffset;
      const r = await log.read(t.fetchOffset, Math.max(limit, 0), { maxOffset: logEndOffset, minOneBatch: !readAny, lease });
      remaining -= r.bytes;
      if (catchUp) replication.throttle.leader.record(r.bytes);
      if (r.bytes > 0) readAny = true;
      out.push({ target: t, errorCode: 0, log, logStartOffset, logEndOffset, highWatermark: log.highWatermark, chunks: r.chunks, bytes: r.bytes });
    } catch (err) {
      if (!(err instanceof StorageError)) throw err;
      out.push(errorRead(t, err.code, log));
    }
  }
  return out;
}
