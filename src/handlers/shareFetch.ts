/**
 * ShareFetch: v1
 *
 * Behavior:
 * - KIP-932. Needs group and member ids (INVALID_REQUEST), READ on the group (GROUP_AUTHORIZATION_FAILED), a current
 *   member (UNKNOWN_MEMBER_ID), and READ on each topic (TOPIC_AUTHORIZATION_FAILED per partition); unknown topic
 *   ids: UNKNOWN_TOPIC_ID.
 * - Epoch 0 opens a share session (acknowledgements with it: INVALID_REQUEST); -1 closes it after the
 *   acknowledgements and fetches nothing; otherwise the epoch must be the session's next one
 *   (INVALID_SHARE_SESSION_EPOCH, SHARE_SESSION_NOT_FOUND), and a bad epoch changes nothing. A new session on a
 *   broker holding `group.share.max.share.sessions` (2000) sessions already is SHARE_SESSION_LIMIT_REACHED; a
 *   member reopening its own session (epoch 0 again) replaces it.
 * - Acknowledgements apply before fetching, by ShareAcknowledge's rules (acknowledge_error_code per partition).
 *   Records are acquired for the member under the group's lock, whole
 *   batches, about max_records (default 500) in all, from the session's partitions in turn, each fetch starting at
 *   the next one (session epoch modulo their number) so a backlog on one cannot starve the others.
 * - With nothing to acquire the request waits up to max_wait_ms for an append, a release or a back-off end.
 * - A filtered view (brook.view.of) acquires only its source's matching records, under source offsets; the others
 *   are archived as gaps (src/share/sharePartition.ts, docs/EXTENSIONS.md "Filtered views").
 * - current_leader is always -1 and node_endpoints empty.
 * - Cluster mode: a partition is served by its leader only (NOT_LEADER_OR_FOLLOWER per partition elsewhere), which
 *   loads the share-partition from the share coordinator on first use at its leader epoch; the member is checked
 *   only on the broker that coordinates the group (other leaders cannot see the membership, nor do Kafka's).
 *
 * Version notes:
 * - v1 only (v0 was Kafka 4.0 early access); no RENEW acknowledgement (a v2 feature).
 */
import { ErrorCode } from '../../protocol/errors';
import type { ShareFetchRequest } from '../../protocol/generated/messages/ShareFetchRequest';
import type { PartitionDataInput, ShareFetchResponseInput } from '../../protocol/generated/messages/ShareFetchResponse';
import { applyAcks, hasAcks, sessionFor } from '../share/requestFlow';
import { sessionPartitionKey, type SessionPartition } from '../share/sessions';
import { checkShareMember } from './shareMember';
import { resolveShareConfig } from '../share/config';
import type { Handler } from './types';
import { authorizedTopic } from '../security/acl/check';
import { AclOperation } from '../security/acl/model';

/** Records per request when the client sends no MaxRecords (Kafka's share.fetch.max.records default). */
const DEFAULT_MAX_RECORDS = 500;

export const handleShareFetch: Handler<ShareFetchRequest, ShareFetchResponseInput> = async (ctx, req) => {
  const fail = (errorCode: number, errorMessage: string | null = null): ShareFetchResponseInput => {
    ctx.broker.logger.info({ api: 'ShareFetch', group: req.groupId, member: req.memberId, errorCode, errorMessage, client: ctx.clientId }, 'share request refused');
    return { errorCode, errorMessage, responses: [], nodeEndpoints: [] };
  };
  const checked = await checkShareMember(ctx, req.groupId, req.memberId);
  if (!checked.ok) return fail(checked.errorCode, checked.errorMessage);
  const { share, group, member } = checked;
  if (req.shareSessionEpoch === 0 && hasAcks(req.topics)) return fail(ErrorCode.INVALID_REQUEST, 'acknowledgements cannot open a share session');
  const step = sessionFor(share.sessions, group, member, req.shareSessionEpoch, true);
  if (step.errorCode !== ErrorCode.NONE) return fail(step.errorCode);
  const session = step.session!;
  for (const t of req.topics) for (const p of t.partitions) session.partitions.set(sessionPartitionKey(t.topicId, p.partitionIndex), { topicId: t.topicId, partition: p.partitionIndex });
  for (const t of req.forgottenTopicsData) for (const p of t.partitions) session.partitions.delete(sessionPartitionKey(t.topicId, p));

  // Cluster mode: a new session checks the share-partitions held here against the share coordinator (admin resets).
  if (req.shareSessionEpoch === 0) for (const t of req.topics) for (const p of t.partitions) await share.coordinator.revalidate(group, t.topicId, p.partitionIndex).catch(() => undefined);
  const ackResults = await applyAcks(share.coordinator, group, member, req.topics);
  const out = new Map<string, PartitionDataInput & { topicId: Buffer }>();
  const entry = (sp: SessionPartition) => {
    const k = sessionPartitionKey(sp.topicId, sp.partition);
    let e = out.get(k);
    if (!e) out.set(k, (e = { topicId: sp.topicId, partitionIndex: sp.partition, errorCode: 0, acknowledgeErrorCode: 0, currentLeader: { leaderId: -1, leaderEpoch: -1 }, records: [], acquiredRecords: [] }));
    return e;
  };
  for (const t of req.topics) for (const p of t.partitions) if (ackResults.has(sessionPartitionKey(t.topicId, p.partitionIndex))) entry({ topicId: t.topicId, partition: p.partitionIndex }).acknowledgeErrorCode = ackResults.get(sessionPartitionKey(t.topicId, p.partitionIndex))!;

  if (req.shareSessionEpoch === -1) {
    share.sessions.close(group, member);
    await share.coordinator.releaseMember(group, member, new Set(session.partitions.keys()));
  } else {
    // Each fetch starts one partition further on (by session epoch, as Kafka rotates): starting every fetch at the
    // same partition would fill max_records from its backlog every time and starve the others.
    const all = [...session.partitions.values()];
    const from = all.length > 0 ? req.shareSessionEpoch % all.length : 0;
    const parts = [...all.slice(from), ...all.slice(0, from)];
    const maxRecords = req.maxRecords > 0 ? req.maxRecords : DEFAULT_MAX_RECORDS;
    const deadline = ctx.now + Math.max(0, req.maxWaitMs);
    for (;;) {
      let count = 0;
      let more = false;
      let bytes = req.maxBytes > 0 ? req.maxBytes : 0x7fffffff;
      for (const sp of parts) {
        if (count >= maxRecords || bytes <= 0) break;
        const topic = ctx.broker.metadata.topicById(sp.topicId);
        if (!topic) {
          entry(sp).errorCode = ErrorCode.UNKNOWN_TOPIC_ID;
          continue;
        }
        if (!authorizedTopic(ctx, AclOperation.READ, topic.name)) {
          entry(sp).errorCode = ErrorCode.TOPIC_AUTHORIZATION_FAILED;
          continue;
        }
        const got = await share.coordinator.acquire(group, topic, sp.partition, member, maxRecords - count, bytes);
        if ('errorCode' in got) {
          entry(sp).errorCode = got.errorCode;
          continue;
        }
        if (got.more) more = true;
        if (got.acquired.length === 0) continue;
        const e = entry(sp);
        e.acquiredRecords = got.acquired.map((a) => ({ firstOffset: BigInt(a.firstOffset), lastOffset: BigInt(a.lastOffset), deliveryCount: a.deliveryCount }));
        e.records = got.batches;
        for (const a of got.acquired) count += a.lastOffset - a.firstOffset + 1;
        for (const b of got.batches) bytes -= b.length;
      }
      const wait = deadline - Date.now();
      if (count > 0 || wait <= 0 || out.size > 0) break;
      // a filtered view that walked its scan budget without a match goes on at once rather than waiting for appends
      if (!more) await share.coordinator.waitForWork(group, parts, wait);
    }
  }
  const byTopic = new Map<string, { topicId: Buffer; partitions: PartitionDataInput[] }>();
  for (const e of out.values()) {
    const k = e.topicId.toString('hex');
    let t = byTopic.get(k);
    if (!t) byTopic.set(k, (t = { topicId: e.topicId, partitions: [] }));
    const { topicId: _omit, ...partition } = e;
    t.partitions.push(partition);
  }
  const lockMs = (share.coordinator.groups.get(group)?.config ?? resolveShareConfig(new Map())).lockDurationMs;
  return { errorCode: 0, acquisitionLockTimeoutMs: lockMs, responses: [...byTopic.values()], nodeEndpoints: [] };
};
