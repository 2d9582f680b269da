/**
 * REST proxy produce throughput: 1 KiB JSON records in requests of 100
 * (records:batch, and the streamed form of the same 100 records), over
 * HTTP Basic as a PLAIN user, keep-alive connections with several requests in flight,
 * against a broker with acks=all writes to a 3-partition topic. The broker
 * runs in this process; the load comes from a worker thread with its own
 * event loop. Target (issue 18): >= 20,000 records/s on the 2-core machine.
 *
 *   npx tsx bench/restProduce.ts [--seconds 10] [--inflight 8]
 */
import * as os from 'node:os';
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import * as http from 'node:http';
import { rmSync } from 'node:fs';
import { startBroker } from '../src/broker';
import { createLogger } from '../src/log';
import { tempDataDir } from '../test/helpers/tempDir';

const TARGET = 20_000;
const BATCH = 100;

interface Job {
  port: number;
  cluster: string;
  mode: 'batch' | 'stream';
  seconds: number;
  inflight: number;
}

function arg(name: string, dflt: number): number {
  const i = process.argv.indexOf(name);
  return i >= 0 ? Number(process.argv[i + 1]) : dflt;
}

async function loadWorker(job: Job): Promise<{ records: number; seconds: number; failures: number }> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: job.inflight });
  const auth = `Basic ${Buffer.from('bench:bench-secret').toString('base64')}`;
  const filler = 'x'.repeat(1024 - 40);
  const records = Array.from({ length: BATCH }, (_, i) => ({ value: { type: 'JSON', data: { seq: i, payload: filler } } }));
  const body =
    job.mode === 'batch'
      ? JSON.stringify({ entries: records.map((r, i) => ({ id: String(i), ...r })) })
      : records.map((r) => JSON.stringify(r)).join('\n');
  const path = `/v3/clusters/${job.cluster}/topics/bench/records${job.mode === 'batch' ? ':batch' : ''}`;
  const send = () =>
    new Promise<boolean>((resolve) => {
      const req = http.request({ host: '127.0.0.1', port: job.port, method: 'POST', path, agent, headers: { authorization: auth, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString();
          resolve((res.statusCode === 207 && text.includes('"failures":[]')) || (res.statusCode === 200 && !/"error_code":(?!200)/.test(text)));
        });
      });
      req.on('error', () => resolve(false));
      req.end(body);
    });
  // warm-up
  for (let i = 0; i < 20; i++) await send();
  let done = 0;
  let failures = 0;
  const t0 = performance.now();
  const deadline = t0 + job.seconds * 1000;
  await Promise.all(
    Array.from({ length: job.inflight }, async () => {
      while (performance.now() < deadline) {
        if (await send()) done += BATCH;
        else failures++;
      }
    }),
  );
  agent.destroy();
  return { records: done, seconds: (performance.now() - t0) / 1000, failures };
}

async function main(): Promise<void> {
  const seconds = arg('--seconds', 10);
  const inflight = arg('--inflight', 8);
  const dataDir = tempDataDir();
  const broker = await startBroker({
    host: '127.0.0.1',
    port: 0,
    dataDir,
    logger: createLogger('silent'),
    metricsPort: 0,
    config: {
      listeners: 'SASL_PLAINTEXT://127.0.0.1:0',
      'listener.name.sasl_plaintext.plain.sasl.jaas.config': 'org.apache.kafka.common.security.plain.PlainLoginModule required user_bench="bench-secret";',
      'brook.http.rate.limit.per.sec': '0',
    },
  });
  const port = broker.httpPort!;
  const auth = { authorization: `Basic ${Buffer.from('bench:bench-secret').toString('base64')}`, 'content-type': 'application/json' };
  const cluster = ((await (await fetch(`http://127.0.0.1:${port}/v3/clusters`, { headers: auth })).json()) as { data: Array<{ cluster_id: string }> }).data[0]!.cluster_id;
  await fetch(`http://127.0.0.1:${port}/v3/clusters/${cluster}/topics`, { method: 'POST', headers: auth, body: JSON.stringify({ topic_name: 'bench', partitions_count: 3 }) });
  console.log(`REST produce, 1 KiB JSON records, ${BATCH} per request, ${inflight} in flight, ${seconds}s per row, acks=all; load average ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  for (const mode of (process.argv.includes('--batch-only') ? ['batch'] : ['stream', 'batch']) as Array<'batch' | 'stream'>) {
    const job: Job = { port, cluster, mode, seconds, inflight };
    const result = await new Promise<{ records: number; seconds: number; failures: number }>((resolve, reject) => {
      const w = new Worker(`require('tsx/cjs/api').register(); require(${JSON.stringify(__filename)});`, { eval: true, workerData: job });
      w.once('message', resolve);
      w.once('error', reject);
    });
    const rate = result.records / result.seconds;
    const name = mode === 'batch' ? 'records:batch' : 'records (streamed)';
    console.log(`${name.padEnd(20)} ${Math.round(rate).toLocaleString('en-US').padStart(9)} records/s  ${(rate / 1024).toFixed(1).padStart(6)} MiB/s  failed requests ${result.failures}  target >= ${TARGET.toLocaleString('en-US')}: ${rate >= TARGET ? 'met' : 'NOT met'}`);
  }
  await broker.close();
  rmSync(dataDir, { recursive: true, force: true });
}

if (isMainThread) {
  main().catch((err) => {
    console.error(err);
    process.exit(1);
  });
} else {
  loadWorker(workerData as Job).then((r) => parentPort!.postMessage(r));
}
