/**
 * Fetch: v0-18
 *
 * Behavior:
 * - Long polls until min_bytes, an error, or max_wait_ms (capped by the broker) is reached, woken by appends.
 * - Consumers need READ on each topic, followers (replica id >= 0) CLUSTER_ACTION; refused partitions answer
 *   TOPIC_AUTHORIZATION_FAILED. Followers read up to the log end for replication.
 * - read_committed reads stop at the last stable offset and list aborted transactions.
 * - Fetch sessions (KIP-227): incremental fetches only send partitions with news; session errors answer at the top
 *   level.
 * - A client over its fetch quota gets no data and the throttle time; a session that request would have started is
 *   not started.
 * - preferred_read_replica is always -1 (no follower fetching for consumers).
 *
 * Version notes:
 * - v0-3: records are converted down to message format v0 (v0-1) or v1 (v2-3). v3 adds max_bytes. A filtered view
 *   sends them no commit marker (no control batches in those formats), so a read with no match waits like an empty one.
 * - v4+: v2 record batches as stored; isolation_level, last_stable_offset, aborted_transactions. v5:
 *   log_start_offset.
 * - v7+: fetch sessions. v9: current_leader_epoch. v11: rack_id. v12+: flexible.
 * - v13+: topics by id. v15+: replica id in replica_state. v18: a follower behind the leader's high watermark is
 *   answered at once (KIP-1166).
 */
import type { FetchRequest } from '../../protocol/generated/messages/FetchRequest';
import type { FetchResponseInput } from '../../protocol/generated/messages/FetchResponse';
import { convertV2ToLegacy } from '../../protocol/records';
import type { ReadLease } from '../../storage/readBuffers';
import { FetchState } from '../fetch/fetchState';
import { readPartitions, type FetchTarget, type PartitionRead } from '../fetch/readPartitions';
import { sessionKey, type FetchSession } from '../fetch/sessionCache';
import { planFetch, sessionTargets } from '../fetch/sessionRequest';
import { SessionWatch, WATCH_MIN_PARTITIONS, sweepPeriodFor } from '../fetch/sessionWatch';
import { authorizeFetchTargets } from '../security/acl/fetchTargets';
import type { Handler, RequestContext } from './types';
import { readForFollower } from '../replication/followerReads';
import { fetchQuotaFor, throttleFetch } from '../security/quota/requestThrottle';

const EMPTY = Buffer.alloc(0);
const READ_COMMITTED = 1;

type TopicResponse = NonNullable<FetchResponseInput['responses']>[number];
type PartitionResponse = NonNullable<TopicResponse['partitions']>[number];

function fetchState(ctx: RequestContext): FetchState {
  ctx.broker.fetch ??= new FetchState(ctx.broker.config.fetchSessionCacheSlots);
  return ctx.broker.fetch;
}

/** Fetch v0-v3 clients only read message format v0/v1, so their answers are converted (a copy, unlike v4+). */
function recordsFor(version: number, read: PartitionRead): Buffer | Buffer[] {
  if (read.bytes === 0) return EMPTY;
  if (version >= 4) return read.chunks;
  const v2 = read.chunks.length === 1 ? read.chunks[0] : Buffer.concat(read.chunks, read.bytes);
  return convertV2ToLegacy(v2, version <= 1 ? 0 : 1);
}

function partitionResponse(version: number, isolation: number, read: PartitionRead): PartitionResponse {
  // Without transactions the last stable offset is the high watermark.
  return {
    partitionIndex: read.target.partition,
    errorCode: read.errorCode,
    highWatermark: BigInt(read.highWatermark),
    lastStableOffset: BigInt(read.lastStableOffset ?? read.highWatermark),
    logStartOffset: BigInt(read.logStartOffset),
    abortedTransactions: isolation === READ_COMMITTED ? (read.abortedTransactions ?? []).map((a) => ({ producerId: a.producerId, firstOffset: BigInt(a.firstOffset) })) : null,
    preferredReadReplica: -1,
    records: recordsFor(version, read),
  };
}

/** Groups partition answers by topic, keeping the order in which topics first appear. */
function groupByTopic(version: number, isolation: number, reads: readonly PartitionRead[]): TopicResponse[] {
  const byTopic = new Map<string, TopicResponse & { partitions: PartitionResponse[] }>();
  for (const r of reads) {
    const key = version >= 13 ? r.target.topicId.toString('hex') : r.target.topicName;
    let t = byTopic.get(key);
    if (!t) {
      t = { topic: r.target.topicName, topicId: r.target.topicId, partitions: [] };
      byTopic.set(key, t);
    }
    t.partitions.push(partitionResponse(version, isolation, r));
  }
  return [...byTopic.values()];
}

/** In an incremental session, a partition is only sent when it carries news. */
function worthSending(read: PartitionRead, session: FetchSession): boolean {
  if (read.errorCode !== 0 || read.bytes > 0) return true;
  const e = session.partitions.get(sessionKey(read.target.topicName, read.target.partition));
  if (!e) return true;
  return e.sentHighWatermark !== read.highWatermark || e.sentLogStartOffset !== read.logStartOffset;
}

function rememberSent(session: FetchSession, reads: readonly PartitionRead[]): void {
  for (const r of reads) {
    const key = sessionKey(r.target.topicName, r.target.partition);
    const e = session.partitions.get(key);
    if (!e) continue;
    e.sentHighWatermark = r.highWatermark;
    e.sentLogStartOffset = r.logStartOffset;
    if (r.bytes > 0) {
      // Partitions that just got data go to the back, so with a tight max_bytes the others get their turn next.
      session.partitions.delete(key);
      session.partitions.set(key, e);
    }
  }
}

/** Something a parked fetch should wake for appeared since these reads. */
function progressed(reads: readonly PartitionRead[]): boolean {
  return reads.some(movedSince);
}

/**
 * KIP-1166 (Fetch v18): a follower that reports an older high watermark than the leader's is answered at
 * once, so it learns the new one (and can serve it) without waiting out max_wait_ms for more data.
 */
function followerBehindHighWatermark(reads: readonly PartitionRead[]): boolean {
  return reads.some((r) => r.target.replicaHighWatermark !== undefined && r.target.replicaHighWatermark < r.highWatermark);
}

/**
 * Reads until min_bytes is reached, an error shows up, or max_wait_ms is over.
 * Waiting is driven by append notifications of the partitions involved.
 */
async function readWithLongPoll(ctx: RequestContext, req: FetchRequest, targets: FetchTarget[], borrowed: { lease?: ReadLease }, session: WatchedSession | null): Promise<PartitionRead[]> {
  const state = fetchState(ctx);
  let maxBytes = ctx.apiVersion >= 3 ? req.maxBytes : Number.MAX_SAFE_INTEGER;
  // A client under a consumer quota gets at most its window's allowance per fetch, as in Kafka.
  const quota = fetchQuotaFor(ctx, req);
  if (quota) maxBytes = Math.min(maxBytes, quota.maxBytesInWindow(ctx.connection.principal, ctx.clientId));
  const maxWait = Math.min(Math.max(req.maxWaitMs, 0), ctx.broker.config.fetchMaxWaitMsCap);
  const deadline = ctx.now + maxWait;
  // a follower (replica id >= 0) reads up to the log end and reports its progress (src/replication)
  const replicaId = ctx.apiVersion >= 15 ? req.replicaState.replicaId : req.replicaId;
  let firstRead = true;
  // read buffers are borrowed only when the connection tells us when the answer was written
  const pool = ctx.afterResponseWritten ? state.readBuffers : null;
  const follower = replicaId >= 0 && ctx.broker.replication !== undefined;
  const read = (subset: FetchTarget[] = targets): Promise<PartitionRead[]> => {
    const first = firstRead;
    firstRead = false;
    // the previous round's reads are thrown away (only their offsets were looked at): their buffers go back now
    borrowed.lease?.release();
    const lease = (borrowed.lease = pool?.lease());
    return follower
      ? readForFollower(ctx.broker, subset, maxBytes, replicaId, first, lease)
      : readPartitions(ctx.broker, subset, maxBytes, req.isolationLevel === READ_COMMITTED, ctx.apiVersion < 4, lease);
  };
  let reads = watchReads(session, await read());
  for (;;) {
    let bytes = 0;
    let failed = false;
    for (const r of reads) {
      bytes += r.bytes;
      if (r.errorCode !== 0) failed = true;
    }
    const left = deadline - Date.now();
    if (bytes >= req.minBytes || failed || left <= 0 || (replicaId >= 0 && followerBehindHighWatermark(reads))) return reads;
    if (!progressed(reads) && !session?.watch.hasMarks) {
      const parked = reads;
      const woken = session
        ? await state.waiters.waitForSignal((wake) => session.watch.onMark(wake), left, () => progressed(parked) || session.watch.hasMarks)
        : await state.waiters.waitForAppend(
            reads.flatMap((r) => (r.log ? [r.log] : [])),
            left,
            () => progressed(parked),
          );
      if (!woken) return watchReads(session, await read(reads.map((r) => r.target)));
    }
    // A follower's parked fetch wakes for the partition that moved: re-reading only the moved ones (and, in a
    // watched session, the ones marked since) keeps a wake-up from costing work in proportion to all replicated
    // partitions. Only when nothing read so far holds buffers (the re-read gives the previous round's lease back).
    if (follower && bytes === 0) reads = watchReads(session, await rereadMoved(reads, read, session));
    else reads = watchReads(session, await read([...reads.map((r) => r.target), ...(session ? session.markedTargets(reads) : [])]));
  }
}

/** `reads` with the partitions whose log moved since (or that asked to scan again) read anew, and the session's newly marked ones added. */
async function rereadMoved(reads: PartitionRead[], read: (subset: FetchTarget[]) => Promise<PartitionRead[]>, session: WatchedSession | null): Promise<PartitionRead[]> {
  const moved: number[] = [];
  for (let i = 0; i < reads.length; i++) if (movedSince(reads[i]!)) moved.push(i);
  const extra = session ? session.markedTargets(reads) : [];
  // woken by a notification that changed nothing these reads show: wait again on the same reads
  if (moved.length === 0 && extra.length === 0) return reads;
  if (moved.length === reads.length && extra.length === 0) return read(reads.map((r) => r.target));
  const fresh = await read([...moved.map((i) => reads[i]!.target), ...extra]);
  const out = reads.slice();
  for (let j = 0; j < moved.length; j++) out[moved[j]!] = fresh[j]!;
  for (let j = moved.length; j < fresh.length; j++) out.push(fresh[j]!);
  return out;
}

/**
 * A watched follower session and how to turn its marked partitions into targets. Marked partitions already
 * among the reads are left to `movedSince`: their mark is the change those reads would show.
 */
interface WatchedSession {
  watch: SessionWatch;
  markedTargets(reads: readonly PartitionRead[]): FetchTarget[];
}

function watchedSession(ctx: RequestContext, session: FetchSession, version: number, replicaId: number): WatchedSession {
  const watch = session.watch!;
  return {
    watch,
    markedTargets: (reads) => {
      if (!watch.hasMarks) return [];
      const have = new Set(reads.map((r) => sessionKey(r.target.topicName, r.target.partition)));
      const keys = [...watch.take()].filter((k) => !have.has(k));
      return authorizeFetchTargets(ctx, replicaId, sessionTargets(session, ctx.broker.metadata, version, keys));
    },
  };
}

/**
 * Watches the logs just read (a no-op for those already watched). Watching starts after the read, so a log that
 * moved in between is marked at once rather than left until the sweep.
 */
function watchReads(session: WatchedSession | null, reads: PartitionRead[]): PartitionRead[] {
  if (!session) return reads;
  for (const r of reads) {
    if (!r.log) continue;
    const key = sessionKey(r.target.topicName, r.target.partition);
    session.watch.watch(key, r.log);
    if (movedSince(r)) session.watch.keep(key);
  }
  return reads;
}

/** After the answer: a partition the follower is behind on that got nothing (byte limits, throttle) is read again next time. */
function keepUnfinished(session: WatchedSession, reads: readonly PartitionRead[]): void {
  for (const r of reads) {
    if (r.errorCode === 0 && r.bytes === 0 && r.logEndOffset !== undefined && r.logEndOffset > r.target.fetchOffset) {
      session.watch.keep(sessionKey(r.target.topicName, r.target.partition));
    }
  }
}

function movedSince(r: PartitionRead): boolean {
  return r.scanAgain === true || (r.log !== null && (r.log.highWatermark !== r.highWatermark || (r.logEndOffset !== undefined && r.log.logEndOffset !== r.logEndOffset)));
}

export const handleFetch: Handler<FetchRequest, FetchResponseInput> = async (ctx, req) => {
  const version = ctx.apiVersion;
  const plan = planFetch(fetchState(ctx).sessions, ctx.broker.metadata, req, version, ctx.now);
  if (plan.kind === 'error') {
    return { throttleTimeMs: 0, errorCode: plan.errorCode, sessionId: 0, responses: [] };
  }
  const replicaId = ctx.apiVersion >= 15 ? req.replicaState.replicaId : req.replicaId;
  const replication = ctx.broker.replication;
  // a follower's session on a replicating leader is watched once it is large, from a request that reads all of it
  // (planned while it was not watched yet), so every partition's log is watched from there on
  if (replication && replicaId >= 0 && plan.session && !plan.session.watch && plan.session.partitions.size >= WATCH_MIN_PARTITIONS) plan.session.watch = new SessionWatch(ctx.now, sweepPeriodFor(replication.config.replicaLagTimeMaxMs));
  const session = plan.session?.watch ? watchedSession(ctx, plan.session, version, replicaId) : null;
  const borrowed: { lease?: ReadLease } = {};
  const reads = await readWithLongPoll(ctx, req, authorizeFetchTargets(ctx, replicaId, plan.targets), borrowed, session);
  const lease = borrowed.lease;
  if (replication && replicaId >= 0) {
    if (reads.some((r) => r.bytes > 0)) replication.followerFetchesWithData++;
    else replication.followerFetchesEmpty++;
  }
  if (session) keepUnfinished(session, reads);
  // the answer links the read buffers: they go back to the pool once the socket has written it
  if (lease) ctx.afterResponseWritten!(() => lease.release());
  let throttleTimeMs = 0;
  const quota = fetchQuotaFor(ctx, req);
  if (quota) {
    const throttled = await throttleFetch(ctx, quota, reads.reduce((n, r) => n + r.bytes, 0));
    if (throttled.withhold) {
      // Like Kafka: an over-quota client gets no data; a session this request was to start is not started.
      if (plan.kind === 'full' && plan.session) fetchState(ctx).sessions.remove(plan.session.id);
      const sessionId = plan.kind === 'incremental' ? plan.session.id : 0;
      return { throttleTimeMs: throttled.throttleTimeMs, errorCode: 0, sessionId, responses: [] };
    }
    throttleTimeMs = throttled.throttleTimeMs;
  }
  let sent = reads;
  if (plan.kind === 'incremental') sent = reads.filter((r) => worthSending(r, plan.session));
  if (plan.session) rememberSent(plan.session, sent);
  return {
    throttleTimeMs,
    errorCode: 0,
    sessionId: plan.session?.id ?? 0,
    responses: groupByTopic(version, req.isolationLevel, sent),
  };
};
