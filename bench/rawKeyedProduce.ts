/**
 * Keyed produce from a client that costs almost nothing: requests are encoded once (keys `k<i>` placed by
 * Kafka's default partitioner, murmur2), then sent again and again, `depth` in flight on one connection, acks=1.
 * With librdkafka the load tool itself is the limit over many partitions (bench/scaleLoad.ts); this shows
 * what the broker alone does with a request that touches many partitions with a record or two each.
 */
import { ApiKey } from '../protocol/generated/apis';
import type { ProduceResponse } from '../protocol/generated/messages/ProduceResponse';
import { buildRecordBatch } from '../protocol/records';
import { partitionForKey } from '../src/http/rest/embedded';
import { RawClient } from '../test/helpers/rawClient';

/** Distinct pre-encoded requests cycled through (the broker rewrites offsets in its own copy of each). */
const DISTINCT_REQUESTS = 16;
const VALUE = Buffer.alloc(90, 'v');

export interface RawProduceResult {
  messages: number;
  /** Partition batches written (one per partition a request touches). */
  batches: number;
  seconds: number;
  msgsPerSec: number;
}

function encodeRequests(c: RawClient, topic: string, partitions: number, perRequest: number): { frames: Buffer[]; batches: number } {
  const frames: Buffer[] = [];
  let batches = 0;
  let k = 0;
  for (let r = 0; r < DISTINCT_REQUESTS; r++) {
    const byPartition = new Map<number, Array<{ key: Buffer; value: Buffer }>>();
    for (let i = 0; i < perRequest; i++) {
      const key = Buffer.from(`k${k++}`);
      const p = partitionForKey(key, partitions);
      let records = byPartition.get(p);
      if (!records) byPartition.set(p, (records = []));
      records.push({ key, value: VALUE });
    }
    batches += byPartition.size;
    const partitionData = [...byPartition].sort((a, b) => a[0] - b[0]).map(([index, records]) => ({ index, records: buildRecordBatch({ records }) }));
    frames.push(c.encode(ApiKey.Produce, 9, { transactionalId: null, acks: 1, timeoutMs: 30_000, topicData: [{ name: topic, partitionData }] }, r + 1));
  }
  return { frames, batches };
}

/** Sends `messages` keyed 100 B records (rounded up to whole requests of `perRequest`) to `topic` on 127.0.0.1:`port`. */
export async function rawKeyedProduce(port: number, topic: string, partitions: number, messages: number, perRequest = 2000, depth = 5): Promise<RawProduceResult> {
  const c = await RawClient.connect(port);
  try {
    const { frames, batches: batchesPerCycle } = encodeRequests(c, topic, partitions, perRequest);
    const requests = Math.ceil(messages / perRequest);
    let sent = 0;
    let done = 0;
    const t0 = performance.now();
    const pump = (): void => {
      while (sent - done < depth && sent < requests) c.send(frames[sent++ % DISTINCT_REQUESTS]!);
    };
    pump();
    while (done < requests) {
      const frame = await c.nextFrame(120_000);
      // every answer is checked: a partition error would make the rate meaningless
      const res = c.decode<ProduceResponse>(ApiKey.Produce, 9, frame);
      for (const t of res.body.responses) for (const p of t.partitionResponses) if (p.errorCode !== 0) throw new Error(`produce to ${topic}-${p.index}: error ${p.errorCode}`);
      done++;
      pump();
    }
    const seconds = (performance.now() - t0) / 1000;
    const sentMessages = requests * perRequest;
    return { messages: sentMessages, batches: Math.round((requests * batchesPerCycle) / DISTINCT_REQUESTS), seconds, msgsPerSec: sentMessages / seconds };
  } finally {
    c.socket.destroy();
  }
}
