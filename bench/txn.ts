/**
 * Transaction and idempotence figures (npx tsx bench/txn.ts), against an in-process broker on a temp dir:
 *   1. transactions per second from one producer: AddPartitionsToTxn + Produce of one 10-record batch + EndTxn(commit),
 *      sequential, as a transactional client must (every coordinator step is in __transaction_state before it is answered)
 *   2. produce throughput of an idempotent producer vs a plain one: pipelined Produce requests (WINDOW in flight),
 *      one batch of 100 x 100-byte records each, best of ROUNDS alternating rounds
 * Env: TXNS (default 3000), BATCHES (default 10000), WINDOW (default 32), ROUNDS (default 3).
 */
import { ApiKey } from '../protocol/generated/apis';
import type { ProduceResponse } from '../protocol/generated/messages/ProduceResponse';
import { buildRecordBatch } from '../protocol/records';
import { startTestBroker } from '../test/helpers/broker';
import { PRODUCE_MAX } from '../test/helpers/dataPath';
import { RawClient } from '../test/helpers/rawClient';
import { addPartitions, produceTxn, endTxn, idempotentBatch, initProducerId } from '../test/txn/helpers/wire';

const TXNS = Number(process.env.TXNS ?? 3000);
const BATCHES = Number(process.env.BATCHES ?? 10_000);
const WINDOW = Number(process.env.WINDOW ?? 32);
const ROUNDS = Number(process.env.ROUNDS ?? 3);

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

async function main(): Promise<void> {
  const broker = await startTestBroker({ config: { 'num.partitions': '1', 'auto.create.topics.enable': 'true' } });
  try {
    const c = await RawClient.connect(broker.port);
    for (const t of ['txn-bench', 'plain-bench', 'idem-bench']) await broker.services.metadata.createTopic(t, { partitions: 1, configs: {} });
    await benchTransactions(c);
    await benchIdempotence(c);
    c.close();
  } finally {
    await broker.destroy();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
