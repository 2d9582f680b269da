import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createInterface } from 'node:readline';
import { Kafka, logLevel } from 'kafkajs';
import { startBrookDist } from './perfProduce';
import { rawKeyedProduce } from './rawKeyedProduce';

const N = Number(process.env.N ?? 100000);
async function main() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'brook-term-'));
  const { child, port } = await startBrookDist(dir, ['--set', 'brook.max.partitions.per.topic=200000']);
  const t0 = Date.now();
  const out = fs.createWriteStream('/tmp/term2.broker.log');
  createInterface({ input: child.stdout! }).on('line', (l) => out.write(`+${((Date.now() - t0) / 1000).toFixed(1)} ${l}\n`));
  const admin = new Kafka({ brokers: [`127.0.0.1:${port}`], logLevel: logLevel.NOTHING, requestTimeout: 600_000 }).admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic: 't', numPartitions: N }], timeout: 600_000 });
  await admin.disconnect();
  await rawKeyedProduce(port, 't', N, N * 3);
  await new Promise((r) => setTimeout(r, Number(process.env.DELAY ?? 35000)));
  console.log('removing data dir and SIGTERM at', ((Date.now() - t0) / 1000).toFixed(1));
  child.kill('SIGTERM');
  for (let i = 0; i < 20; i++) {
    try { fs.rmSync(dir, { recursive: true, force: true }); break; } catch (e) { console.log('rm', String(e).slice(0, 80)); }
  }
  const t1 = Date.now();
  const exited = await Promise.race([new Promise((r) => child.once('exit', (c, s) => r(`exit ${c} ${s}`))), new Promise((r) => setTimeout(() => r('still running'), 180_000))]);
  console.log(exited, 'after', ((Date.now() - t1) / 1000).toFixed(1), 's');
  if (exited === 'still running') { console.log('pid', child.pid); }
}
void main();
