import { ErrorCode } from '../../protocol/errors';
import { buildRecordBatch, decodeRecordBatches, type RecordInput } from '../../protocol/records';
import type { BrokerServices } from '../handlers/types';
import { SCHEDULED_TOPIC } from '../internalTopics/names';
import type { TopicInfo } from '../metadata/types';
import { MetadataError, NO_LEADER } from '../metadata/types';
import { partitionWriter, type Acks, type WriteSlot } from '../replication/partitionWriter';
import type { PartitionLog } from '../../storage';
import { producerTagOf, scheduleWithSequence } from './sequencedIntake';
import { enlistScheduled } from './txnEnlist';
import { decodeScheduleKey, type ProducerTag } from './records';
import { ClusterLink, RemoteWriteError } from './clusterLink';
import { intake, type CancelRequest } from './intake';
import { topicPolicyOf } from './policy';
import { SCHEDULED_PARTITION, ensureScheduledTopic } from './scheduleLog';
import { Scheduler } from './scheduler';

/** Kept beside the services bag (as share groups do), so the scheduler needs no slot in BrokerServices. */
const byBroker = new WeakMap<object, Scheduler>();
const links = new WeakMap<object, ClusterLink>();

const OWNERSHIP_CHECK_MS = 250;
export { SCHEDULER_CLIENT_PREFIX } from './clusterLink';
const FORWARD_RETRY_MS = 200;

export function schedulerOf(services: BrokerServices): Scheduler | undefined {
  return byBroker.get(services);
}

/**
 * Single broker: replays `__brook_scheduled` and starts delivering. Cluster: the scheduler runs only on the
 * leader of `__brook_scheduled`-0, started (after replaying its replica of the log and settling the rounds
 * the previous leader left open) when this broker becomes that leader, stopped when it stops being it.
 */
export async function startScheduledServices(services: BrokerServices): Promise<{ stop(): void }> {
  const logger = services.logger.child({ component: 'scheduled' });
  const timeoutMs = Number(services.config.raw['request.timeout.ms'] ?? 30_000);
  if (!services.clustered) {
    const scheduler = new Scheduler(services, logger, timeoutMs);
    await scheduler.start();
    byBroker.set(services, scheduler);
    return {
      stop() {
        scheduler.stop();
        byBroker.delete(services);
      },
    };
  }
  const link = new ClusterLink(services);
  links.set(services, link);
  let current: Scheduler | null = null;
  let busy = false;
  let stopped = false;
  const check = async (): Promise<void> => {
    const leads = services.metadata.topic(SCHEDULED_TOPIC) !== undefined && link.leaderOf(SCHEDULED_TOPIC, SCHEDULED_PARTITION) === link.selfId;
    if (leads && !current) {
      const s = new Scheduler(services, logger, timeoutMs, Date.now, link);
      current = s;
      try {
        await s.start();
      } catch (err) {
        // e.g. a target partition without a leader yet while settling: try again at the next check
        logger.warn({ err: (err as Error).message }, 'scheduled delivery could not take over yet; retrying');
        s.stop();
        current = null;
        return;
      }
      if (stopped) s.stop();
      else {
        byBroker.set(services, s);
        logger.info({ pending: s.pending }, 'scheduled delivery: this broker leads __brook_scheduled and delivers');
      }
    } else if (!leads && current) {
      current.stop();
      byBroker.delete(services);
      current = null;
      logger.info({}, 'scheduled delivery: no longer the leader of __brook_scheduled; stopped');
    }
  };
  const timer = setInterval(() => {
    if (busy || stopped) return;
    busy = true;
    void check().finally(() => (busy = false));
  }, OWNERSHIP_CHECK_MS);
  return {
    stop() {
      stopped = true;
      clearInterval(timer);
      current?.stop();
      byBroker.delete(services);
      link.close();
    },
  };
}

export type ScheduledProduce = null | { errorCode: number; message: string | null };

/**
 * Produce's hook: null at once when the batch is not the scheduler's (appended as usual, with no promise
 * per partition), else the outcome of writing it to `__brook_scheduled` instead (errorCode 0: durable under
 * the producer's acks). `at`: the produce's partition as its leader writes it, for an idempotent producer's
 * sequences (sequencedIntake.ts).
 */
export function produceScheduled(
  services: BrokerServices,
  topic: TopicInfo,
  partition: number,
  batch: Buffer,
  /** The batch's records when it is compressed and Produce's check already decompressed them. */
  decompressed: Buffer | undefined,
  acks: Acks,
  timeoutMs: number,
  now: number,
  at?: { log: PartitionLog; slot: WriteSlot; transactionalId: string | null; checkTransaction?: (producerId: bigint, epoch: number) => number },
): Promise<ScheduledProduce> | null {
  if (topic.name === SCHEDULED_TOPIC) return takeForwarded(services, batch, acks, timeoutMs);
  const taken = intake(topic.name, partition, batch, topicPolicyOf(topic.configs), now, services.metadata, decompressed);
  if (taken.kind === 'pass') return null;
  if (taken.kind === 'refuse') {
    services.logger.info({ topic: topic.name, partition, reason: taken.message }, 'scheduled produce refused');
    return Promise.resolve({ errorCode: ErrorCode.INVALID_RECORD, message: taken.message });
  }
  const tag = producerTagOf(topic.name, partition, batch);
  const send = async (): Promise<{ errorCode: number; message: string | null }> => {
    if (tag?.transactional) {
      // __brook_scheduled takes part in the transaction before anything of it is written there
      const code = await enlistScheduled(services, links.get(services) ?? null, at?.transactionalId ?? null, tag.producerId, tag.epoch, now);
      if (code !== 0) return { errorCode: code, message: `cannot add ${SCHEDULED_TOPIC} to the transaction (error ${code})` };
    }
    const out = await sendSchedules(services, taken.schedules, taken.cancels, acks, timeoutMs, now, tag);
    if (out.errorCode !== 0) services.logger.info({ topic: topic.name, partition, errorCode: out.errorCode, reason: out.message }, 'scheduled produce refused');
    return out;
  };
  if (!tag) return send();
  if (!at) return Promise.resolve({ errorCode: ErrorCode.NOT_LEADER_OR_FOLLOWER, message: `not the leader of ${topic.name}-${partition}` });
  // single broker: the scheduler is here, told at once; in a cluster its repair write finds the sequences in place
  // (a transaction's: its marker settles them)
  const local = links.get(services) || tag.transactional ? null : byBroker.get(services);
  const confirm = local ? () => local.sequenced(tag) : null;
  return scheduleWithSequence(at.log, partitionWriter(services), at.slot, tag, now, send, confirm, at.checkTransaction);
}

/** The schedules to the scheduler: here (single broker) or forwarded to the leader of `__brook_scheduled`. */
async function sendSchedules(services: BrokerServices, schedules: RecordInput[], cancels: CancelRequest[], acks: Acks, timeoutMs: number, now: number, tag: ProducerTag | null): Promise<{ errorCode: number; message: string | null }> {
  const link = links.get(services);
  // this broker or another may lead __brook_scheduled (or be taking over): forward() waits for a ready one
  if (link) return (await forward(services, link, schedules, cancels, acks, timeoutMs, now, tag)) ?? { errorCode: 0, message: null };
  const scheduler = byBroker.get(services);
  if (!scheduler) return { errorCode: ErrorCode.REQUEST_TIMED_OUT, message: 'the scheduler is still loading' };
  const out = await scheduler.schedule(schedules, cancels, acks, timeoutMs, tag);
  return 'message' in out ? out : { errorCode: 0, message: null };
}

/**
 * Cluster mode: a produce's schedules written to `__brook_scheduled`'s leader (inter-broker Produce, the
 * producer's acks, acks=0 sent as 1 so this broker knows the outcome). Retried only on refusals that wrote
 * nothing (not created yet for want of live brokers, no leader, not the leader, its scheduler still loading),
 * within the produce's timeout.
 */
async function forward(services: BrokerServices, link: ClusterLink, schedules: RecordInput[], cancels: CancelRequest[], acks: Acks, timeoutMs: number, now: number, tag: ProducerTag | null): Promise<ScheduledProduce> {
  const records = [...schedules, ...cancels.map(encodeForwardedCancel)];
  if (tag) records.push(encodeForwardedTag(tag));
  const batch = buildRecordBatch({ records, baseTimestamp: BigInt(now) });
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    let code: number = ErrorCode.LEADER_NOT_AVAILABLE;
    let message = `${SCHEDULED_TOPIC} has no leader`;
    let created = true;
    try {
      await ensureScheduledTopic(services);
    } catch (err) {
      if (!(err instanceof MetadataError)) throw err;
      // fewer brokers alive than its replication factor: nothing written, retriable
      code = ErrorCode.NOT_ENOUGH_REPLICAS;
      message = err.message;
      created = false;
    }
    const leader = link.leaderOf(SCHEDULED_TOPIC, SCHEDULED_PARTITION);
    if (!created) {
      // waits below, as for a leader
    } else if (leader === link.selfId) {
      const s = byBroker.get(services);
      if (s?.ready) {
        const out = await s.schedule(schedules, cancels, acks, timeoutMs, tag);
        return 'message' in out ? out : { errorCode: 0, message: null };
      }
      code = ErrorCode.REQUEST_TIMED_OUT;
      message = 'the scheduler is still loading';
    } else if (leader !== NO_LEADER) {
      try {
        await link.produce(leader, SCHEDULED_TOPIC, SCHEDULED_PARTITION, batch, acks === 0 ? 1 : acks, Math.max(1, deadline - Date.now()));
        return { errorCode: 0, message: null };
      } catch (err) {
        code = err instanceof RemoteWriteError ? err.errorCode : ErrorCode.REQUEST_TIMED_OUT;
        message = (err as Error).message;
        // a lost connection or a timeout may have written it: the producer decides whether to resend
        const nothingWritten = code === ErrorCode.NOT_LEADER_OR_FOLLOWER || code === ErrorCode.LEADER_NOT_AVAILABLE;
        if (!nothingWritten) {
          services.logger.warn({ leader, errorCode: code, err: message }, 'scheduled produce: forwarding to the leader of __brook_scheduled failed');
          return { errorCode: code, message };
        }
      }
    }
    if (Date.now() + FORWARD_RETRY_MS > deadline) return { errorCode: code, message };
    await new Promise((r) => setTimeout(r, FORWARD_RETRY_MS));
  }
}

/** On `__brook_scheduled`'s leader: schedules another broker forwarded, taken by the running scheduler. */
async function takeForwarded(services: BrokerServices, batch: Buffer, acks: Acks, timeoutMs: number): Promise<ScheduledProduce> {
  const s = byBroker.get(services);
  if (!s?.ready) return { errorCode: ErrorCode.NOT_LEADER_OR_FOLLOWER, message: 'the scheduler does not run on this broker (yet)' };
  const records: RecordInput[] = [];
  const cancels: CancelRequest[] = [];
  let tag: ProducerTag | null = null;
  for (const b of decodeRecordBatches(batch)) {
    for (const r of b.records) {
      const cancel = decodeForwardedCancel(r.key, r.value);
      const forwardedTag = cancel ? null : decodeForwardedTag(r.key, r.value);
      if (cancel) cancels.push(cancel);
      else if (forwardedTag) tag = forwardedTag;
      else if (r.key && isScheduleKey(r.key)) records.push({ key: r.key, value: r.value, headers: r.headers, timestamp: r.timestamp });
      else {
        // without an authorizer any client passes the CLUSTER_ACTION check that lets brokers forward schedules here
        const message = `${SCHEDULED_TOPIC} takes only schedules forwarded by brokers; produce to the target topic with brook- headers instead`;
        services.logger.warn({ topic: SCHEDULED_TOPIC }, message);
        return { errorCode: ErrorCode.INVALID_RECORD, message };
      }
    }
  }
  const out = await s.schedule(records, cancels, acks, timeoutMs, tag);
  return 'message' in out ? out : { errorCode: 0, message: null };
}

/** A cancel travels to the scheduler's broker as a record keyed by this marker (never appended: see takeForwarded). */
const FORWARDED_CANCEL = Buffer.from('brook-forwarded-cancel');

function encodeForwardedCancel(c: CancelRequest): RecordInput {
  return { key: FORWARDED_CANCEL, value: Buffer.from(JSON.stringify({ topic: c.topic, key: c.key?.toString('base64') ?? null, scheduleId: c.scheduleId, offset: c.offset })) };
}

function decodeForwardedCancel(key: Buffer | null, value: Buffer | null): CancelRequest | null {
  if (!key || !value || !key.equals(FORWARDED_CANCEL)) return null;
  const v = JSON.parse(value.toString()) as { topic: string; key: string | null; scheduleId: string | null; offset: number | null };
  return { topic: v.topic, key: v.key === null ? null : Buffer.from(v.key, 'base64'), scheduleId: v.scheduleId, offset: v.offset };
}

/** An idempotent producer's sequences travel with its schedules as a record keyed by this marker (never appended). */
const FORWARDED_TAG = Buffer.from('brook-forwarded-producer');

function encodeForwardedTag(t: ProducerTag): RecordInput {
  return { key: FORWARDED_TAG, value: Buffer.from(JSON.stringify({ ...t, producerId: String(t.producerId) })) };
}

function decodeForwardedTag(key: Buffer | null, value: Buffer | null): ProducerTag | null {
  if (!key || !value || !key.equals(FORWARDED_TAG)) return null;
  const v = JSON.parse(value.toString()) as Omit<ProducerTag, 'producerId'> & { producerId: string };
  return { ...v, producerId: BigInt(v.producerId) };
}

/** A key a broker's forwarded schedule has; a client's record may carry any bytes, which must not throw. */
function isScheduleKey(key: Buffer): boolean {
  try {
    return decodeScheduleKey(key) !== null;
  } catch {
    return false;
  }
}
