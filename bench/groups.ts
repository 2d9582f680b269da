/**
 * Consumer-group figures, printed in one run (npx tsx bench/groups.ts):
 *   1. offset commits per second from one client pipelining OffsetCommit requests on one connection
 *      (each request commits one partition; every commit is appended to __consumer_offsets before it is answered)
 *   2. join time of a 10-member kafkajs group: from the first connect until all ten hold their final assignment,
 *      with group.initial.rebalance.delay.ms = 0 and with Kafka's default 3000
 *   3. time from a member's death (SIGKILL of a confluent-kafka process, no LeaveGroup) to the survivors
 *      consuming its partitions, with a 3 s session timeout (the floor: the coordinator cannot tell a crash sooner)
 * Env: COMMITS (default 200000), WINDOW in-flight requests (default 1000).
 */
import * as net from 'node:net';
import { Kafka, logLevel } from 'kafkajs';
import { Writer } from '../protocol/codec/writer';
import { ApiKey, apiDescriptor } from '../protocol/generated/apis';
import { encodeRequestHeader } from '../protocol/generated/headers';
import { startTestBroker, type TestBroker } from '../test/helpers/broker';
import { ProcessMember } from '../test/groups/processMember';
import { eventually } from '../test/helpers/eventually';

const COMMITS = Number(process.env.COMMITS ?? 200_000);
const WINDOW = Number(process.env.WINDOW ?? 1000);

function commitFrame(correlationId: number, partition: number, offset: number): Buffer {
  const version = 8;
  const d = apiDescriptor(ApiKey.OffsetCommit)!;
  const w = new Writer(256);
  w.reserveFrameSize();
  encodeRequestHeader(w, d.requestHeaderVersion(version), {
    requestApiKey: ApiKey.OffsetCommit, requestApiVersion: version, correlationId, clientId: 'bench',
  });
  d.encodeRequest(w, version, {
    groupId: 'bench-commits', generationIdOrMemberEpoch: -1, memberId: '',
    topics: [{ name: 'bench-topic', partitions: [{ partitionIndex: partition, committedOffset: BigInt(offset), committedMetadata: null }] }],
  });
  w.setFrameSize();
  return w.toBuffer();
}

async function benchCommits(broker: TestBroker): Promise<void> {
  const socket = net.connect(broker.port, '127.0.0.1');
  await new Promise<void>((r) => socket.once('connect', () => r()));
  socket.setNoDelay(true);
  // Pre-encode so the figure is the broker's, not the client's encoder.
  const frames = Array.from({ length: COMMITS }, (_, i) => commitFrame(i + 1, i % 16, i));
  let answered = 0;
  let sent = 0;
  let pending: Buffer = Buffer.alloc(0);
  let done!: () => void;
  const finished = new Promise<void>((r) => (done = r));
  const pump = () => {
    const parts: Buffer[] = [];
    while (sent < COMMITS && sent - answered < WINDOW) parts.push(frames[sent++]);
    if (parts.length) socket.write(Buffer.concat(parts));
  };
  socket.on('data', (chunk: Buffer) => {
    pending = pending.length ? Buffer.concat([pending, chunk]) : chunk;
    let pos = 0;
    while (pending.length - pos >= 4) {
      const size = pending.readInt32BE(pos);
      if (pending.length - pos < 4 + size) break;
      pos += 4 + size;
      answered++;
    }
    pending = pending.subarray(pos);
    if (answered === COMMITS) done();
    else pump();
  });
  const t0 = process.hrtime.bigint();
  pump();
  await finished;
  const secs = Number(process.hrtime.bigint() - t0) / 1e9;
  socket.destroy();
  const g = (broker.services.groups as import('../src/groups/coordinator').GroupCoordinator).fetchOffsets('bench-commits', null);
  const last = g.topics[0].partitions.reduce((m, p) => Math.max(m, p.offset), 0);
  console.log(`offset commits: ${COMMITS} in ${secs.toFixed(2)} s = ${Math.round(COMMITS / secs).toLocaleString('en')} commits/s ` +
    `(one connection, ${WINDOW} in flight; last committed offset ${last})`);
}

async function benchJoin(delayMs: number): Promise<void> {
  const broker = await startTestBroker({ config: { 'num.partitions': '10', 'group.initial.rebalance.delay.ms': String(delayMs) } });
  try {
    const kafka = new Kafka({ brokers: [broker.bootstrap], clientId: 'bench', logLevel: logLevel.NOTHING });
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({ topic: 'join-topic', messages: [{ value: 'x' }] });
    await producer.disconnect();
    const held = new Map<number, number[]>();
    const consumers = Array.from({ length: 10 }, (_, i) => {
      const c = kafka.consumer({ groupId: `join-${delayMs}`, sessionTimeout: 10_000, heartbeatInterval: 500 });
      c.on(c.events.GROUP_JOIN, (e) => held.set(i, e.payload.memberAssignment['join-topic'] ?? []));
      return c;
    });
    const t0 = Date.now();
    await Promise.all(consumers.map(async (c) => {
      await c.connect();
      await c.subscribe({ topic: 'join-topic', fromBeginning: true });
      await c.run({ eachMessage: async () => undefined });
    }));
    await eventually(() =>
      held.size === 10 && [...held.values()].every((p) => p.length === 1) && new Set([...held.values()].flat()).size === 10, 'ten members with one partition each', 60_000);
    const ms = Date.now() - t0;
    const coord = broker.services.groups as import('../src/groups/coordinator').GroupCoordinator;
    const generation = coord.describeGroup(`join-${delayMs}`);
    console.log(`10-member join (kafkajs, group.initial.rebalance.delay.ms=${delayMs}): ${ms} ms to all ten assigned, ` +
      `state ${generation.state}`);
    await Promise.all(consumers.map((c) => c.disconnect()));
  } finally {
    await broker.destroy();
  }
}

async function benchTakeover(): Promise<void> {
  const sessionMs = 3000;
  const broker = await startTestBroker({
    config: { 'num.partitions': '6', 'group.initial.rebalance.delay.ms': '500', 'group.min.session.timeout.ms': '1000' },
  });
  const members: ProcessMember[] = [];
  try {
    const kafka = new Kafka({ brokers: [broker.bootstrap], clientId: 'bench', logLevel: logLevel.NOTHING });
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({ topic: 'takeover', messages: [{ value: 'x' }] });
    for (let i = 0; i < 3; i++) members.push(new ProcessMember(broker.bootstrap, 'takeover', 'takeover-group', sessionMs));
    await eventually(() => members.every((m) => m.assignment.length === 2), 'a 2/2/2 split', 60_000);
    const victim = members[2];
    const orphaned = victim.assignment;
    const survivors = members.slice(0, 2);
    const seenBefore = survivors.map((m) => m.messages.length);
    let stop = false;
    // Keep data flowing into the orphaned partitions so "consuming" is observable the moment it happens.
    const feeding = (async () => {
      let n = 0;
      while (!stop) {
        await producer.send({ topic: 'takeover', messages: orphaned.map((p) => ({ partition: p, value: `o-${n++}` })) });
        await new Promise((r) => setTimeout(r, 20));
      }
    })();
    const killedAt = Date.now();
    await victim.kill();
    await eventually(() =>
      survivors.some((m, i) => m.messages.slice(seenBefore[i]).some((e) => orphaned.includes(e.p!))), 'a survivor consuming an orphaned partition', 60_000);
    const ms = Date.now() - killedAt;
    stop = true;
    await feeding;
    await producer.disconnect();
    console.log(`member death to takeover (confluent-kafka, session.timeout.ms=${sessionMs}): ${ms} ms ` +
      `(${ms - sessionMs} ms beyond the session timeout: rebalance + first fetch)`);
  } finally {
    await Promise.all(members.map((m) => m.kill().catch(() => undefined)));
    await broker.destroy();
  }
}

async function main(): Promise<void> {
  const broker = await startTestBroker();
  try {
    await broker.services.metadata.ensureTopic('bench-topic', { partitions: 16 });
    await benchCommits(broker);
  } finally {
    await broker.destroy();
  }
  await benchJoin(0);
  await benchJoin(3000);
  await benchTakeover();
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
