/**
 * Transaction and idempotence figures (npx tsx bench/txn.ts), against an in-process broker on a temp dir:
 *   1. transactions per second from one producer: AddPartitionsToTxn + Produce of one 10-record batch + EndTxn(commit),
 *      sequential, as a transactional client must (every coordinator step is in __transaction_state before it is answered)
 *   2. produce throughput of an idempotent producer vs a plain one: pipelined Produce requests (WINDOW in flight),
 *      one batch of 100 x 100-byte records each, best of ROUNDS alternating rounds
 *   3. read_committed vs read_uncommitted scans of a ~25 MB partition in 1 MiB segments, 1 MiB fetches from offset 0:
 *      one partition without aborted transactions, one with an aborted transaction every SCAN_BATCHES/ABORTS batches
 *      (the aborted list comes from the .txnindex of the segments each fetch touches)
 * Env: TXNS (default 3000), BATCHES (default 10000), WINDOW (default 32), ROUNDS (default 3),
 *      SCAN_BATCHES (default 20000), ABORTS (default 400).
 */
import { ApiKey } from '../protocol/generated/apis';
import type { ProduceResponse } from '../protocol/generated/messages/ProduceResponse';
import { buildRecordBatch } from '../protocol/records';
import { startTestBroker } from '../test/helpers/broker';
import { PRODUCE_MAX, fetchRaw, fetchRequest } from '../test/helpers/dataPath';
import { RawClient } from '../test/helpers/rawClient';
import { addPartitions, produceTxn, endTxn, idempotentBatch, initProducerId } from '../test/txn/helpers/wire';

const TXNS = Number(process.env.TXNS ?? 3000);
const BATCHES = Number(process.env.BATCHES ?? 10_000);
const WINDOW = Number(process.env.WINDOW ?? 32);
const ROUNDS = Number(process.env.ROUNDS ?? 3);
const SCAN_BATCHES = Number(process.env.SCAN_BATCHES ?? 20_000);
const ABORTS = Number(process.env.ABORTS ?? 400);

async function benchTransactions(c: RawClient): Promise<void> {
  const { producerId: pid, producerEpoch: epoch } = await initProducerId(c, 'bench-tx');
  const values = Array.from({ length: 10 }, (_, i) => `message-${i}`.padEnd(100, '.'));
  let seq = 0;
  const run = async (n: number) => {
    for (let i = 0; i < n; i++) {
      const added = await addPartitions(c, 'bench-tx', pid, epoch, 'txn-bench', [0]);
      if (added[0] !== 0) throw new Error(`AddPartitionsToTxn failed: ${added[0]}`);
      const p = await produceTxn(c, 'bench-tx', 'txn-bench', 0, idempotentBatch(pid, epoch, seq, values, true));
      if (p.errorCode !== 0) throw new Error(`produce failed: ${p.errorCode}`);
      seq += 10;
      const e = await endTxn(c, 'bench-tx', pid, epoch, true);
      if (e !== 0) throw new Error(`EndTxn failed: ${e}`);
    }
  };
  await run(200); // warm-up
  const t0 = process.hrtime.bigint();
  await run(TXNS);
  const secs = Number(process.hrtime.bigint() - t0) / 1e9;
  console.log(`transactions: ${TXNS} x (10 records) in ${secs.toFixed(2)} s = ${Math.round(TXNS / secs)} txn/s (${((secs / TXNS) * 1e6).toFixed(0)} µs each)`);
}

/** Pipelined produce of `n` batches made by `make(i)`; returns records per second. */
async function pipelined(c: RawClient, topic: string, n: number, make: (i: number) => Buffer): Promise<number> {
  const frames = Array.from({ length: n }, (_, i) =>
    c.encode(ApiKey.Produce, PRODUCE_MAX, { transactionalId: null, acks: -1, timeoutMs: 5000, topicData: [{ name: topic, partitionData: [{ index: 0, records: make(i) }] }] }),
  );
  let sent = 0;
  const t0 = process.hrtime.bigint();
  while (sent < Math.min(WINDOW, n)) c.send(frames[sent++]);
  for (let got = 0; got < n; got++) {
    const res = c.decode<ProduceResponse>(ApiKey.Produce, PRODUCE_MAX, await c.nextFrame(30_000));
    const code = res.body.responses[0].partitionResponses[0].errorCode;
    if (code !== 0) throw new Error(`produce failed: ${code}`);
    if (sent < n) c.send(frames[sent++]);
  }
  const secs = Number(process.hrtime.bigint() - t0) / 1e9;
  return (n * 100) / secs;
}

async function benchIdempotence(c: RawClient): Promise<void> {
  const values = Array.from({ length: 100 }, (_, i) => `v${i}`.padEnd(100, '.'));
  const records = values.map((v) => ({ key: null, value: Buffer.from(v) }));
  const { producerId: pid } = await initProducerId(c);
  let seq = 0;
  const best = { plain: 0, idempotent: 0 };
  for (let r = 0; r < ROUNDS; r++) {
    // both kinds are built ahead as distinct buffers, so only the broker's work differs; the order alternates
    const plain = Array.from({ length: BATCHES }, () => buildRecordBatch({ records }));
    const base = seq;
    const idem = Array.from({ length: BATCHES }, (_, i) => idempotentBatch(pid, 0, base + i * 100, values));
    seq += BATCHES * 100;
    const runPlain = async () => (best.plain = Math.max(best.plain, await pipelined(c, 'plain-bench', BATCHES, (i) => plain[i])));
    const runIdem = async () => (best.idempotent = Math.max(best.idempotent, await pipelined(c, 'idem-bench', BATCHES, (i) => idem[i])));
    if (r % 2 === 0) {
      await runPlain();
      await runIdem();
    } else {
      await runIdem();
      await runPlain();
    }
  }
  const ratio = best.idempotent / best.plain;
  console.log(`plain produce:      ${Math.round(best.plain).toLocaleString()} records/s (best of ${ROUNDS}, ${BATCHES} batches x 100 x 100 B, ${WINDOW} in flight)`);
  console.log(`idempotent produce: ${Math.round(best.idempotent).toLocaleString()} records/s (${(ratio * 100).toFixed(1)}% of plain)`);
}

/** Fills `topic` with SCAN_BATCHES batches of 10 x 100 B records, with `aborts` aborted one-batch transactions spread in. */
async function fillForScan(c: RawClient, topic: string, aborts: number): Promise<void> {
  const values = Array.from({ length: 10 }, (_, i) => `r${i}`.padEnd(100, '.'));
  const plain = buildRecordBatch({ records: values.map((v) => ({ key: null, value: Buffer.from(v) })) });
  const txId = `scan-${topic}`;
  const { producerId: pid, producerEpoch: epoch } = await initProducerId(c, txId);
  const chunk = Math.ceil(SCAN_BATCHES / Math.max(aborts, 1));
  let txSeq = 0;
  for (let done = 0; done < SCAN_BATCHES; done += chunk) {
    await pipelined(c, topic, Math.min(chunk, SCAN_BATCHES - done), () => Buffer.from(plain));
    if (aborts > 0) {
      await addPartitions(c, txId, pid, epoch, topic, [0]);
      await produceTxn(c, txId, topic, 0, idempotentBatch(pid, epoch, txSeq, values, true));
      txSeq += 10;
      if ((await endTxn(c, txId, pid, epoch, false)) !== 0) throw new Error('abort failed');
    }
  }
}

/** Reads the whole partition from offset 0 in 1 MiB fetches; returns MB/s and the aborted transactions reported. */
async function scan(c: RawClient, topic: string, isolationLevel: number): Promise<{ mbps: number; fetches: number; aborted: number }> {
  let bytes = 0;
  let fetches = 0;
  const aborted = new Set<bigint>();
  const t0 = process.hrtime.bigint();
  for (let offset = 0; ; ) {
    const res = await fetchRaw(c, fetchRequest([{ topic, partition: 0, offset, maxBytes: 1 << 20 }], { isolationLevel, maxBytes: 1 << 20 }));
    fetches++;
    const p = res.responses[0].partitions[0];
    for (const a of p.abortedTransactions ?? []) aborted.add(a.firstOffset);
    const records = p.records as Buffer | null;
    if (!records || records.length === 0) break;
    bytes += records.length;
    let pos = 0;
    while (pos + 61 <= records.length) {
      offset = Number(records.readBigInt64BE(pos)) + records.readInt32BE(pos + 23) + 1;
      pos += 12 + records.readInt32BE(pos + 8);
    }
  }
  const secs = Number(process.hrtime.bigint() - t0) / 1e9;
  return { mbps: bytes / 1e6 / secs, fetches, aborted: aborted.size };
}

async function benchReadCommitted(broker: Awaited<ReturnType<typeof startTestBroker>>, c: RawClient): Promise<void> {
  for (const t of ['scan-clean', 'scan-aborts']) await broker.services.metadata.createTopic(t, { partitions: 1, configs: { 'segment.bytes': String(1 << 20) } });
  await fillForScan(c, 'scan-clean', 0);
  await fillForScan(c, 'scan-aborts', ABORTS);
  for (const topic of ['scan-clean', 'scan-aborts']) {
    const best = { 0: { mbps: 0, fetches: 0, aborted: 0 }, 1: { mbps: 0, fetches: 0, aborted: 0 } };
    for (let r = 0; r < ROUNDS; r++) {
      for (const iso of [0, 1] as const) {
        const res = await scan(c, topic, iso);
        if (res.mbps > best[iso].mbps) best[iso] = res;
      }
    }
    const line = (iso: 0 | 1) => `${best[iso].mbps.toFixed(0)} MB/s (${best[iso].fetches} fetches${iso === 1 ? `, ${best[iso].aborted} aborted txns reported` : ''})`;
    console.log(`scan ${topic.padEnd(11)}: read_uncommitted ${line(0)}, read_committed ${line(1)} (best of ${ROUNDS})`);
  }
}

async function main(): Promise<void> {
  const broker = await startTestBroker({ config: { 'num.partitions': '1', 'auto.create.topics.enable': 'true' } });
  try {
    const c = await RawClient.connect(broker.port);
    for (const t of ['txn-bench', 'plain-bench', 'idem-bench']) await broker.services.metadata.createTopic(t, { partitions: 1, configs: {} });
    await benchTransactions(c);
    await benchIdempotence(c);
    await benchReadCommitted(broker, c);
    c.close();
  } finally {
    await broker.destroy();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
