/**
 * Produce: v0-13
 *
 * Behavior:
 * - acks other than -1, 0, 1: INVALID_REQUIRED_ACKS on every partition; acks=0 gets no response at all, not even
 *   errors.
 * - A transactional id needs WRITE on it (else TRANSACTIONAL_ID_AUTHORIZATION_FAILED on every partition), and
 *   transactional batches need a transactional id (the same error, as Kafka); each topic needs WRITE
 *   (TOPIC_AUTHORIZATION_FAILED).
 * - Unknown topics are auto-created when the broker allows it and the client may CREATE them; internal topics are
 *   refused (INVALID_TOPIC_EXCEPTION), and so are filtered views (brook.view.of), with a message naming the source.
 * - Only the leader appends; acks=all waits for the in-sync replicas. Empty records: INVALID_RECORD; a batch over
 *   max.message.bytes: MESSAGE_TOO_LARGE; a compressed batch that does not decompress (or past 64 MiB) or whose
 *   records do not parse: CORRUPT_MESSAGE for that partition alone, logged; a record without a key on a topic whose cleanup.policy includes compact:
 *   INVALID_RECORD, as Kafka.
 * - Transactional batches must belong to the producer's open transaction on that partition
 *   (INVALID_PRODUCER_ID_MAPPING, INVALID_PRODUCER_EPOCH, INVALID_TXN_STATE). Under a produce quota the records are
 *   appended first and the answer carries the throttle.
 * - record_errors is always empty (left out of the answer).
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
import { timestampProblem } from './produceTimestamps';
import { keylessRecordProblem } from './produceKeys';
import { compacts } from '../../storage/config';
import type { ProduceRequest, PartitionProduceData } from '../../protocol/generated/messages/ProduceRequest';
import type { ProduceResponseInput } from '../../protocol/generated/messages/ProduceResponse';
import { ATTR, BATCH, checkProduceRecords, convertLegacyToV2, type DecompressedBodies } from '../../protocol/records';
import { StorageError } from '../../storage/errors';
import { openPartitionLog, partitionLog, resolveTopic } from '../metadata/partitionLogs';
import type { AppendResult, PartitionLog } from '../../storage';
import type { TopicInfo } from '../metadata/types';
import type { Handler, RequestContext } from './types';
import { isAcks, partitionWriter, type Acks, type WriteOutcome, type WriteSink, type WriteSlot } from '../replication/partitionWriter';
import { ProduceJoin, type PartitionResponse, type ProduceAnswer, type TopicResponse } from './produceJoin';
import type { PendingAnswer } from './pendingAnswer';
import { takeProduceTurn, throttleProduce } from '../security/quota/requestThrottle';
import { authorizedCluster, authorizedToCreateTopic, authorizedTopic, authorizedTransactionalId } from '../security/acl/check';
import { AclOperation } from '../security/acl/model';
import { traceProduce } from '../trace/services';
import { SCHEDULED_TOPIC, TRACE_TOPIC } from '../internalTopics/names';
import { produceScheduled, SCHEDULER_CLIENT_PREFIX } from '../scheduled/services';
import { isView, VIEW_OF } from '../views/viewTopics';
import { hasProducerId } from '../txn/idempotentAppend';

/** Kafka's "none" for an answer's offsets and times; one value, not a BigInt per partition answered. */
const NONE = -1n;

// record_errors is left out of every answer (always empty: the encoder writes none), and so is
// log_append_time when the topic uses CreateTime: a produce touching thousands of partitions answers each
function failed(index: number, errorCode: number, errorMessage: string | null = null): PartitionResponse {
  return { index, errorCode, baseOffset: NONE, logAppendTimeMs: NONE, logStartOffset: NONE, errorMessage };
}

/**
 * Validated v2 batches ready for the log, or the error to answer with. Legacy message sets become one v2 batch.
 * The bodies the check decompressed go to `w.bodies`, so the later looks at the records do not decompress again.
 */
function prepareRecords(ctx: RequestContext, w: PartitionWrite, records: Buffer, limit: number, fromScheduler: boolean): Buffer | { errorCode: number; message: string } {
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
  w.bodies = check.bodies;
  return buf;
}

const SINGLE_BATCH = { requireSingleBatch: true };
const SINGLE_BATCH_OR_SEQUENCE_ONLY = { requireSingleBatch: true, allowSequenceOnly: true };
const SEQUENCE_ONLY = { allowSequenceOnly: true };
const ANY_BATCHES = {};

/**
 * One partition's append; its answer goes to `join` at topic `t`, place `i`,
 * at once or when the write ends. No promise per partition when the log is
 * open and nothing is scheduled or waits for replicas (bench:scale, keyed
 * produce over 10,000 partitions): the log answers through the write itself
 * (an AppendSink).
 */
function producePartition(ctx: RequestContext, topic: TopicInfo, p: PartitionProduceData, req: ProduceRequest, join: ProduceJoin, t: number, i: number): void {
  const records = p.records;
  if (records === null || records.length === 0) return join.setPartition(t, i, failed(p.index, ErrorCode.INVALID_RECORD, 'no records'));
  const acks = req.acks as Acks;
  // only the leader appends, and acks=all only with enough replicas in sync (single broker: always)
  const begun = partitionWriter(ctx.broker).begin(topic.name, p.index, acks, req.timeoutMs, topic.configs);
  if (!('slot' in begun)) return join.setPartition(t, i, failed(p.index, begun.errorCode, begun.message));
  const open = openPartitionLog(ctx.broker, topic, p.index);
  if (open) return produceToLog(new PartitionWrite(ctx, topic, open, begun.slot, req, join, t, i), records);
  partitionLog(ctx.broker, topic, p.index)
    .then((found) => {
      if (found.log) produceToLog(new PartitionWrite(ctx, topic, found.log, begun.slot, req, join, t, i), records);
      else join.setPartition(t, i, failed(p.index, found.errorCode));
    })
    .catch((err: unknown) => join.fail(err));
}

/**
 * One partition's write of a Produce request, from the leader check to the
 * answer it hands to the request's join; also the sink its append answers
 * through. Its callbacks never throw (AppendSink): a bug fails the join.
 */
class PartitionWrite implements WriteSink {
  /** Also what produceScheduled's sequenced intake needs (`at`); set once the batch is known to carry a producer id. */
  checkTransaction: ((producerId: bigint, epoch: number) => number) | undefined = undefined;
  /** The batch as appended (legacy message sets converted), for the trace. */
  records: Buffer | null = null;
  /** The decompressed records of its compressed batches, from the produce check (null: none compressed). */
  bodies: DecompressedBodies | null = null;
  readonly transactionalId: string | null;

  constructor(
    readonly ctx: RequestContext,
    readonly topic: TopicInfo,
    readonly log: PartitionLog,
    readonly slot: WriteSlot,
    req: ProduceRequest,
    private readonly join: ProduceJoin,
    private readonly topicAt: number,
    private readonly at: number,
  ) {
    this.transactionalId = req.transactionalId;
  }

  /** The partition written (the slot's). */
  get index(): number {
    return this.slot.partition;
  }

  answer(response: PartitionResponse): void {
    this.join.setPartition(this.topicAt, this.at, response);
  }

  appended(res: AppendResult): void {
    this.succeeded(res.baseOffset, res.logAppendTime, res.logStartOffset, false);
  }

  written(out: WriteOutcome): void {
    if ('baseOffset' in out) this.succeeded(out.baseOffset, out.logAppendTime, out.logStartOffset, out.duplicate);
    else this.answer(failed(this.index, out.errorCode, out.message));
  }

  /** A StorageError from the log becomes the partition's error code; anything else is a bug and fails the request. */
  failed(err: unknown): void {
    if (err instanceof StorageError) this.answer(failed(this.index, err.code, err.message));
    else this.join.fail(err);
  }

  private succeeded(baseOffset: number, logAppendTime: number, logStartOffset: number, duplicate: boolean): void {
    try {
      const answer: PartitionResponse = {
        index: this.index,
        errorCode: 0,
        baseOffset: BigInt(baseOffset),
        logAppendTimeMs: logAppendTime === -1 ? NONE : BigInt(logAppendTime),
        logStartOffset: BigInt(logStartOffset),
        errorMessage: null,
      };
      const traced = traceProduce(this.ctx, this.topic, this.index, this.records!, this.transactionalId, baseOffset, duplicate);
      // acks=all: the producer's identity is in __brook_trace (or its write failed and was logged) before the answer.
      if (traced && this.slot.acks === -1) this.join.await(this.topicAt, this.at, withinTimeout(traced, this.slot.timeoutMs).then(() => answer));
      else this.answer(answer);
    } catch (err) {
      this.join.fail(err);
    }
  }
}

function produceToLog(w: PartitionWrite, records: Buffer): void {
  const { ctx, topic, index } = w;
  const fromScheduler = topic.name !== SCHEDULED_TOPIC && isSchedulerMove(ctx);
  // The log's effective config already merges broker defaults with topic overrides.
  const config = w.log.currentConfig();
  const prepared = prepareRecords(ctx, w, records, config.maxMessageBytes, fromScheduler);
  if (!Buffer.isBuffer(prepared)) {
    ctx.broker.logger.info({ api: 'Produce', topic: topic.name, partition: index, client: ctx.clientId, errorCode: prepared.errorCode, err: prepared.message }, 'produce refused');
    return w.answer(failed(index, prepared.errorCode, prepared.message));
  }
  // schedules forwarded to __brook_scheduled were checked by their own topic's bounds on the first broker
  const badTime = fromScheduler || topic.name === SCHEDULED_TOPIC ? null : timestampProblem(prepared, config, ctx.now);
  if (badTime !== null) return w.answer(failed(index, ErrorCode.INVALID_TIMESTAMP, badTime));
  // a scheduler's move carries records its own topic's intake already checked
  const keyless = compacts(config) && !fromScheduler ? keylessRecordProblem(prepared, w.bodies) : null;
  if (keyless !== null) {
    ctx.broker.logger.info({ api: 'Produce', topic: topic.name, partition: index, client: ctx.clientId, errorCode: keyless.errorCode, err: keyless.message }, 'produce refused');
    return w.answer(failed(index, keyless.errorCode, keyless.message));
  }
  w.records = prepared;
  // only a producer's batches are checked against a transaction (a closure per write otherwise)
  if (hasProducerId(prepared)) w.checkTransaction = transactionCheck(ctx, w.transactionalId, topic.name, index);
  try {
    // Brook extension: a batch with scheduling headers (or to a delayed / retry topic) goes to __brook_scheduled
    // (not a scheduler's move from another broker: its records keep the producer's headers and are due now)
    const scheduled = fromScheduler ? null : produceScheduled(ctx.broker, topic, index, prepared, w.bodies?.[0], w.slot.acks, w.slot.timeoutMs, ctx.now, w);
    if (scheduled) {
      scheduled.then(
        (s) => (s === null ? appendToLog(w, prepared) : w.answer(scheduledAnswer(index, s))),
        (err: unknown) => w.failed(err),
      );
      return;
    }
    appendToLog(w, prepared);
  } catch (err) {
    w.failed(err);
  }
}

function scheduledAnswer(index: number, s: { errorCode: number; message: string | null }): PartitionResponse {
  return s.errorCode === 0 ? failed(index, 0) : failed(index, s.errorCode, s.message);
}

function appendToLog(w: PartitionWrite, records: Buffer): void {
  partitionWriter(w.ctx.broker).appendRecordsTo(w.slot, w.log, records, w.ctx.now, w.checkTransaction, w);
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

/** Starts topic `t`'s partitions; its answer goes to `join`, at once or once the topic is auto-created. */
function produceTopic(ctx: RequestContext, req: ProduceRequest, join: ProduceJoin, t: number, validAcks: boolean, txnDenied: boolean): void {
  const data = req.topicData[t]!;
  const name = ctx.apiVersion >= 13 ? ctx.broker.metadata.topicById(data.topicId)?.name : data.name;
  if (!validAcks) return join.setTopic(t, allFail(data, name, ErrorCode.INVALID_REQUIRED_ACKS));
  if (txnDenied) return join.setTopic(t, allFail(data, name, ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED));
  // v13+ names topics by id (KIP-516); an id is never auto-created.
  if (name === undefined) return join.setTopic(t, allFail(data, name, ErrorCode.UNKNOWN_TOPIC_ID));
  if (!authorizedTopic(ctx, AclOperation.WRITE, name)) return join.setTopic(t, allFail(data, name, ErrorCode.TOPIC_AUTHORIZATION_FAILED));
  const known = ctx.broker.metadata.topic(name);
  if (known) return produceToTopic(ctx, req, join, t, name, known);
  join.hold();
  resolveTopic(ctx.broker, name, authorizedToCreateTopic(ctx, name))
    .then((resolved) => {
      if (resolved.topic) produceToTopic(ctx, req, join, t, name, resolved.topic);
      else join.setTopic(t, allFail(data, name, resolved.errorCode));
      join.done();
    })
    .catch((err: unknown) => join.fail(err));
}

type TopicData = ProduceRequest['topicData'][number];

/** A topic's answer. v13+ encodes only the id; the name stays in the answer for metrics (the field is ignorable there). */
function topicAnswer(t: TopicData, name: string | undefined, partitionResponses: PartitionResponse[]): TopicResponse {
  return { name: name ?? t.name, topicId: t.topicId, partitionResponses };
}

function allFail(t: TopicData, name: string | undefined, code: number, message: string | null = null): TopicResponse {
  return topicAnswer(t, name, t.partitionData.map((p) => failed(p.index, code, message)));
}

function produceToTopic(ctx: RequestContext, req: ProduceRequest, join: ProduceJoin, t: number, name: string, topic: TopicInfo): void {
  const data = req.topicData[t]!;
  if (topic.internal && !((name === TRACE_TOPIC || name === SCHEDULED_TOPIC) && authorizedCluster(ctx, AclOperation.CLUSTER_ACTION))) {
    // The broker's own topics (committed offsets) are written by the broker only, as in Kafka; __brook_trace
    // and __brook_scheduled alone take Produce from other brokers (CLUSTER_ACTION): data partitions' leaders
    // send them producer identities and schedules (the latter handed to the scheduler, never appended as is).
    return join.setTopic(t, allFail(data, name, ErrorCode.INVALID_TOPIC_EXCEPTION, `cannot append to internal topic ${name}`));
  }
  if (isView(topic)) {
    // A view only shows records of its source; it has no log of its own to append to.
    return join.setTopic(t, allFail(data, name, ErrorCode.INVALID_TOPIC_EXCEPTION, `topic ${name} is a filtered view of ${topic.configs[VIEW_OF]}: produce to the source topic instead`));
  }
  const partitions = data.partitionData;
  join.openTopic(t, topicAnswer(data, name, new Array<PartitionResponse>(partitions.length)));
  for (let i = 0; i < partitions.length; i++) producePartition(ctx, topic, partitions[i]!, req, join, t, i);
}

export const handleProduce: Handler<ProduceRequest, ProduceResponseInput> = (ctx, req) => {
  const quota = ctx.broker.quotas?.produce;
  if (quota?.active) return produceUnderQuota(ctx, req, quota);
  // acks=0: the client expects no answer at all, not even for errors.
  return produceAll(ctx, req, req.acks === 0);
};

/** Starts every partition's write; the answer now if all ended, else a pending one. */
function produceAll(ctx: RequestContext, req: ProduceRequest, silent: boolean): ProduceAnswer | null | PendingAnswer<ProduceAnswer | null> {
  const validAcks = isAcks(req.acks);
  // Kafka refuses the whole request when the transactional id may not be written, and when transactional batches come
  // without one (KafkaApis.handleProduceRequest: hasTransactionalRecords and a null transactional id).
  const txnDenied = req.transactionalId !== null ? !authorizedTransactionalId(ctx, AclOperation.WRITE, req.transactionalId) : hasTransactionalRecords(req);
  const join = new ProduceJoin(req.topicData.length, silent);
  for (let t = 0; t < req.topicData.length; t++) produceTopic(ctx, req, join, t, validAcks, txnDenied);
  return join.end();
}

/** Whether a v2 batch of the request has the transactional flag (Kafka's RequestUtils.hasTransactionalRecords). */
function hasTransactionalRecords(req: ProduceRequest): boolean {
  for (const t of req.topicData) {
    for (const p of t.partitionData) {
      const r = p.records;
      if (r === null) continue;
      // only the headers are read: the batches' own checks come later, per partition
      for (let pos = 0; pos + BATCH.HEADER_SIZE <= r.length && r.readInt8(pos + BATCH.MAGIC) === 2; ) {
        if (r.readInt16BE(pos + BATCH.ATTRIBUTES) & ATTR.TRANSACTIONAL) return true;
        const length = r.readInt32BE(pos + BATCH.BATCH_LENGTH);
        if (length <= 0) break;
        pos += BATCH.LOG_OVERHEAD + length;
      }
    }
  }
  return false;
}

/** Under a produce quota: one request of the connection at a time, appended first and throttled after (Kafka's way). */
async function produceUnderQuota(ctx: RequestContext, req: ProduceRequest, quota: NonNullable<NonNullable<RequestContext['broker']['quotas']>['produce']>): Promise<ProduceResponseInput | null> {
  const quotaTurn = await takeProduceTurn(ctx, quota);
  const answer = (await produceAll(ctx, req, false))!;
  // the answer says how long to back off, acks=0 or not
  const throttleTimeMs = quotaTurn ? await throttleProduce(ctx, quota, req, quotaTurn) : 0;
  if (req.acks === 0) return null;
  answer.throttleTimeMs = throttleTimeMs;
  return answer;
}
