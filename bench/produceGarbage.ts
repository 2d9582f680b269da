/**
 * Garbage and CPU per small produce request, the shape librdkafka sends at 50k msgs/s with linger.ms=0: one
 * partition, a few records. Pre-encoded Produce requests of 3 keyed 100 B records to a one-partition topic
 * (bench/rawKeyedProduce.ts, 16 in flight, acks=1) against one broker from dist/ run with its Node flags and
 * --trace-gc. Per round of 200,000 requests: the rate, the young-generation garbage per request (scavenges x
 * the 4 MB semi-space / requests), the broker's CPU per request and the mark-compacts.
 *
 *   npm run build && npm run bench:produce-garbage
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createInterface } from 'node:readline';
import { Kafka, logLevel } from 'kafkajs';
import { brokerNodeFlags } from './brokerNodeFlags';
import { processCpuMs, startBrookDist } from './perfProduce';
import { rawKeyedProduce } from './rawKeyedProduce';

const SEMI_SPACE_MB = 4;
const RECORDS_PER_REQUEST = 3;
const REQUESTS_PER_ROUND = 200_000;
const ROUNDS = 3;

async function main(): Promise<void> {
  const flags = brokerNodeFlags();
  if (!flags.includes(`--max-semi-space-size=${SEMI_SPACE_MB}`)) throw new Error(`the per-request figure assumes --max-semi-space-size=${SEMI_SPACE_MB}`);
  process.env.BENCH_BROKER_NODE_FLAGS = [...flags, '--trace-gc'].join(' ');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'brook-garbage-'));
  const { child, port } = await startBrookDist(dir);
  let scavenges = 0;
  let compacts = 0;
  createInterface({ input: child.stdout! }).on('line', (l) => {
    if (l.includes(': Scavenge ')) scavenges++;
    else if (l.includes(': Mark-Compact ')) compacts++;
  });
  try {
    const admin = new Kafka({ brokers: [`127.0.0.1:${port}`], logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 'garbage', numPartitions: 1 }] });
    await admin.disconnect();
    console.log(`produce garbage: requests of ${RECORDS_PER_REQUEST} keyed 100 B records to one partition, 16 in flight (${os.cpus().length} cores, load ${os.loadavg().map((l) => l.toFixed(1)).join(' ')})`);
    await rawKeyedProduce(port, 'garbage', 1, (REQUESTS_PER_ROUND * RECORDS_PER_REQUEST) / 4, RECORDS_PER_REQUEST, 16);
    for (let round = 1; round <= ROUNDS; round++) {
      const [s0, m0, c0] = [scavenges, compacts, processCpuMs(child.pid!)];
      const r = await rawKeyedProduce(port, 'garbage', 1, REQUESTS_PER_ROUND * RECORDS_PER_REQUEST, RECORDS_PER_REQUEST, 16);
      // trace lines may trail the last answer by a moment
      await new Promise((resolve) => setTimeout(resolve, 200));
      const kbPerRequest = ((scavenges - s0) * SEMI_SPACE_MB * 1024) / r.batches;
      const cpuUs = ((processCpuMs(child.pid!) - c0) * 1000) / r.batches;
      console.log(
        `  round ${round}: ${Math.round(r.batches / r.seconds)} requests/s, ${kbPerRequest.toFixed(2)} KB of young-generation garbage and ${cpuUs.toFixed(1)} µs of broker CPU per request, ${compacts - m0} mark-compacts`,
      );
    }
  } finally {
    child.kill('SIGKILL');
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
