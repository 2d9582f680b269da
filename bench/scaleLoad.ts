/**
 * The load parts of bench:scale (issue 17, item 5), run against one broker from dist/ by bench/scale.ts:
 * keyed produce over 10,000 partitions vs 3, idle connections (RSS and a produce's latency meanwhile), and
 * 1,000 consumer groups committing once a second (the broker's CPU). Produce load comes from the librdkafka
 * tool bench/rdkafka/perf.c (built into bench/out/perf; needs gcc and librdkafka-dev).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import { Kafka, logLevel } from 'kafkajs';
import { ApiKey } from '../protocol/generated/apis';
import type { OffsetCommitResponse } from '../protocol/generated/messages/OffsetCommitResponse';
import { buildPerf, runPerf, type PerfResult } from './perfProduce';
import { rawKeyedProduce, type RawProduceResult } from './rawKeyedProduce';

export type { PerfResult };
import { RawClient } from '../test/helpers/rawClient';


/** perf produce BOOTSTRAP TOPIC COUNT SIZE ACKS RATE [LINGER] ('-': librdkafka's default linger); keyed: PERF_KEYED=1 */
export function perfProduce(bootstrap: string, topic: string, count: number, acks: string, rate: number, linger: string, keyed: boolean): PerfResult {
  const args = ['produce', bootstrap, topic, String(count), '100', acks, String(rate)];
  if (linger !== '-') args.push(linger);
  return runPerf(args, keyed ? { PERF_KEYED: '1' } : {});
}

export function load(): string {
  return os
    .loadavg()
    .map((l) => l.toFixed(1))
    .join(' ');
}

function rssMb(pid: number): number {
  return Number(/VmRSS:\s+(\d+)/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? NaN) / 1024;
}

/** CPU seconds (user + system) the process used so far. */
function cpuSeconds(pid: number): number {
  const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

async function createTopic(bootstrap: string, topic: string, partitions: number): Promise<void> {
  const admin = new Kafka({ brokers: [bootstrap], logLevel: logLevel.NOTHING, requestTimeout: 600_000 }).admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic, numPartitions: partitions }], timeout: 600_000 });
  await admin.disconnect();
}

const mark = (ok: boolean): string => (ok ? 'met' : 'NOT met');

/** CPU seconds (user + system) of this process's finished children so far (perf runs are waited for). */
function childrenCpuSeconds(): number {
  const fields = fs.readFileSync('/proc/self/stat', 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[13]) + Number(fields[14])) / 100;
}

interface CostedRun extends PerfResult {
  /** CPU the load tool used for the run, seconds. */
  clientCpuS: number;
  /** Broker CPU per message, microseconds. */
  brokerUsPerMsg: number;
  /** The run, from spawning the tool to its exit. */
  seconds: number;
  /** The tool's own timed part (its threads' CPU figures cover this). */
  timedS: number;
}

function costedPerf(bootstrap: string, pid: number, topic: string, count: number): CostedRun {
  const b0 = cpuSeconds(pid);
  const c0 = childrenCpuSeconds();
  const t0 = performance.now();
  const r = perfProduce(bootstrap, topic, count, '1', 0, '-', true);
  const seconds = (performance.now() - t0) / 1000;
  return { ...r, seconds, timedS: r.seconds ?? seconds, clientCpuS: childrenCpuSeconds() - c0, brokerUsPerMsg: ((cpuSeconds(pid) - b0) * 1e6) / r.messages };
}

/** CPU per message of the load tool's busiest librdkafka broker thread, `many` over `few`. */
function threadRatio(few: CostedRun, many: CostedRun): string {
  if (!few.busiestBrokerThreadCpuS || !many.busiestBrokerThreadCpuS) return '?';
  return (many.busiestBrokerThreadCpuS / many.messages / (few.busiestBrokerThreadCpuS / few.messages)).toFixed(1);
}

/**
 * Keyed 100 B records (acks=1, librdkafka defaults) over 10,000 partitions and over 3, one after the other. Next to
 * each rate: the CPU the load tool and the broker used, which tells who limited it. librdkafka serves all partitions
 * led by one broker from that broker's one thread, which locks and visits every one of them on each pass;
 * over 10,000 partitions that thread's CPU per message is several times that over 3 and the thread nearly a core
 * busy, so the rate is capped by it however many cores there are (bench/README.md). The broker's CPU per message,
 * 10,000 over 3, is the broker's side of the ratio.
 */
export async function keyedThroughput(bootstrap: string, pid: number, count: number): Promise<string[]> {
  await createTopic(bootstrap, 'keyed-3', 3);
  await createTopic(bootstrap, 'keyed-10000', 10_000);
  // first pass opens every partition's log; the measured pass writes to open logs
  perfProduce(bootstrap, 'keyed-10000', 20_000, '1', 0, '-', true);
  const few = costedPerf(bootstrap, pid, 'keyed-3', count);
  const loadFew = load();
  const many = costedPerf(bootstrap, pid, 'keyed-10000', count);
  const ratio = many.msgsPerSec / few.msgsPerSec;
  const cost = (r: CostedRun): string =>
    `client CPU ${r.clientCpuS.toFixed(2)} s in ${r.seconds.toFixed(2)} s (its ${r.busiestBrokerThread ?? '?'} thread ${r.busiestBrokerThreadCpuS?.toFixed(2) ?? '?'} s, ` +
    `application thread ${r.mainThreadCpuS?.toFixed(2) ?? '?'} s in its timed ${r.timedS.toFixed(2)} s), broker CPU ${r.brokerUsPerMsg.toFixed(2)} µs per message`;
  return [
    `keyed 100 B produce, acks=1, 3 partitions:      ${Math.round(few.msgsPerSec)} msgs/s (${count} msgs, load ${loadFew}); ${cost(few)}`,
    `keyed 100 B produce, acks=1, 10,000 partitions: ${Math.round(many.msgsPerSec)} msgs/s (${count} msgs, load ${load()}); ${cost(many)}`,
    `  10,000 partitions = ${(ratio * 100).toFixed(0)}% of the rate over 3 (target >= 50%: ${mark(ratio >= 0.5)}); broker CPU per message ${(many.brokerUsPerMsg / few.brokerUsPerMsg).toFixed(1)}x that over 3, ` +
      `the client's ${many.busiestBrokerThread ?? '?'} thread's ${threadRatio(few, many)}x`,
  ];
}

/**
 * The same keys from pre-encoded requests (bench/rawKeyedProduce.ts): the broker is the limit, and its cost per
 * partition batch is what a request touching thousands of partitions pays. Run last: it leaves the broker's heap
 * grown, which the idle-connection RSS figure must not see.
 */
export async function rawKeyedThroughput(port: number, pid: number): Promise<string[]> {
  await untilQuiet(pid);
  const few = await costedRaw(port, pid, 'keyed-3', 3, 3_000_000);
  await untilQuiet(pid);
  const many = await costedRaw(port, pid, 'keyed-10000', 10_000, 600_000);
  const cost = (r: RawProduceResult & { brokerCpuS: number }): string =>
    `broker CPU ${((r.brokerCpuS * 1e6) / r.messages).toFixed(2)} µs per message, ${((r.brokerCpuS * 1e6) / r.batches).toFixed(1)} µs per partition batch (${(r.messages / r.batches).toFixed(1)} records each)`;
  return [
    `keyed, pre-encoded requests of 2,000 records (bench/rawKeyedProduce.ts), 3 partitions:      ${Math.round(few.msgsPerSec)} msgs/s (load ${load()}); ${cost(few)}`,
    `keyed, pre-encoded requests of 2,000 records (bench/rawKeyedProduce.ts), 10,000 partitions: ${Math.round(many.msgsPerSec)} msgs/s (load ${load()}); ${cost(many)}`,
  ];
}

async function costedRaw(port: number, pid: number, topic: string, partitions: number, messages: number): Promise<RawProduceResult & { brokerCpuS: number }> {
  const b0 = cpuSeconds(pid);
  const r = await rawKeyedProduce(port, topic, partitions, messages);
  return { ...r, brokerCpuS: cpuSeconds(pid) - b0 };
}

/**
 * Opens `n` connections that each finish an ApiVersions exchange and then stay idle; the broker's RSS
 * before and after gives the cost of one, and a paced produce (5,000 msgs/s, acks=1, linger.ms=0) runs
 * while they are open.
 */
export async function idleConnections(port: number, pid: number, n: number): Promise<string[]> {
  const bootstrap = `127.0.0.1:${port}`;
  await createTopic(bootstrap, 'idle-conn-latency', 3);
  const quiet = perfProduce(bootstrap, 'idle-conn-latency', 25_000, '1', 5000, '0', false);
  await new Promise((r) => setTimeout(r, 2000));
  const before = rssMb(pid);
  const clients: RawClient[] = [];
  try {
    for (let i = 0; i < n; i += 200) {
      const batch = await Promise.all(
        Array.from({ length: Math.min(200, n - i) }, async () => {
          const c = await RawClient.connect(port);
          await c.request(ApiKey.ApiVersions, 3, { clientSoftwareName: 'bench-idle', clientSoftwareVersion: '1' });
          return c;
        }),
      );
      clients.push(...batch);
    }
    await new Promise((r) => setTimeout(r, 2000));
    const after = rssMb(pid);
    const perConnKb = ((after - before) * 1024) / n;
    const busy = perfProduce(bootstrap, 'idle-conn-latency', 25_000, '1', 5000, '0', false);
    return [
      `${n} idle connections: broker RSS ${before.toFixed(0)} -> ${after.toFixed(0)} MB = ${perConnKb.toFixed(1)} KB per connection (target <= 10 KB: ${mark(perConnKb <= 10)}) (load ${load()})`,
      `produce 5k msgs/s, acks=1, linger.ms=0 with them open: p50 ${busy.p50Ms} ms, p99 ${busy.p99Ms} ms (without: p50 ${quiet.p50Ms} ms, p99 ${quiet.p99Ms} ms)`,
    ];
  } finally {
    for (const c of clients) c.close();
  }
}

/**
 * `groups` consumer groups each committing one offset once a second (OffsetCommit with generation -1, as a
 * consumer without group membership commits), for `seconds`: the broker's CPU use meanwhile, next to its
 * idle CPU use over the same time.
 */
/**
 * Polls the broker's CPU once a second until it used under 5 % of a core for 3 seconds in a row (at most `maxMs`),
 * so a row measuring the broker's CPU does not also measure the log checkpoint of an earlier row's writes (over
 * 10,000 freshly written partitions that took ~15 s at most of a core). Returns the seconds waited.
 */
export async function untilQuiet(pid: number, maxMs = 180_000): Promise<number> {
  const start = Date.now();
  let quiet = 0;
  while (quiet < 3 && Date.now() - start < maxMs) {
    const c0 = cpuSeconds(pid);
    await new Promise((r) => setTimeout(r, 1000));
    quiet = cpuSeconds(pid) - c0 < 0.05 ? quiet + 1 : 0;
  }
  return (Date.now() - start) / 1000;
}

export async function groupsCommitting(port: number, pid: number, groups: number, seconds: number): Promise<string[]> {
  await createTopic(`127.0.0.1:${port}`, 'commits', 1);
  const waited = await untilQuiet(pid);
  const idle0 = cpuSeconds(pid);
  await new Promise((r) => setTimeout(r, seconds * 1000));
  const idleCpu = (cpuSeconds(pid) - idle0) / seconds;
  const conns = await Promise.all(Array.from({ length: 10 }, () => RawClient.connect(port)));
  let correlation = 0;
  let errors = 0;
  try {
    const t0 = cpuSeconds(pid);
    const start = Date.now();
    for (let s = 0; s < seconds; s++) {
      const due = start + s * 1000;
      if (Date.now() < due) await new Promise((r) => setTimeout(r, due - Date.now()));
      await Promise.all(
        conns.map(async (c, ci) => {
          const ids: number[] = [];
          for (let g = ci; g < groups; g += conns.length) {
            const id = ++correlation;
            ids.push(id);
            c.send(
              c.encode(
                ApiKey.OffsetCommit,
                8,
                { groupId: `bench-group-${g}`, generationIdOrMemberEpoch: -1, memberId: '', topics: [{ name: 'commits', partitions: [{ partitionIndex: 0, committedOffset: BigInt(s), committedMetadata: null }] }] },
                id,
              ),
            );
          }
          for (const _ of ids) {
            const res = c.decode<OffsetCommitResponse>(ApiKey.OffsetCommit, 8, await c.nextFrame(60_000)).body;
            if (res.topics[0]!.partitions[0]!.errorCode !== 0) errors++;
          }
        }),
      );
    }
    const wall = (Date.now() - start) / 1000;
    const cpu = (cpuSeconds(pid) - t0) / wall;
    return [
      `${groups} groups committing once a second for ${seconds} s: broker CPU ${(cpu * 100).toFixed(0)}% of a core (idle broker: ${(idleCpu * 100).toFixed(0)}%, after ${waited.toFixed(0)} s waiting for it to be quiet), ${errors} commit errors (load ${load()})`,
    ];
  } finally {
    for (const c of conns) c.close();
  }
}

export { buildPerf };
