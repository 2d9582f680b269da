import { ErrorCode } from '../../protocol/errors';
import type { FetchRequest } from '../../protocol/generated/messages/FetchRequest';
import type { MetadataService, TopicInfo } from '../metadata/types';
import type { FetchTarget } from './readPartitions';
import { sessionKey, type FetchSession, type FetchSessionCache, type SessionPartition } from './sessionCache';

const NO_TOPIC_ID = Buffer.alloc(16);
const MAX_EPOCH = 0x7fffffff;
/** FetchPartition.HighWatermark's default (KIP-1166): the follower does not send it, or predates v18. */
const HIGH_WATERMARK_NOT_SENT = 0x7fffffffffffffffn;

/** How one Fetch request relates to fetch sessions (KIP-227). */
export type FetchPlan =
  | { kind: 'error'; errorCode: number }
  /** Sessionless (Fetch < v7, or epoch -1) or a new session: answer every requested partition. */
  | { kind: 'full'; session: FetchSession | null; targets: FetchTarget[] }
  /** Incremental: read every session partition, answer only what changed or was asked for. */
  | { kind: 'incremental'; session: FetchSession; targets: FetchTarget[] };

function resolve(metadata: MetadataService, useIds: boolean, name: string, id: Buffer): { topic: TopicInfo | null; errorCode: number } {
  const topic = useIds ? metadata.topicById(id) : metadata.topic(name);
  if (topic) return { topic, errorCode: 0 };
  return { topic: null, errorCode: useIds ? ErrorCode.UNKNOWN_TOPIC_ID : ErrorCode.UNKNOWN_TOPIC_OR_PARTITION };
}

function requestTargets(metadata: MetadataService, req: FetchRequest, useIds: boolean): FetchTarget[] {
  const targets: FetchTarget[] = [];
  for (const t of req.topics) {
    const { topic, errorCode } = resolve(metadata, useIds, t.topic, t.topicId);
    const topicName = topic?.name ?? t.topic;
    const topicId = topic?.id ?? (useIds ? t.topicId : NO_TOPIC_ID);
    for (const p of t.partitions) {
      targets.push({
        topicName,
        topicId,
        partition: p.partition,
        topic,
        errorCode,
        fetchOffset: Number(p.fetchOffset),
        maxBytes: p.partitionMaxBytes,
        currentLeaderEpoch: p.currentLeaderEpoch,
        replicaHighWatermark: p.highWatermark === HIGH_WATERMARK_NOT_SENT ? undefined : Number(p.highWatermark),
      });
    }
  }
  return targets;
}

function remember(session: FetchSession, t: FetchTarget): void {
  const key = sessionKey(t.topicName, t.partition);
  const prev = session.partitions.get(key);
  if (prev) {
    prev.fetchOffset = t.fetchOffset;
    prev.maxBytes = t.maxBytes;
    prev.currentLeaderEpoch = t.currentLeaderEpoch;
    return;
  }
  const entry: SessionPartition = {
    topic: t.topicName,
    topicId: t.topicId,
    partition: t.partition,
    fetchOffset: t.fetchOffset,
    maxBytes: t.maxBytes,
    currentLeaderEpoch: t.currentLeaderEpoch,
    sentHighWatermark: -1,
    sentLogStartOffset: -1,
  };
  session.partitions.set(key, entry);
}

function sessionTarget(metadata: MetadataService, useIds: boolean, e: SessionPartition): FetchTarget {
  const { topic, errorCode } = resolve(metadata, useIds, e.topic, e.topicId);
  return {
    topicName: e.topic,
    topicId: e.topicId,
    partition: e.partition,
    topic,
    errorCode,
    fetchOffset: e.fetchOffset,
    maxBytes: e.maxBytes,
    currentLeaderEpoch: e.currentLeaderEpoch,
  };
}

function bumpEpoch(session: FetchSession, epoch: number): void {
  session.nextEpoch = epoch >= MAX_EPOCH ? 1 : epoch + 1;
}

export function planFetch(cache: FetchSessionCache, metadata: MetadataService, req: FetchRequest, version: number, now: number): FetchPlan {
  const useIds = version >= 13;
  if (version < 7) return { kind: 'full', session: null, targets: requestTargets(metadata, req, false) };
  const { sessionId, sessionEpoch } = req;

  if (sessionEpoch === -1 || sessionEpoch === 0) {
    // -1 closes the session (if any) and fetches without one; 0 starts a new one.
    if (sessionId !== 0) cache.remove(sessionId);
    const targets = requestTargets(metadata, req, useIds);
    if (sessionEpoch === -1) return { kind: 'full', session: null, targets };
    const session = cache.create(now, (version >= 15 ? req.replicaState.replicaId : req.replicaId) >= 0);
    if (session) {
      for (const t of targets) if (t.topic) remember(session, t);
      bumpEpoch(session, 0);
    }
    return { kind: 'full', session, targets };
  }

  const session = sessionId === 0 ? undefined : cache.get(sessionId, now);
  if (!session) return { kind: 'error', errorCode: ErrorCode.FETCH_SESSION_ID_NOT_FOUND };
  if (session.nextEpoch !== sessionEpoch) return { kind: 'error', errorCode: ErrorCode.INVALID_FETCH_SESSION_EPOCH };

  for (const f of req.forgottenTopicsData) {
    const name = useIds ? metadata.topicById(f.topicId)?.name : f.topic;
    if (name === undefined) {
      // The topic is gone; drop its partitions by id.
      for (const [k, e] of session.partitions) if (e.topicId.equals(f.topicId) && f.partitions.includes(e.partition)) session.forget(k);
      continue;
    }
    for (const p of f.partitions) session.forget(sessionKey(name, p));
  }
  const errors: FetchTarget[] = [];
  const named: string[] = [];
  for (const t of requestTargets(metadata, req, useIds)) {
    if (t.topic) {
      remember(session, t);
      named.push(sessionKey(t.topicName, t.partition));
    } else {
      errors.push(t);
    }
  }
  bumpEpoch(session, sessionEpoch);
  const watch = session.watch;
  if (!watch) return { kind: 'incremental', session, targets: [...errors, ...[...session.partitions.values()].map((e) => sessionTarget(metadata, useIds, e))] };
  // a watched session: what the request names, what changed since it was last read, and the sweep's share
  const keys = new Set(named);
  for (const k of watch.take()) keys.add(k);
  for (const k of watch.sweepDue(session.partitions, now)) keys.add(k);
  return { kind: 'incremental', session, targets: [...errors, ...sessionTargets(session, metadata, version, keys)] };
}

/** Targets for the session partitions under `keys` (those still in the session), as an incremental fetch reads them. */
export function sessionTargets(session: FetchSession, metadata: MetadataService, version: number, keys: Iterable<string>): FetchTarget[] {
  const out: FetchTarget[] = [];
  for (const k of keys) {
    const e = session.partitions.get(k);
    if (e) out.push(sessionTarget(metadata, version >= 13, e));
  }
  return out;
}
