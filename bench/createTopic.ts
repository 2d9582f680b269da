/**
 * Creating one topic of many partitions on one broker (issue 17: cost grows with the work done, not with what
 * exists). A broker from dist/ (bin/brook.js, its own Node flags) on a fresh data dir, a kafkajs admin
 * CreateTopics of N partitions: time until answered (every partition's directory and first segment created), and
 * the broker's CPU meanwhile.
 *
 *   npm run build && npx tsx bench/createTopic.ts [N ...]     (default 10000 100000)
 *
 * No target of its own. Creation time on ext4 also depends on how many files the file system freed in the last
 * minutes (bench/README.md, "Replicated partitions' high watermarks"): compare runs made back to back.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Kafka, logLevel } from 'kafkajs';
import { processCpuMs, startBrookDist } from './perfProduce';

async function run(partitions: number): Promise<string> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'brook-create-'));
  const { child, port } = await startBrookDist(dataDir, ['--set', `brook.max.partitions.per.topic=${Math.max(partitions, 1000)}`]);
  const admin = new Kafka({ clientId: 'bench-create', brokers: [`127.0.0.1:${port}`], logLevel: logLevel.NOTHING, requestTimeout: 600_000 }).admin();
  try {
    await admin.connect();
    const cpu0 = processCpuMs(child.pid!);
    const t0 = performance.now();
    await admin.createTopics({ topics: [{ topic: 'created', numPartitions: partitions }], timeout: 600_000 });
    const ms = performance.now() - t0;
    const cpuMs = processCpuMs(child.pid!) - cpu0;
    const dirs = fs.readdirSync(dataDir).filter((d) => d.startsWith('created-')).length;
    if (dirs !== partitions) throw new Error(`${dirs} partition directories for ${partitions} partitions`);
    return `${String(partitions).padStart(7)} partitions: created in ${(ms / 1000).toFixed(2)} s (${((ms * 1000) / partitions).toFixed(0)} µs a partition), broker CPU ${(cpuMs / 1000).toFixed(2)} s`;
  } finally {
    await admin.disconnect().catch(() => undefined);
    child.kill('SIGTERM');
    await new Promise((resolve) => child.once('exit', resolve));
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const counts = process.argv.slice(2).map(Number);
  console.log(`Brook: one topic of N partitions created on one broker (${os.cpus().length} cores, load average ${os.loadavg()[0]!.toFixed(2)}, ${new Date().toISOString()})`);
  for (const n of counts.length > 0 ? counts : [10_000, 100_000]) console.log(await run(n));
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
