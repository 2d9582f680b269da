/**
 * Produce: v0-13
 *
 * Behavior:
 * - acks other than -1, 0, 1: INVALID_REQUIRED_ACKS on every partition; acks=0 gets no response at all, not even
 *   errors.
 * - A transactional id needs WRITE on it (else TRANSACTIONAL_ID_AUTHORIZATION_FAILED on every partition); each topic
 *   needs WRITE (TOPIC_AUTHORIZATION_FAILED).
 * - Unknown topics are auto-created when the broker allows it and the client may CREATE them; internal topics are
 *   refused (INVALID_TOPIC_EXCEPTION), and so are filtered views (brook.view.of), with a message naming the source.
 * - Only the leader appends; acks=all waits for the in-sync replicas. Empty records: INVALID_RECORD; a batch over
 *   max.message.bytes: MESSAGE_TOO_LARGE.
 * - Transactional batches must belong to the producer's open transaction on that partition
 *   (INVALID_PRODUCER_ID_MAPPING, INVALID_PRODUCER_EPOCH, INVALID_TXN_STATE). Under a produce quota the records are
 *   appended first and the answer carries the throttle.
 * - record_errors is always empty.
 * - Brook: a batch carrying brook-deliver-at / brook-delay-ms / brook-cancel, or produced to a topic with
 *   brook.delivery.delay.ms or brook.retry.for, is written to __brook_scheduled instead (src/scheduled); the
 *   answer's base offset is then -1, and bad scheduling input is INVALID_RECORD with a message. An idempotent
 *   producer's sequences go to the partition as a batch without records (src/scheduled/sequencedIntake.ts);
 *   only a scheduler's inter-broker connection may send such a batch. A transactional one adds __brook_scheduled to
 *   the transaction (src/scheduled/txnEnlist.ts).
 *
 * Version notes:
 * - v0-2: message format v0/v1 message sets are accepted and converted to one v2 batch. v1 adds throttle_time_ms, v2
 *   log_append_time.
 * - v3+: exactly one v2 record batch per partition; transactional_id.
 * - v5: log_start_offset in the answer. v8: record_errors and error_message. v9+: flexible encoding.
 * - v10-11: leader hints (KIP-951) not filled in. v12: as v11; no implicit partition add (KIP-890 part 2): the
 *   partition must already be in the transaction.
 * - v13: topics by id (KIP-516); an unknown id is UNKNOWN_TOPIC_ID and is never auto-created.
 */
import { ErrorCode } from '../../protocol/errors';
import type { ProduceRequest, PartitionProduceData } from '../../protocol/generated/messages/ProduceRequest';
import type { ProduceResponseInput } from '../../protocol/generated/messages/ProduceResponse';
import { checkProduceRecords, convertLegacyToV2 } from '../../protocol/records';
import { StorageError } from '../../storage/errors';
import { openPartitionLog, partitionLog, resolveTopic } from '../metadata/partitionLogs';
import type { PartitionLog } from '../../storage';
import type { TopicInfo } from '../metadata/types';
import type { Handler, RequestContext } from './types';
import { isAcks, partitionWriter, type Acks, type WriteSlot } from '../replication/partitionWriter';
import { takeProduceTurn, throttleProduce } from '../security/quota/requestThrottle';
import { authorizedCluster, authorizedToCreateTopic, authorizedTopic, authorizedTransactionalId } from '../security/acl/check';
import { AclOperation } from '../security/acl/model';
import { traceProduce } from '../trace/services';
import { SCHEDULED_TOPIC, TRACE_TOPIC } from '../internalTopics/names';
import { produceScheduled, SCHEDULER_CLIENT_PREFIX } from '../scheduled/services';
import { isView, VIEW_OF } from '../views/viewTopics';
import { hasProducerId } from '../txn/idempotentAppend';

type PartitionResponse = NonNullable<NonNullable<ProduceResponseInput['responses']>[number]['partitionResponses']>[number];

function failed(index: number, errorCode: number, errorMessage: string | null = null): PartitionResponse {
  return { index, errorCode, baseOffset: -1n, logAppendTimeMs: -1n, logStartOffset: -1n, recordErrors: [], errorMessage };
}

/** Validated v2 batches ready for the log, or the error to answer with. Legacy message sets become one v2 batch. */
function prepareRecords(ctx: RequestContext, records: Buffer, limit: number, fromScheduler: boolean): Buffer | { errorCode: number; message: string } {
  let buf = records;
  // another broker's scheduler may write an idempotent producer's sequences as a batch without records
  let check = checkProduceRecords(buf, ctx.apiVersion >= 3 ? (fromScheduler ? SINGLE_BATCH_OR_SEQUENCE_ONLY : SINGLE_BATCH) : fromScheduler ? SEQUENCE_ONLY : ANY_BATCHES, limit);
  if (!check.ok && check.legacyMagic !== undefined && ctx.apiVersion < 3) {
    try {
      buf = convertLegacyToV2(records);
    } catch (err) {
      return { errorCode: ErrorCode.CORRUPT_MESSAGE, message: (err as Error).message };
    }
    check = checkProduceRecords(buf, ANY_BATCHES, limit);
  }
  if (!check.ok) return { errorCode: check.errorCode, message: check.message };
  return buf;
}

const SINGLE_BATCH = { requireSingleBatch: true };
const SINGLE_BATCH_OR_SEQUENCE_ONLY = { requireSingleBatch: true, allowSequenceOnly: true };
const SEQUENCE_ONLY = { allowSequenceOnly: true };
const ANY_BATCHES = {};

/**
 * One partition's append and its answer. Not an async function: a request
 * touching thousands of partitions pays per partition only for the append's
 * own promise when the log is open and nothing is scheduled (bench:scale,
 * keyed produce over 10,000 partitions).
 */
function producePartition(ctx: RequestContext, topic: TopicInfo, p: PartitionProduceData, transactionalId: string | null, acks: Acks, timeoutMs: number): PartitionResponse | Promise<PartitionResponse> {
  const records = p.records;
  if (records === null || records.length === 0) return failed(p.index, ErrorCode.INVALID_RECORD, 'no records');
  // only the leader appends, and acks=all only with enough replicas in sync (single broker: always)
  const begun = partitionWriter(ctx.broker).begin(topic.name, p.index, acks, timeoutMs, topic.configs);
  if (!('slot' in begun)) return failed(p.index, begun.errorCode, begun.message);
  const open = openPartitionLog(ctx.broker, topic, p.index);
  if (open) return produceToLog(partitionWrite(ctx, topic, p.index, open, begun.slot, transactionalId, acks, timeoutMs), records);
  return partitionLog(ctx.broker, topic, p.index).then((found) =>
    found.log ? produceToLog(partitionWrite(ctx, topic, p.index, found.log, begun.slot, transactionalId, acks, timeoutMs), records) : failed(p.index, found.errorCode),
  );
}

function partitionWrite(ctx: RequestContext, topic: TopicInfo, index: number, log: PartitionLog, slot: WriteSlot, transactionalId: string | null, acks: Acks, timeoutMs: number): PartitionWrite {
  // checkTransaction is set once the batch is known to carry a producer id (produceToLog)
  return { ctx, topic, index, log, slot, transactionalId, acks, timeoutMs, checkTransaction: undefined };
}

/** One partition's write of a Produce request, from the leader check to the answer. */
interface PartitionWrite {
  ctx: RequestContext;
  topic: TopicInfo;
  index: number;
  log: PartitionLog;
  slot: WriteSlot;
  transactionalId: string | null;
  acks: Acks;
  timeoutMs: number;
  /** Also what produceScheduled's sequenced intake needs (`at`). */
  checkTransaction: ((producerId: bigint, epoch: number) => number) | undefined;
}

function produceToLog(w: PartitionWrite, records: Buffer): PartitionResponse | Promise<PartitionResponse> {
  const { ctx, topic, index } = w;
  const fromScheduler = topic.name !== SCHEDULED_TOPIC && isSchedulerMove(ctx);
  // The log's effective config already merges broker defaults with topic overrides.
  const prepared = prepareRecords(ctx, records, w.log.currentConfig().maxMessageBytes, fromScheduler);
  if (!Buffer.isBuffer(prepared)) return failed(index, prepared.errorCode, prepared.message);
  // only a producer's batches are checked against a transaction (a closure per write otherwise)
  if (hasProducerId(prepared)) w.checkTransaction = transactionCheck(ctx, w.transactionalId, topic.name, index);
  try {
    // Brook extension: a batch with scheduling headers (or to a delayed / retry topic) goes to __brook_scheduled
    // (not a scheduler's move from another broker: its records keep the producer's headers and are due now)
    const scheduled = fromScheduler ? null : produceScheduled(ctx.broker, topic, index, prepared, w.acks, w.timeoutMs, ctx.now, w);
    if (scheduled) return scheduled.then((s) => (s === null ? appendToLog(w, prepared) : scheduledAnswer(index, s)), storageFailed(index));
    return appendToLog(w, prepared);
  } catch (err) {
    return storageFailed(index)(err);
  }
}

function scheduledAnswer(index: number, s: { errorCode: number; message: string | null }): PartitionResponse {
  return s.errorCode === 0 ? { index, errorCode: 0, baseOffset: -1n, logAppendTimeMs: -1n, logStartOffset: -1n, recordErrors: [], errorMessage: null } : failed(index, s.errorCode, s.message);
}

function appendToLog(w: PartitionWrite, records: Buffer): Promise<PartitionResponse> {
  const { ctx, index } = w;
  return partitionWriter(ctx.broker)
    .appendRecords(w.slot, w.log, records, ctx.now, w.checkTransaction)
    .then((out) => {
      if (!('baseOffset' in out)) return failed(index, out.errorCode, out.message);
      const answer: PartitionResponse = {
        index,
        errorCode: 0,
        baseOffset: BigInt(out.baseOffset),
        logAppendTimeMs: BigInt(out.logAppendTime),
        logStartOffset: BigInt(out.logStartOffset),
        recordErrors: [],
        errorMessage: null,
      };
      const traced = traceProduce(ctx, w.topic, index, records, w.transactionalId, out.baseOffset, out.duplicate);
      // acks=all: the producer's identity is in __brook_trace (or its write failed and was logged) before the answer.
      if (traced && w.acks === -1) return withinTimeout(traced, w.timeoutMs).then(() => answer);
      return answer;
    }, storageFailed(index));
}

/** A StorageError from the log becomes the partition's error code; anything else is a bug and propagates. */
function storageFailed(index: number): (err: unknown) => PartitionResponse {
  return (err) => {
    if (err instanceof StorageError) return failed(index, err.code, err.message);
    throw err;
  };
}

/** A move by the scheduler of another broker (its link's client id, with the inter-broker CLUSTER_ACTION right). */
function isSchedulerMove(ctx: RequestContext): boolean {
  return ctx.clientId !== null && ctx.clientId.startsWith(SCHEDULER_CLIENT_PREFIX) && authorizedCluster(ctx, AclOperation.CLUSTER_ACTION);
}

/** Waits for `p` at most the request's timeout: an unavailable __brook_trace delays, never fails, the produce. */
function withinTimeout(p: Promise<void>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([p, new Promise<void>((resolve) => (timer = setTimeout(resolve, Math.max(0, ms))))]).finally(() => clearTimeout(timer));
}

/** The check of transactional batches against the coordinator; undefined when transactions are not running. */
function transactionCheck(ctx: RequestContext, transactionalId: string | null, topic: string, partition: number): ((producerId: bigint, epoch: number) => number) | undefined {
  const txn = ctx.broker.txn;
  if (!txn) return undefined;
  return (producerId, epoch) => txn.coordinator.verifyTransactionalAppend(transactionalId, producerId, epoch, topic, partition);
}

type TopicResponse = NonNullable<ProduceResponseInput['responses']>[number];

/** One topic's answers; synchronous when its partitions' appends are (acks=0/1 to open logs need one promise each). */
function produceTopic(ctx: RequestContext, req: ProduceRequest, t: TopicData, validAcks: boolean, txnDenied: boolean): TopicResponse | Promise<TopicResponse> {
  const name = ctx.apiVersion >= 13 ? ctx.broker.metadata.topicById(t.topicId)?.name : t.name;
  if (!validAcks) return allFail(t, name, ErrorCode.INVALID_REQUIRED_ACKS);
  if (txnDenied) return allFail(t, name, ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED);
  // v13+ names topics by id (KIP-516); an id is never auto-created.
  if (name === undefined) return allFail(t, name, ErrorCode.UNKNOWN_TOPIC_ID);
  if (!authorizedTopic(ctx, AclOperation.WRITE, name)) return allFail(t, name, ErrorCode.TOPIC_AUTHORIZATION_FAILED);
  const known = ctx.broker.metadata.topic(name);
  if (known) return produceToTopic(ctx, req, t, name, known);
  return resolveTopic(ctx.broker, name, authorizedToCreateTopic(ctx, name)).then((resolved) =>
    resolved.topic ? produceToTopic(ctx, req, t, name, resolved.topic) : allFail(t, name, resolved.errorCode),
  );
}

type TopicData = ProduceRequest['topicData'][number];

/** A topic's answer. v13+ encodes only the id; the name stays in the answer for metrics (the field is ignorable there). */
function topicAnswer(t: TopicData, name: string | undefined, partitionResponses: PartitionResponse[]): TopicResponse {
  return { name: name ?? t.name, topicId: t.topicId, partitionResponses };
}

function allFail(t: TopicData, name: string | undefined, code: number, message: string | null = null): TopicResponse {
  return topicAnswer(t, name, t.partitionData.map((p) => failed(p.index, code, message)));
}

function produceToTopic(ctx: RequestContext, req: ProduceRequest, t: TopicData, name: string, topic: TopicInfo): TopicResponse | Promise<TopicResponse> {
  if (topic.internal && !((name === TRACE_TOPIC || name === SCHEDULED_TOPIC) && authorizedCluster(ctx, AclOperation.CLUSTER_ACTION))) {
    // The broker's own topics (committed offsets) are written by the broker only, as in Kafka; __brook_trace
    // and __brook_scheduled alone take Produce from other brokers (CLUSTER_ACTION): data partitions' leaders
    // send them producer identities and schedules (the latter handed to the scheduler, never appended as is).
    return allFail(t, name, ErrorCode.INVALID_TOPIC_EXCEPTION, `cannot append to internal topic ${name}`);
  }
  if (isView(topic)) {
    // A view only shows records of its source; it has no log of its own to append to.
    return allFail(t, name, ErrorCode.INVALID_TOPIC_EXCEPTION, `topic ${name} is a filtered view of ${topic.configs[VIEW_OF]}: produce to the source topic instead`);
  }
  const acks = req.acks as Acks;
  const data = t.partitionData;
  // librdkafka sends one partition per request: its answer without an array of pending parts or Promise.all
  if (data.length === 1) {
    const one = producePartition(ctx, topic, data[0]!, req.transactionalId, acks, req.timeoutMs);
    return isPromise(one) ? one.then((r) => topicAnswer(t, name, [r])) : topicAnswer(t, name, [one]);
  }
  const parts = data.map((p) => producePartition(ctx, topic, p, req.transactionalId, acks, req.timeoutMs));
  if (!parts.some(isPromise)) return topicAnswer(t, name, parts as PartitionResponse[]);
  return Promise.all(parts).then((responses) => topicAnswer(t, name, responses));
}

function isPromise<T>(v: T | Promise<T>): v is Promise<T> {
  return v instanceof Promise;
}

export const handleProduce: Handler<ProduceRequest, ProduceResponseInput> = (ctx, req) => {
  const quota = ctx.broker.quotas?.produce;
  if (quota?.active) return produceUnderQuota(ctx, req, quota);
  const topics = produceTopics(ctx, req);
  // acks=0: the client expects no answer at all, not even for errors.
  if (!topics.some(isPromise)) return req.acks === 0 ? null : { responses: topics as TopicResponse[], throttleTimeMs: 0 };
  if (topics.length === 1) return (topics[0] as Promise<TopicResponse>).then((one) => (req.acks === 0 ? null : { responses: [one], throttleTimeMs: 0 }));
  return Promise.all(topics).then((responses) => (req.acks === 0 ? null : { responses, throttleTimeMs: 0 }));
};

function produceTopics(ctx: RequestContext, req: ProduceRequest): Array<TopicResponse | Promise<TopicResponse>> {
  const validAcks = isAcks(req.acks);
  // Kafka refuses the whole request when the transactional id may not be written.
  const txnDenied = req.transactionalId !== null && !authorizedTransactionalId(ctx, AclOperation.WRITE, req.transactionalId);
  return req.topicData.map((t) => produceTopic(ctx, req, t, validAcks, txnDenied));
}

/** Under a produce quota: one request of the connection at a time, appended first and throttled after (Kafka's way). */
async function produceUnderQuota(ctx: RequestContext, req: ProduceRequest, quota: NonNullable<NonNullable<RequestContext['broker']['quotas']>['produce']>): Promise<ProduceResponseInput | null> {
  const quotaTurn = await takeProduceTurn(ctx, quota);
  const responses = await Promise.all(produceTopics(ctx, req));
  // the answer says how long to back off, acks=0 or not
  const throttleTimeMs = quotaTurn ? await throttleProduce(ctx, quota, req, quotaTurn) : 0;
  if (req.acks === 0) return null;
  return { responses, throttleTimeMs };
}
