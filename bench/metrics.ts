/**
 * Cost of the metrics observer on the request path, per request: a Produce
 * of 8 partitions × one 100-record batch, and a Fetch answer of 8 partitions ×
 * 3 chunks. The work must not grow with records per batch, so the same
 * requests are timed with 1,000-record batches as well.
 *
 *   npx tsx bench/metrics.ts
 */
import { buildRecordBatch } from '../protocol/records';
import { ApiKey } from '../protocol/generated/apis';
import type { RequestContext } from '../src/handlers/types';
import { BrokerMetricSet } from '../src/metrics/metricSet';
import { TrafficObserver } from '../src/metrics/trafficObserver';

const PARTITIONS = 8;

function batch(records: number): Buffer {
  return buildRecordBatch({ records: Array.from({ length: records }, (_, i) => ({ key: `k${i}`, value: 'x'.repeat(100) })) });
}

function ctx(apiKey: number): RequestContext {
  return {
    apiKey,
    apiVersion: 9,
    correlationId: 1,
    clientId: 'bench',
    connection: { id: 1, remoteAddress: '127.0.0.1', remotePort: 1, listenerName: 'PLAINTEXT', securityProtocol: 'PLAINTEXT', principal: 'User:ANONYMOUS' },
    broker: {} as RequestContext['broker'],
    now: 0,
  };
}

function time(name: string, iterations: number, fn: () => void): void {
  for (let i = 0; i < iterations / 10; i++) fn();
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < iterations; i++) fn();
  const ns = Number(process.hrtime.bigint() - t0) / iterations;
  console.log(`${name.padEnd(48)} ${ns.toFixed(0).padStart(7)} ns/request`);
}

for (const records of [100, 1000]) {
  const observer = new TrafficObserver(new BrokerMetricSet());
  const b = batch(records);
  const produceReq = { transactionalId: null, acks: -1, timeoutMs: 1000, topicData: [{ name: 'bench', partitionData: Array.from({ length: PARTITIONS }, (_, index) => ({ index, records: b })) }] };
  const produceRes = { responses: [{ name: 'bench', partitionResponses: Array.from({ length: PARTITIONS }, (_, index) => ({ index, errorCode: 0 })) }] };
  const third = Math.floor(b.length / 3);
  const chunks = [b.subarray(0, third), b.subarray(third, 2 * third), b.subarray(2 * third)];
  const fetchRes = { responses: [{ topic: 'bench', partitions: Array.from({ length: PARTITIONS }, (_, partitionIndex) => ({ partitionIndex, records: chunks })) }] };
  const pc = ctx(ApiKey.Produce);
  const fc = ctx(ApiKey.Fetch);
  time(`produce, ${PARTITIONS} partitions x ${records} records`, 200_000, () => observer.requestDone(pc, produceReq, produceRes, 0.2));
  time(`fetch, ${PARTITIONS} partitions x ${records} records (3 chunks)`, 200_000, () => observer.requestDone(fc, null, fetchRes, 0.2));
}
