import { PeerClients } from '../replication/peerClients';
import { ErrorCode } from '../../protocol/errors';
import type { ProduceResponse } from '../../protocol/generated/messages/ProduceResponse';
import type { PartitionLog } from '../../storage';
import type { BrokerServices } from '../handlers/types';
import { TRACE_TOPIC } from '../internalTopics/names';
import { replayBatches } from '../internalTopics/replayKeyedLog';
import { NO_LEADER } from '../metadata/types';
import { decodeRange } from './records';
import { TraceStore } from './traceStore';

const PRODUCE = 0;

/**
 * Cluster mode, write side: a batch of `__brook_trace` records produced (acks=all)
 * to that partition's leader when it is another broker, over one reused
 * inter-broker connection per leader (as share groups send dead-letter copies).
 */
export class RemoteTraceWriter {
  private readonly peers: PeerClients;

  constructor(private readonly services: BrokerServices) {
    this.peers = new PeerClients(services, () => `brook-trace-${services.metadata.self().nodeId}`);
  }

  /** The node id leading `__brook_trace`-0; NO_LEADER while there is none. */
  leader(): number {
    return this.services.metadata.partitionState(TRACE_TOPIC, 0)?.leader ?? NO_LEADER;
  }

  async produce(leader: number, batch: Buffer, timeoutMs: number): Promise<void> {
    const client = await this.peers.get(leader);
    const res = await client.request<ProduceResponse>(PRODUCE, 9, {
      transactionalId: null,
      acks: -1,
      timeoutMs,
      topicData: [{ name: TRACE_TOPIC, partitionData: [{ index: 0, records: batch }] }],
    });
    const code = res.responses[0]?.partitionResponses[0]?.errorCode ?? ErrorCode.UNKNOWN_SERVER_ERROR;
    if (code !== ErrorCode.NONE) throw new Error(`broker ${leader} refused the write to ${TRACE_TOPIC}-0 (error ${code})`);
  }

  close(): void {
    this.peers.close();
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
