import { expect } from 'chai';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fetchRaw, fetchRequest, produceRaw } from '../helpers/dataPath';
import { RawClient } from '../helpers/rawClient';
import { seededRandom } from '../helpers/seededRandom';
import { tempDataDir } from '../helpers/tempDir';
import { startChildBroker, type ChildBroker } from './helpers/childBroker';
import { addPartitions, endTxn, idempotentBatch, initProducerId, produceTxn } from './helpers/wire';
import { eventually } from '../helpers/eventually';

const SEGMENT_BYTES = 8192;
const TOPIC = 'replay';

function name(offset: number, suffix: string): string {
  return `${String(offset).padStart(20, '0')}${suffix}`;
}

/** Every aborted transaction a read_committed consumer is told about, reading the partition from the start. */
async function abortedSeen(c: RawClient): Promise<number[]> {
  const seen = new Set<number>();
  for (let offset = 0; ; ) {
    const res = await fetchRaw(c, fetchRequest([{ topic: TOPIC, partition: 0, offset }], { isolationLevel: 1, maxBytes: 4096 }));
    const p = res.responses[0].partitions[0];
    for (const a of p.abortedTransactions ?? []) seen.add(Number(a.firstOffset));
    const records = p.records as Buffer | null;
    if (!records || records.length === 0) break;
    // next fetch starts after the last whole batch returned
    let pos = 0;
    let next = offset;
    while (pos + 61 <= records.length) {
      next = Number(records.readBigInt64BE(pos)) + records.readInt32BE(pos + 23) + 1;
      pos += 12 + records.readInt32BE(pos + 8);
    }
    if (next === offset) break;
    offset = next;
  }
  return [...seen].sort((a, b) => a - b);
}

describe('producer-state replay after kill -9 is bounded by the active segment', function () {
  this.timeout(120_000);

  for (const seed of [7, 2024]) {
    it(`seed ${seed}: a retried batch is deduplicated, aborts are all reported, and recovery read only the tail`, async () => {
      const dataDir = tempDataDir();
      const props = { 'num.partitions': '1', 'auto.create.topics.enable': 'true', 'log.segment.bytes': String(SEGMENT_BYTES) };
      const rnd = seededRandom(seed);
      const total = 100 + Math.floor(rnd() * 60);
      const pad = 'p'.repeat(250);
      let second: ChildBroker | null = null;
      try {
        const first = await startChildBroker(dataDir, props);
        let pid: bigint;
        let lastOffset = -1n;
        const aborted: number[] = [];
        try {
          const c = await RawClient.connect(first.port);
          pid = (await initProducerId(c)).producerId;
          const tx = await initProducerId(c, 'replay-tx');
          let txSeq = 0;
          for (let seq = 0; seq < total; seq++) {
            const res = await produceRaw(c, TOPIC, 0, idempotentBatch(pid, 0, seq, [`v${seq}-${pad}`]));
            expect(res.errorCode).to.equal(0);
            lastOffset = res.baseOffset;
            if (rnd() < 0.15) {
              expect(await addPartitions(c, 'replay-tx', tx.producerId, tx.producerEpoch, TOPIC, [0])).to.deep.equal([0]);
              const t = await produceTxn(c, 'replay-tx', TOPIC, 0, idempotentBatch(tx.producerId, tx.producerEpoch, txSeq++, [`t-${pad}`], true));
              expect(t.errorCode).to.equal(0);
              const abort = rnd() < 0.5;
              if (abort) aborted.push(Number(t.baseOffset));
              expect(await endTxn(c, 'replay-tx', tx.producerId, tx.producerEpoch, !abort)).to.equal(0);
            }
          }
          c.close();
          expect(aborted.length, 'the seed aborts some transactions').to.be.greaterThan(1);
          // the kill comes once the last roll's snapshot and the previous segment's finalization are on disk
          const dir = path.join(dataDir, `${TOPIC}-0`);
          const bases = () => fs.readdirSync(dir).filter((n) => n.endsWith('.log')).map((n) => Number(n.slice(0, 20))).sort((a, b) => a - b);
          expect(bases().length).to.be.greaterThan(3);
          const active = bases().at(-1)!;
          await eventually(() => fs.existsSync(path.join(dir, name(active, '.snapshot'))), 'the roll snapshot');
          await eventually(() => fs.existsSync(path.join(dir, 'recovery-point')) && Number(fs.readFileSync(path.join(dir, 'recovery-point'), 'utf8')) === active, 'the recovery point');
        } finally {
          await first.kill9();
        }
        const active = Math.max(...fs.readdirSync(path.join(dataDir, `${TOPIC}-0`)).filter((n) => n.endsWith('.log')).map((n) => Number(n.slice(0, 20))));

        second = await startChildBroker(dataDir, props);
        // rebuilt in the background right after start, before any client asks
        const started = second;
        await eventually(() => started.logs.some((l) => l.msg === 'producer state loaded' && l.topic === TOPIC), 'the producer state rebuild');
        const c = await RawClient.connect(second.port);
        try {
          // the last batch again, as a producer retrying after a lost answer: same offset, not written twice
          expect(await produceRaw(c, TOPIC, 0, idempotentBatch(pid, 0, total - 1, [`v${total - 1}-${pad}`]))).to.include({ errorCode: 0, baseOffset: lastOffset });
          const next = await produceRaw(c, TOPIC, 0, idempotentBatch(pid, 0, total, ['after']));
          expect(next.errorCode).to.equal(0);
          expect(await abortedSeen(c)).to.deep.equal(aborted);
        } finally {
          c.close();
        }
        const loaded = second.logs.filter((l) => l.msg === 'producer state loaded' && l.topic === TOPIC);
        expect(loaded).to.have.length(1);
        expect(loaded[0]).to.deep.include({ snapshotOffset: active, replayedFrom: active, rebuiltTxnIndexes: 1 });
        expect(loaded[0]!.replayedBytes as number).to.be.at.most(SEGMENT_BYTES);
      } finally {
        await second?.stop();
        fs.rmSync(dataDir, { recursive: true, force: true });
      }
    });
  }
});
