import { buildRecordBatch } from '../../protocol/records';
import { BATCH, readProducerEpoch, readProducerId } from '../../protocol/records/batchHeader';
import type { PartitionLog } from '../../storage';
import type { BrokerServices, RequestContext } from '../handlers/types';
import { TRACE_TOPIC } from '../internalTopics/names';
import { replayKeyedLog } from '../internalTopics/replayKeyedLog';
import { partitionWriter } from '../replication/partitionWriter';
import { partitionLog } from '../metadata/partitionLogs';
import { ensureInternalTopic, internalReplicationFactor } from '../metadata/internalTopicReplicas';
import { NO_LEADER, type TopicInfo } from '../metadata/types';
import { RemoteTraceWriter, TraceTail } from './clusterTrace';
import { decodeRange, encodeRange, rangeKey, type ProducedRange } from './records';
import { TraceStore } from './traceStore';

export const TRACE_ENABLE_CONFIG = 'brook.trace.enable';

/** Kept small: retention bounds the topic (older ranges age out), compaction keeps one record per range. */
const TRACE_TOPIC_CONFIGS = { 'cleanup.policy': 'compact,delete', 'retention.ms': String(7 * 24 * 3600 * 1000), 'retention.bytes': String(256 * 1024 * 1024), 'segment.bytes': String(16 * 1024 * 1024) };

export class TraceServices {
  /** Ranges recorded on this broker (single broker: also every range replayed from `__brook_trace`). */
  readonly store = new TraceStore();
  /** Cluster mode: where the writes go when another broker leads `__brook_trace`, and what this broker's replica holds. */
  private readonly remote: RemoteTraceWriter | null;
  private readonly tail: TraceTail | null;
  /** Changes noted so far, and how many of them a finished write round covered (acks=all produce waits on it). */
  private changes = 0;
  private settled = 0;
  private waiters: Array<{ target: number; resolve: () => void }> = [];
  private log: PartitionLog | null = null;
  private opening: Promise<PartitionLog> | null = null;
  private dirty = new Map<string, ProducedRange>();
  private writing: Promise<void> | null = null;
  private inflight = 0;
  private stopped = false;
  /** Failed `__brook_trace` writes (logged); the ranges stay dirty and go out with the next write. */
  writeFailures = 0;

  constructor(private readonly services: BrokerServices) {
    this.remote = services.clustered ? new RemoteTraceWriter(services) : null;
    this.tail = services.clustered ? new TraceTail(services) : null;
    this.store.onChange = (r) => {
      this.changes++;
      this.dirty.set(`${r.topic}\0${r.partition}\0${r.first}`, r);
      if (!this.writing && !this.stopped) this.writing = this.drain();
    };
  }

  /** The recorded producer range holding an offset: from `__brook_trace` as this broker holds it, else recorded here. */
  async rangeOf(topic: TopicInfo, partition: number, offset: number): Promise<ProducedRange | null> {
    const id = topicIdOf(topic);
    if (this.tail) {
      await this.tail.catchUp().catch((err: unknown) => this.services.logger.warn({ component: 'trace', err: String(err) }, `cannot read ${TRACE_TOPIC}`));
      const r = this.tail.view.rangeOf(id, partition, offset);
      if (r) return r;
    }
    return this.store.rangeOf(id, partition, offset);
  }

  /** Resolves once every change noted so far went out in a write round (written, or its failure logged). */
  written(): Promise<void> {
    const target = this.changes;
    if (this.settled >= target || this.stopped) return Promise.resolve();
    if (!this.writing) this.writing = this.drain();
    return new Promise((resolve) => this.waiters.push({ target, resolve }));
  }

  private settle(upTo: number): void {
    this.settled = Math.max(this.settled, upTo);
    const ready = this.waiters.filter((w) => w.target <= this.settled || this.stopped);
    if (ready.length === 0) return;
    this.waiters = this.waiters.filter((w) => !ready.includes(w));
    for (const w of ready) w.resolve();
  }

  private async ensureTopic(): Promise<TopicInfo> {
    const existing = this.services.metadata.topic(TRACE_TOPIC);
    if (existing) return existing;
    // in a cluster, on the internal replication factor and once that many brokers are alive (as every internal topic)
    if (this.services.clustered) return ensureInternalTopic(this.services.metadata, TRACE_TOPIC, { partitions: 1, internal: true, replicationFactor: internalReplicationFactor(this.services), configs: TRACE_TOPIC_CONFIGS });
    return this.services.metadata.ensureTopic(TRACE_TOPIC, { partitions: 1, internal: true, configs: TRACE_TOPIC_CONFIGS });
  }

  private open(): Promise<PartitionLog> {
    if (this.log) return Promise.resolve(this.log);
    this.opening ??= (async () => {
      const topic = await this.ensureTopic();
      const found = this.services.clustered ? await partitionLog(this.services, topic, 0, { waitForRecovery: true }) : null;
      if (found && !found.log) throw new Error(`no replica of ${TRACE_TOPIC}-0 here (error ${found.errorCode})`);
      this.log = found?.log ?? (await this.services.logs.create(TRACE_TOPIC, 0, { cleanupPolicy: 'compact,delete' }));
      return this.log;
    })().catch((e: unknown) => {
      this.opening = null;
      throw e;
    });
    return this.opening;
  }

  async replay(): Promise<void> {
    if (!this.services.metadata.topic(TRACE_TOPIC)) return;
    const log = await this.open();
    for await (const r of replayKeyedLog(log)) {
      const range = r.value ? decodeRange(r.value) : null;
      if (range) this.store.apply(range);
    }
  }

  /** Ranges changed on this broker whose latest state is not yet acknowledged in `__brook_trace`. */
  get unwritten(): number {
    return this.dirty.size + this.inflight;
  }

  /** Resolves once every range changed so far is in `__brook_trace` (or its write failed). */
  async flushed(): Promise<void> {
    while (this.writing) await this.writing;
  }

  private async drain(): Promise<void> {
    try {
      while (this.dirty.size > 0 && !this.stopped) {
        const ranges = [...this.dirty.values()];
        const upTo = this.changes;
        this.dirty = new Map();
        this.inflight = ranges.length;
        try {
          await this.writeRanges(ranges);
          this.settle(upTo);
        } catch (err) {
          // Nobody waits for a retry: the next change sends these again.
          this.settle(this.changes);
          this.writeFailures++;
          this.services.logger.warn({ component: 'trace', err: String(err), ranges: ranges.length }, `${TRACE_TOPIC} write failed`);
          for (const r of ranges) if (!this.dirty.has(`${r.topic}\0${r.partition}\0${r.first}`)) this.dirty.set(`${r.topic}\0${r.partition}\0${r.first}`, r);
          return;
        } finally {
          this.inflight = 0;
        }
      }
    } finally {
      this.writing = null;
    }
  }

  /** One batch to `__brook_trace`-0 with acks=all: through the write path here, or produced to its leader elsewhere. */
  private async writeRanges(ranges: ProducedRange[]): Promise<void> {
    const timeoutMs = Number(this.services.config.raw['request.timeout.ms'] ?? 30_000);
    const batch = (): Buffer => buildRecordBatch({ records: ranges.map((r) => ({ key: rangeKey(r.topic, r.partition, r.first), value: encodeRange(r) })) });
    if (this.remote) {
      await this.ensureTopic();
      const leader = this.remote.leader();
      if (leader === NO_LEADER) throw new Error(`${TRACE_TOPIC}-0 has no leader`);
      if (leader !== this.services.metadata.self().nodeId) {
        await this.remote.produce(leader, batch(), timeoutMs);
        return;
      }
    }
    const log = await this.open();
    const out = await partitionWriter(this.services).write(TRACE_TOPIC, 0, timeoutMs, () => log.append(batch()));
    if (out.errorCode !== 0) throw new Error(`error code ${out.errorCode}`);
  }

  /** Writes what is still dirty, then stops recording. */
  async stop(): Promise<void> {
    await this.flushed();
    if (this.dirty.size > 0) await (this.writing = this.drain());
    this.stopped = true;
    this.settle(this.changes);
    this.remote?.close();
  }
}

/** Ranges name the topic's incarnation by its id: a topic recreated under the same name is another topic. */
function topicIdOf(topic: TopicInfo): string {
  return topic.id.toString('hex');
}

/** Beside the services bag, as share groups do, so the shared BrokerServices type needs no slot. */
const byBroker = new WeakMap<object, TraceServices>();

export function traceServicesOf(services: BrokerServices): TraceServices | undefined {
  return byBroker.get(services);
}

/**
 * Starts recording producers of topics with brook.trace.enable=true. Single
 * broker: replays `__brook_trace` into the store. Cluster: a data partition's
 * leader records and writes to the leader of `__brook_trace`-0; queries read
 * this broker's replica of it (see TraceTail), so there is nothing to replay.
 */
export async function startTraceServices(services: BrokerServices): Promise<{ stop(): Promise<void> }> {
  const trace = new TraceServices(services);
  if (!services.clustered) await trace.replay();
  byBroker.set(services, trace);
  return {
    async stop() {
      byBroker.delete(services);
      await trace.stop().catch(() => undefined);
    },
  };
}

/**
 * Produce hook: after a batch of a traced topic was appended (or answered as
 * an idempotent duplicate), note who sent it. Costs nothing for other topics.
 * For a traced topic, resolves once the identity went out to `__brook_trace`
 * (acks=all answers wait on it, so an acknowledged record's producer survives
 * a crash of this broker); null for other topics.
 */
export function traceProduce(ctx: RequestContext, topic: TopicInfo, partition: number, batch: Buffer, transactionalId: string | null, baseOffset: number, duplicate: boolean): Promise<void> | null {
  if (topic.configs[TRACE_ENABLE_CONFIG] !== 'true') return null;
  const trace = byBroker.get(ctx.broker);
  if (!trace) return null;
  let span = 0;
  for (let p = 0; p + BATCH.HEADER_SIZE <= batch.length; p += BATCH.LOG_OVERHEAD + batch.readInt32BE(p + BATCH.BATCH_LENGTH)) span += batch.readInt32BE(p + BATCH.LAST_OFFSET_DELTA) + 1;
  const lastOffset = baseOffset + Math.max(span, 1) - 1;
  if (duplicate) {
    trace.store.retried(topicIdOf(topic), partition, baseOffset);
    return trace.written();
  }
  trace.store.appended(topic.name, topicIdOf(topic), partition, baseOffset, lastOffset, {
    clientId: ctx.clientId,
    principal: ctx.connection.principal,
    producerId: Number(readProducerId(batch, 0)),
    producerEpoch: readProducerEpoch(batch, 0),
    transactionalId,
  }, ctx.now);
  return trace.written();
}
