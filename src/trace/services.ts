import { buildRecordBatch } from '../../protocol/records';
import { BATCH, readProducerEpoch, readProducerId } from '../../protocol/records/batchHeader';
import type { PartitionLog } from '../../storage';
import type { BrokerServices, RequestContext } from '../handlers/types';
import { TRACE_TOPIC } from '../internalTopics/names';
import { replayKeyedLog } from '../internalTopics/replayKeyedLog';
import { partitionWriter } from '../replication/partitionWriter';
import type { TopicInfo } from '../metadata/types';
import { decodeRange, encodeRange, rangeKey, type ProducedRange } from './records';
import { TraceStore } from './traceStore';

export const TRACE_ENABLE_CONFIG = 'brook.trace.enable';

/** Kept small: retention bounds the topic (older ranges age out), compaction keeps one record per range. */
const TRACE_TOPIC_CONFIGS = { 'cleanup.policy': 'compact,delete', 'retention.ms': String(7 * 24 * 3600 * 1000), 'retention.bytes': String(256 * 1024 * 1024), 'segment.bytes': String(16 * 1024 * 1024) };

export class TraceServices {
  readonly store = new TraceStore();
  private log: PartitionLog | null = null;
  private opening: Promise<PartitionLog> | null = null;
  private dirty = new Map<string, ProducedRange>();
  private writing: Promise<void> | null = null;
  private inflight = 0;
  private stopped = false;
  /** Failed `__brook_trace` writes (logged); the ranges stay dirty and go out with the next write. */
  writeFailures = 0;

  constructor(private readonly services: BrokerServices) {
    this.store.onChange = (r) => {
      this.dirty.set(`${r.topic}\0${r.partition}\0${r.first}`, r);
      if (!this.writing && !this.stopped) this.writing = this.drain();
    };
  }

  private open(): Promise<PartitionLog> {
    if (this.log) return Promise.resolve(this.log);
    this.opening ??= (async () => {
      await this.services.metadata.ensureTopic(TRACE_TOPIC, { partitions: 1, internal: true, configs: TRACE_TOPIC_CONFIGS });
      this.log = this.services.logs.get(TRACE_TOPIC, 0) ?? (await this.services.logs.create(TRACE_TOPIC, 0, { cleanupPolicy: 'compact,delete' }));
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
        this.dirty = new Map();
        this.inflight = ranges.length;
        try {
          const log = await this.open();
          const timeoutMs = Number(this.services.config.raw['request.timeout.ms'] ?? 30_000);
          const out = await partitionWriter(this.services).write(TRACE_TOPIC, 0, timeoutMs, () =>
            log.append(buildRecordBatch({ records: ranges.map((r) => ({ key: rangeKey(r.topic, r.partition, r.first), value: encodeRange(r) })) })),
          );
          if (out.errorCode !== 0) throw new Error(`error code ${out.errorCode}`);
        } catch (err) {
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

  /** Writes what is still dirty, then stops recording. */
  async stop(): Promise<void> {
    await this.flushed();
    if (this.dirty.size > 0) await (this.writing = this.drain());
    this.stopped = true;
  }
}

/** Beside the services bag, as share groups do, so the shared BrokerServices type needs no slot. */
const byBroker = new WeakMap<object, TraceServices>();

export function traceServicesOf(services: BrokerServices): TraceServices | undefined {
  return byBroker.get(services);
}

/**
 * Replays `__brook_trace` and starts recording producers of topics with
 * brook.trace.enable=true. Single-broker mode only: in a cluster a data
 * partition's leader would have to forward to the trace partition's leader,
 * which is not built yet.
 */
export async function startTraceServices(services: BrokerServices): Promise<{ stop(): Promise<void> }> {
  if (services.clustered) {
    services.logger.info({ component: 'trace' }, 'message trace is not recorded in cluster mode yet');
    return { async stop() {} };
  }
  const trace = new TraceServices(services);
  await trace.replay();
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
 */
export function traceProduce(ctx: RequestContext, topic: TopicInfo, partition: number, batch: Buffer, transactionalId: string | null, baseOffset: number, duplicate: boolean): void {
  if (topic.configs[TRACE_ENABLE_CONFIG] !== 'true') return;
  const trace = byBroker.get(ctx.broker);
  if (!trace) return;
  let span = 0;
  for (let p = 0; p + BATCH.HEADER_SIZE <= batch.length; p += BATCH.LOG_OVERHEAD + batch.readInt32BE(p + BATCH.BATCH_LENGTH)) span += batch.readInt32BE(p + BATCH.LAST_OFFSET_DELTA) + 1;
  const lastOffset = baseOffset + Math.max(span, 1) - 1;
  if (duplicate) {
    trace.store.retried(topic.name, partition, baseOffset);
    return;
  }
  trace.store.appended(topic.name, partition, baseOffset, lastOffset, {
    clientId: ctx.clientId,
    principal: ctx.connection.principal,
    producerId: Number(readProducerId(batch, 0)),
    producerEpoch: readProducerEpoch(batch, 0),
    transactionalId,
  }, ctx.now);
}
