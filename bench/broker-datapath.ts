/**
 * Data-path figures of the broker itself, measured over loopback against a
 * broker running in a child process (so client work does not share its event
 * loop): pipelined Produce throughput, Fetch throughput, and the latency from
 * an append to the answer of a parked long-poll Fetch.
 *
 *   npx tsx bench/broker-datapath.ts [--batches 2000] [--batch-kib 64] [--depth 32] [--port P]
 *
 * With --port the figures are taken against an already running broker on
 * 127.0.0.1:P (e.g. one started with --cpu-prof to profile it).
 */
import { spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import * as path from 'node:path';
import { createInterface } from 'node:readline';
import { ApiKey } from '../protocol/generated/apis';
import type { FetchResponse } from '../protocol/generated/messages/FetchResponse';
import type { ProduceResponse } from '../protocol/generated/messages/ProduceResponse';
import { buildRecordBatch } from '../protocol/records';
import { fetchRequest } from '../test/helpers/dataPath';
import { RawClient } from '../test/helpers/rawClient';
import { tempDataDir } from '../test/helpers/tempDir';

function flag(name: string, dflt: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
}

const BATCHES = flag('batches', 2000);
const BATCH_KIB = flag('batch-kib', 64);
const DEPTH = flag('depth', 32);
const RECORD_BYTES = 1024;
const LATENCY_ROUNDS = flag('latency-rounds', 200);

async function startChild(dataDir: string): Promise<{ port: number; stop: () => Promise<void> }> {
  const root = path.resolve(__dirname, '..');
  const child = spawn(process.execPath, ['--import', 'tsx', '-e', `require('./src/cli/main').main(['start','--port','0','--data-dir',${JSON.stringify(dataDir)}])`], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const port = await new Promise<number>((resolve, reject) => {
    createInterface({ input: child.stdout! }).on('line', (l) => {
      try {
        const j = JSON.parse(l) as { msg: string; port?: number };
        if (j.msg === 'listening') resolve(j.port!);
      } catch {
        /* not a log line */
      }
    });
    child.on('exit', (code) => reject(new Error(`broker exited with ${code}`)));
  });
  return {
    port,
    stop: () =>
      new Promise((resolve) => {
        child.on('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

function makeBatch(): Buffer {
  const value = Buffer.alloc(RECORD_BYTES, 'v');
  const count = Math.max(1, Math.floor((BATCH_KIB * 1024) / (RECORD_BYTES + 16)));
  return buildRecordBatch({ records: Array.from({ length: count }, (_, i) => ({ key: `k${i}`, value })) });
}

async function produceThroughput(c: RawClient, batch: Buffer): Promise<void> {
  const records = batch.readInt32BE(57);
  let inflight = 0;
  let sent = 0;
  let done = 0;
  const started = process.hrtime.bigint();
  await new Promise<void>((resolve, reject) => {
    const pump = () => {
      while (inflight < DEPTH && sent < BATCHES) {
        // Each request carries its own copy: the broker rewrites offsets in place.
        const body = {
          transactionalId: null,
          acks: 1,
          timeoutMs: 30_000,
          topicData: [{ name: 'bench', partitionData: [{ index: 0, records: Buffer.from(batch) }] }],
        };
        c.send(c.encode(ApiKey.Produce, 9, body, ++sent));
        inflight++;
      }
    };
    const readLoop = async () => {
      while (done < BATCHES) {
        const f = await c.nextFrame(30_000);
        const res = c.decode<ProduceResponse>(ApiKey.Produce, 9, f);
        if (res.body.responses[0].partitionResponses[0].errorCode !== 0) throw new Error('produce failed');
        done++;
        inflight--;
        pump();
      }
    };
    pump();
    readLoop().then(resolve, reject);
  });
  const secs = Number(process.hrtime.bigint() - started) / 1e9;
  const mib = (BATCHES * batch.length) / (1 << 20);
  console.log(
    `produce  ${BATCHES} x ${(batch.length / 1024).toFixed(0)} KiB batches, depth ${DEPTH}, acks=1: ` +
      `${(mib / secs).toFixed(1)} MiB/s, ${Math.round((BATCHES * records) / secs)} records/s, ${Math.round(BATCHES / secs)} requests/s`,
  );
}

async function fetchThroughput(c: RawClient): Promise<void> {
  let offset = 0;
  let bytes = 0;
  const started = process.hrtime.bigint();
  for (;;) {
    const res = await c.request<FetchResponse>(ApiKey.Fetch, 12, fetchRequest([{ topic: 'bench', partition: 0, offset, maxBytes: 4 << 20 }], { maxBytes: 16 << 20 }));
    const p = res.responses[0].partitions[0];
    const recs = p.records;
    if (!recs || recs.length === 0) break;
    bytes += recs.length;
    // Walk batch headers to the next offset (baseOffset + lastOffsetDelta + 1 of the last batch).
    let pos = 0;
    let next = offset;
    while (pos + 61 <= recs.length) {
      const size = 12 + recs.readInt32BE(pos + 8);
      if (pos + size > recs.length) break;
      next = Number(recs.readBigInt64BE(pos)) + recs.readInt32BE(pos + 23) + 1;
      pos += size;
    }
    offset = next;
    if (BigInt(offset) >= p.highWatermark) break;
  }
  const secs = Number(process.hrtime.bigint() - started) / 1e9;
  console.log(`fetch    ${(bytes / (1 << 20)).toFixed(0)} MiB from offset 0, 4 MiB per request: ${(bytes / (1 << 20) / secs).toFixed(1)} MiB/s`);
}

async function longPollLatency(consumer: RawClient, producer: RawClient): Promise<void> {
  const small = buildRecordBatch({ records: [{ value: 'ping' }] });
  const hw = await consumer.request<FetchResponse>(ApiKey.Fetch, 12, fetchRequest([{ topic: 'bench-lp', partition: 0, offset: 0 }]));
  let offset = Number(hw.responses[0].partitions[0].highWatermark);
  const samples: number[] = [];
  for (let i = 0; i < LATENCY_ROUNDS; i++) {
    const parked = consumer.request<FetchResponse>(ApiKey.Fetch, 12, fetchRequest([{ topic: 'bench-lp', partition: 0, offset }], { maxWaitMs: 5000, minBytes: 1 }));
    // Give the fetch a moment to park; the figure is the append-to-answer time, measured from the produce send.
    await new Promise((r) => setTimeout(r, 2));
    const t0 = process.hrtime.bigint();
    const produced = producer.request<ProduceResponse>(ApiKey.Produce, 9, {
      transactionalId: null,
      acks: 1,
      timeoutMs: 5000,
      topicData: [{ name: 'bench-lp', partitionData: [{ index: 0, records: Buffer.from(small) }] }],
    });
    await parked;
    samples.push(Number(process.hrtime.bigint() - t0) / 1e6);
    await produced;
    offset++;
  }
  samples.sort((a, b) => a - b);
  const q = (p: number) => samples[Math.min(samples.length - 1, Math.floor(p * samples.length))].toFixed(2);
  console.log(`long-poll wake-up (produce sent -> parked fetch answered), ${LATENCY_ROUNDS} rounds: p50 ${q(0.5)} ms, p99 ${q(0.99)} ms, max ${q(1)} ms`);
}

async function main(): Promise<void> {
  const dataDir = tempDataDir('brook-bench-');
  const external = flag('port', 0);
  const broker = external > 0 ? { port: external, stop: async () => undefined } : await startChild(dataDir);
  try {
    const c = await RawClient.connect(broker.port);
    const batch = makeBatch();
    // Warm-up creates the topics.
    for (const t of ['bench', 'bench-lp']) {
      await c.request<ProduceResponse>(ApiKey.Produce, 9, {
        transactionalId: null,
        acks: 1,
        timeoutMs: 5000,
        topicData: [{ name: t, partitionData: [{ index: 0, records: buildRecordBatch({ records: [{ value: 'warm' }] }) }] }],
      });
    }
    await produceThroughput(c, batch);
    await fetchThroughput(c);
    const p = await RawClient.connect(broker.port);
    await longPollLatency(c, p);
    c.close();
    p.close();
  } finally {
    await broker.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
