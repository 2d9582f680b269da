/**
 * Reassignment bench (issue 20): one partition holding --mb MiB moves between
 * two brokers, first [1] -> [2] without a throttle, then back [2] -> [1] with
 * leader/follower.replication.throttled.rate set on both brokers, while a
 * producer writes acks=all to another partition replicated on both
 * ([1,2], led by broker 1): one 1000-byte record per request, a new one every
 * 5 ms after the previous answer. Prints the time of each move, its copy
 * rate, and the producer's latency percentiles before and during each move.
 *
 *   npx tsx bench/reassign.ts [--mb 1024] [--throttle 20000000]
 *
 * Brokers are child processes (`brook start` through tsx) on one etcd
 * (Debian's etcd-server); data is loaded with pipelined acks=1 produces of
 * 1 MiB batches. On the shared 2-core machine the brokers, etcd and this
 * process share the cores, so the figures compare the two cases on one box.
 */
import { Kafka, logLevel, type Admin } from 'kafkajs';
import { ApiKey } from '../protocol/generated/apis';
import type { ProduceResponse } from '../protocol/generated/messages/ProduceResponse';
import { BrokerClient } from '../src/replication/brokerClient';
import { ProcessCluster } from '../test/cluster/helpers/processCluster';
import { buildBatch } from '../test/storage/helpers';

const arg = (name: string, dflt: number): number => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : dflt;
};
const MIB = 1024 * 1024;
const DATA_MIB = arg('mb', 1024);
const THROTTLE = arg('throttle', 20_000_000);

function percentiles(ms: number[]): string {
  if (ms.length === 0) return 'no samples';
  const s = [...ms].sort((a, b) => a - b);
  const at = (q: number) => s[Math.min(s.length - 1, Math.floor(q * s.length))]!.toFixed(1);
  return `p50 ${at(0.5)} / p99 ${at(0.99)} / max ${s[s.length - 1]!.toFixed(1)} ms (n=${s.length})`;
}

/** acks=1 produces of 1 MiB batches, 8 in flight, until `mib` MiB are in. */
async function load(port: number, topic: string, mib: number): Promise<number> {
  const batch = buildBatch(Array.from({ length: 1024 }, (_, i) => ({ value: Buffer.alloc(1000, i % 251) })), { baseTimestamp: Date.now() });
  const client = await BrokerClient.connect('127.0.0.1', port, 'bench-load');
  const started = Date.now();
  let sent = 0;
  const one = async (): Promise<void> => {
    while (sent < mib) {
      sent++;
      const res = await client.request<ProduceResponse>(ApiKey.Produce, 9, { transactionalId: null, acks: 1, timeoutMs: 30_000, topicData: [{ name: topic, partitionData: [{ index: 0, records: batch }] }] });
      const code = res.responses[0]!.partitionResponses[0]!.errorCode;
      if (code !== 0) throw new Error(`load produce failed with error ${code}`);
    }
  };
  await Promise.all(Array.from({ length: 8 }, one));
  client.close();
  return (Date.now() - started) / 1000;
}

/** The probe producer: acks=all, one record per request, a new one 5 ms after each answer; latencies by phase. */
class Probe {
  phase = 'idle';
  readonly samples = new Map<string, number[]>();
  private running = true;
  private loop: Promise<void> | null = null;

  async start(port: number, topic: string): Promise<void> {
    const client = await BrokerClient.connect('127.0.0.1', port, 'bench-probe');
    const record = buildBatch([{ value: Buffer.alloc(1000, 7) }]);
    this.loop = (async () => {
      while (this.running) {
        const t0 = process.hrtime.bigint();
        const res = await client.request<ProduceResponse>(ApiKey.Produce, 9, { transactionalId: null, acks: -1, timeoutMs: 30_000, topicData: [{ name: topic, partitionData: [{ index: 0, records: record }] }] });
        const ms = Number(process.hrtime.bigint() - t0) / 1e6;
        if (res.responses[0]!.partitionResponses[0]!.errorCode === 0) {
          const list = this.samples.get(this.phase) ?? [];
          list.push(ms);
          this.samples.set(this.phase, list);
        }
        await new Promise((r) => setTimeout(r, 5));
      }
      client.close();
    })();
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.loop;
  }
}

async function move(admin: Admin, topic: string, to: number[]): Promise<number> {
  const started = Date.now();
  await admin.alterPartitionReassignments({ topics: [{ topic, partitionAssignment: [{ partition: 0, replicas: to }] }] });
  for (;;) {
    const listed = await admin.listPartitionReassignments({ topics: [{ topic, partitions: [0] }] });
    if (listed.topics.length === 0) break;
    await new Promise((r) => setTimeout(r, 200));
  }
  return (Date.now() - started) / 1000;
}

async function setThrottle(admin: Admin, rate: number | null): Promise<void> {
  const configEntries = rate === null ? [] : ['leader.replication.throttled.rate', 'follower.replication.throttled.rate'].map((name) => ({ name, value: String(rate) }));
  await admin.alterConfigs({ validateOnly: false, resources: ['1', '2'].map((name) => ({ type: 4, name, configEntries })) });
}

async function main(): Promise<void> {
  const c = await ProcessCluster.start([1, 2], { 'replica.fetch.backoff.ms': '200', 'replica.fetch.wait.max.ms': '500', 'broker.session.timeout.ms': '6000' });
  const probe = new Probe();
  try {
    const admin = new Kafka({ brokers: c.bootstrap, logLevel: logLevel.NOTHING, clientId: 'bench-admin' }).admin();
    await admin.connect();
    await admin.createTopics({
      topics: [
        { topic: 'bulk', replicaAssignment: [{ partition: 0, replicas: [1] }], configEntries: [{ name: 'segment.bytes', value: String(256 * MIB) }] },
        { topic: 'live', replicaAssignment: [{ partition: 0, replicas: [1, 2] }] },
      ],
    });
    const port1 = c.brokers.get(1)!.port;
    const loadS = await load(port1, 'bulk', DATA_MIB);
    console.log(`loaded ${DATA_MIB} MiB into bulk-0 on broker 1 in ${loadS.toFixed(1)} s`);
    await probe.start(port1, 'live');
    probe.phase = 'no move';
    await new Promise((r) => setTimeout(r, 5000));

    probe.phase = 'move, no throttle';
    const freeS = await move(admin, 'bulk', [2]);
    probe.phase = 'between';
    await setThrottle(admin, THROTTLE);
    await new Promise((r) => setTimeout(r, 1000));
    probe.phase = `move, throttle ${THROTTLE / 1e6} MB/s`;
    const throttledS = await move(admin, 'bulk', [1]);
    probe.phase = 'after';
    await setThrottle(admin, null);
    await probe.stop();
    await admin.disconnect();

    const bytes = DATA_MIB * MIB;
    console.log(`\n${new Date().toISOString()}  data ${DATA_MIB} MiB, probe: acks=all 1000 B records to live-0 [1,2]`);
    console.log(`| case | move time | copy rate | probe produce latency |\n|---|---|---|---|`);
    console.log(`| no move | – | – | ${percentiles(probe.samples.get('no move') ?? [])} |`);
    console.log(`| [1] -> [2], no throttle | ${freeS.toFixed(1)} s | ${(bytes / 1e6 / freeS).toFixed(1)} MB/s | ${percentiles(probe.samples.get('move, no throttle') ?? [])} |`);
    const tp = `move, throttle ${THROTTLE / 1e6} MB/s`;
    console.log(`| [2] -> [1], throttle ${THROTTLE / 1e6} MB/s | ${throttledS.toFixed(1)} s | ${(bytes / 1e6 / throttledS).toFixed(1)} MB/s | ${percentiles(probe.samples.get(tp) ?? [])} |`);
  } finally {
    await probe.stop().catch(() => undefined);
    await c.stop();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
