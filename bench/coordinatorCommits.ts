/**
 * What replicated coordinator writes cost (npx tsx bench/coordinatorCommits.ts):
 * OffsetCommit on a single broker (no replication: the commit is answered after the local append) vs on the
 * coordinator of a three-broker in-process cluster whose __consumer_offsets has 3 replicas (answered once
 * the ISR has it). Per setup: latency of one commit at a time (p50/p99) and commits/s with WINDOW requests
 * in flight on one connection.
 * Env: SEQUENTIAL (default 2000), COMMITS (default 50000), WINDOW (default 1000).
 */
import * as net from 'node:net';
import { Writer } from '../protocol/codec/writer';
import { ApiKey, apiDescriptor } from '../protocol/generated/apis';
import { encodeRequestHeader } from '../protocol/generated/headers';
import type { FindCoordinatorResponse } from '../protocol/generated/messages/FindCoordinatorResponse';
import { startTestBroker } from '../test/helpers/broker';
import { MemoryCluster } from '../test/helpers/memoryCluster';
import { RawClient } from '../test/helpers/rawClient';
import type { GroupCoordinator } from '../src/groups/coordinator';
import { eventually } from '../test/helpers/eventually';

const SEQUENTIAL = Number(process.env.SEQUENTIAL ?? 2000);
const COMMITS = Number(process.env.COMMITS ?? 50_000);
const WINDOW = Number(process.env.WINDOW ?? 1000);
const GROUP = 'bench-acks';

function commitFrame(correlationId: number, partition: number, offset: number): Buffer {
  const version = 8;
  const d = apiDescriptor(ApiKey.OffsetCommit)!;
  const w = new Writer(256);
  w.reserveFrameSize();
  encodeRequestHeader(w, d.requestHeaderVersion(version), { requestApiKey: ApiKey.OffsetCommit, requestApiVersion: version, correlationId, clientId: 'bench' });
  d.encodeRequest(w, version, {
    groupId: GROUP, generationIdOrMemberEpoch: -1, memberId: '',
    topics: [{ name: 'bench-topic', partitions: [{ partitionIndex: partition, committedOffset: BigInt(offset), committedMetadata: null }] }],
  });
  w.setFrameSize();
  return w.toBuffer();
}

/** Sends `count` commits keeping `window` in flight; returns each one's latency in ms and the total seconds. */
async function run(port: number, count: number, window: number): Promise<{ latencies: number[]; secs: number }> {
  const socket = net.connect(port, '127.0.0.1');
  await new Promise<void>((r) => socket.once('connect', () => r()));
  socket.setNoDelay(true);
  const frames = Array.from({ length: count }, (_, i) => commitFrame(i + 1, i % 4, i));
  const sentAt: bigint[] = new Array(count);
  const latencies: number[] = [];
  let answered = 0;
  let sent = 0;
  let pending: Buffer = Buffer.alloc(0);
  let done!: () => void;
  const finished = new Promise<void>((r) => (done = r));
  const pump = () => {
    const parts: Buffer[] = [];
    const now = process.hrtime.bigint();
    while (sent < count && sent - answered < window) {
      sentAt[sent] = now;
      parts.push(frames[sent++]!);
    }
    if (parts.length) socket.write(Buffer.concat(parts));
  };
  socket.on('data', (chunk: Buffer) => {
    pending = pending.length ? Buffer.concat([pending, chunk]) : chunk;
    let pos = 0;
    const now = process.hrtime.bigint();
    while (pending.length - pos >= 4) {
      const size = pending.readInt32BE(pos);
      if (pending.length - pos < 4 + size) break;
      const correlationId = pending.readInt32BE(pos + 4);
      latencies.push(Number(now - sentAt[correlationId - 1]!) / 1e6);
      pos += 4 + size;
      answered++;
    }
    pending = pending.subarray(pos);
    if (answered === count) done();
    else pump();
  });
  const t0 = process.hrtime.bigint();
  pump();
  await finished;
  const secs = Number(process.hrtime.bigint() - t0) / 1e9;
  socket.destroy();
  return { latencies, secs };
}

const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))]!;

async function measure(label: string, broker: { port: number; services: { groups?: unknown } }): Promise<void> {
  const port = broker.port;
  await run(port, 200, 1); // warm-up
  const seq = await run(port, SEQUENTIAL, 1);
  const piped = await run(port, COMMITS, WINDOW);
  // every commit must have been written, not refused
  const committed = (broker.services.groups as GroupCoordinator).fetchOffsets(GROUP, null).topics[0]?.partitions ?? [];
  const last = committed.reduce((m, p) => Math.max(m, p.offset), -1);
  if (last !== COMMITS - 1) throw new Error(`last committed offset ${last}, expected ${COMMITS - 1}`);
  console.log(
    `${label}: one at a time p50 ${pct(seq.latencies, 50).toFixed(2)} ms, p99 ${pct(seq.latencies, 99).toFixed(2)} ms; ` +
      `${WINDOW} in flight ${Math.round(COMMITS / piped.secs).toLocaleString('en')} commits/s (p99 ${pct(piped.latencies, 99).toFixed(1)} ms)`,
  );
}

async function main(): Promise<void> {
  const single = await startTestBroker();
  try {
    await single.services.metadata.createTopic('bench-topic', { partitions: 4 });
    await measure('single broker (no replication)', single);
  } finally {
    await single.destroy();
  }
  const c = await MemoryCluster.start({ brokers: 3, config: { 'offsets.topic.num.partitions': '1' } });
  try {
    await c.createTopic('bench-topic', 4, 3);
    const client = await RawClient.connect(c.broker(1).port);
    const res = await client.request<FindCoordinatorResponse>(ApiKey.FindCoordinator, 1, { key: GROUP, keyType: 0 });
    client.close();
    await c.settled();
    const coordinator = res.nodeId;
    await eventually(() => (c.broker(coordinator).services.groups as { ownsGroup(g: string): boolean }).ownsGroup(GROUP), 'the coordinator serves the group');
    const replicas = c.state('__consumer_offsets', 0).replicas.length;
    await measure(`3 brokers, __consumer_offsets RF ${replicas} (acks=all)`, c.broker(coordinator));
  } finally {
    await c.stop();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
