import { ErrorCode } from '../../protocol/errors';
import type { ProduceResponse } from '../../protocol/generated/messages/ProduceResponse';
import type { PartitionLog } from '../../storage';
import type { BrokerServices } from '../handlers/types';
import { TRACE_TOPIC } from '../internalTopics/names';
import { replayBatches } from '../internalTopics/replayKeyedLog';
import { NO_LEADER } from '../metadata/types';
import { BrokerClient } from '../replication/brokerClient';
import { interBrokerAddress } from '../security/interBroker/address';
import { interBrokerSecurityOf } from '../security/interBroker/settings';
import { decodeRange } from './records';
import { TraceStore } from './traceStore';

const PRODUCE = 0;

/**
 * Cluster mode, write side: a batch of `__brook_trace` records produced (acks=all)
 * to that partition's leader when it is another broker, over one reused
 * inter-broker connection per leader (as share groups send dead-letter copies).
 */
export class RemoteTraceWriter {
  private readonly clients = new Map<number, Promise<BrokerClient>>();

  constructor(private readonly services: BrokerServices) {}

  /** The node id leading `__brook_trace`-0; NO_LEADER while there is none. */
  leader(): number {
    return this.services.metadata.partitionState(TRACE_TOPIC, 0)?.leader ?? NO_LEADER;
  }

  async produce(leader: number, batch: Buffer, timeoutMs: number): Promise<void> {
    const client = await this.client(leader);
    const res = await client.request<ProduceResponse>(PRODUCE, 9, {
      transactionalId: null,
      acks: -1,
      timeoutMs,
      topicData: [{ name: TRACE_TOPIC, partitionData: [{ index: 0, records: batch }] }],
    });
    const code = res.responses[0]?.partitionResponses[0]?.errorCode ?? ErrorCode.UNKNOWN_SERVER_ERROR;
    if (code !== ErrorCode.NONE) throw new Error(`broker ${leader} refused the write to ${TRACE_TOPIC}-0 (error ${code})`);
  }

  private async client(nodeId: number): Promise<BrokerClient> {
    const cached = this.clients.get(nodeId);
    if (cached) {
      const c = await cached.catch(() => null);
      if (c && !c.closed) return c;
      this.clients.delete(nodeId);
    }
    const broker = this.services.metadata.brokers().find((b) => b.nodeId === nodeId);
    if (!broker) throw new Error(`broker ${nodeId} is not registered`);
    const security = interBrokerSecurityOf(this.services.config);
    const at = interBrokerAddress(broker, security.listenerName);
    const p = BrokerClient.connect(at.host, at.port, `brook-trace-${this.services.metadata.self().nodeId}`, undefined, security);
    this.clients.set(nodeId, p);
    p.catch(() => this.clients.delete(nodeId));
    return p;
  }

  close(): void {
    for (const p of this.clients.values()) void p.then((c) => c.close()).catch(() => undefined);
    this.clients.clear();
  }
}

/**
 * Cluster mode, read side: the ranges of `__brook_trace` as this broker's replica
 * of it holds them (leader or follower), read on demand up to the high
 * watermark and kept between queries, so each query reads only what was
 * appended since the last. A new leader of `__brook_trace` therefore answers
 * from the records replicated to it before the old leader died: nothing to
 * hand over. A broker with no replica of `__brook_trace` answers without it.
 */
export class TraceTail {
  readonly view = new TraceStore();
  private next = 0;
  private log: PartitionLog | null = null;
  private reading: Promise<void> | null = null;

  constructor(private readonly services: BrokerServices) {}

  /** Reads what the local replica acknowledged since the last call. */
  async catchUp(): Promise<void> {
    while (this.reading) await this.reading;
    this.reading = this.read().finally(() => (this.reading = null));
    await this.reading;
  }

  private async read(): Promise<void> {
    const log = this.services.logs.get(TRACE_TOPIC, 0) ?? null;
    if (!log) return;
    // a replica found at start after a crash knows its offsets only once recovered
    await log.open();
    // A replica truncated below what was read (or a log opened anew): read it again from its start.
    if (log !== this.log || log.logEndOffset < this.next) {
      this.log = log;
      this.view.clear();
      this.next = log.logStartOffset;
    }
    const end = log.highWatermark;
    if (this.next >= end) return;
    for await (const { batch, from } of replayBatches(log, this.next)) {
      if (batch.isControl) continue;
      for (const r of batch.records) {
        const offset = Number(r.offset);
        if (offset < from || offset >= end) continue;
        const range = r.value ? decodeRange(Buffer.from(r.value)) : null;
        if (range) this.view.apply(range);
      }
      const last = Number(batch.baseOffset) + batch.lastOffsetDelta + 1;
      if (last >= end) break;
    }
    this.next = end;
  }
}
