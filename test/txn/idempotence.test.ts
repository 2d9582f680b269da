import { expect } from 'chai';
import { existsSync, rmSync } from 'node:fs';
import * as path from 'node:path';
import { ErrorCode } from '../../protocol/errors';
import { ApiKey } from '../../protocol/generated/apis';
import type { ProduceResponse } from '../../protocol/generated/messages/ProduceResponse';
import { buildRecordBatch } from '../../protocol/records';
import { SNAPSHOT_SUFFIX } from '../../storage/producerSnapshots';
import { startTestBroker, type TestBroker } from '../helpers/broker';
import { PRODUCE_MAX, fetchRaw, fetchRequest, produceRaw, recordsOf } from '../helpers/dataPath';
import { RawClient } from '../helpers/rawClient';
import { tempDataDir } from '../helpers/tempDir';
import { idempotentBatch, initProducerId } from './helpers/wire';

async function values(c: RawClient, topic: string): Promise<string[]> {
  const res = await fetchRaw(c, fetchRequest([{ topic, partition: 0, offset: 0 }]));
  return recordsOf(res.responses[0].partitions[0].records).map((r) => r.value!);
}

describe('idempotent producer (wire)', function () {
  this.timeout(60_000);
  let broker: TestBroker;
  let c: RawClient;

  beforeEach(async () => {
    broker = await startTestBroker({ config: { 'auto.create.topics.enable': 'true', 'num.partitions': '1' } });
    c = await RawClient.connect(broker.port);
  });
  afterEach(async () => {
    c.close();
    await broker.destroy();
  });

  it('InitProducerId hands out distinct ids at epoch 0', async () => {
    const a = await initProducerId(c);
    const b = await initProducerId(c);
    expect(a.errorCode).to.equal(ErrorCode.NONE);
    expect(a.producerEpoch).to.equal(0);
    expect(b.producerId).to.not.equal(a.producerId);
  });

  it('answers a retried batch with its first offset and writes it once; refuses gaps and stale epochs', async () => {
    const { producerId: pid } = await initProducerId(c);
    await produceRaw(c, 'idem', 0, buildRecordBatch({ records: [{ key: null, value: Buffer.from('plain') }] }));
    const first = await produceRaw(c, 'idem', 0, idempotentBatch(pid, 0, 0, ['a', 'b']));
    expect(first.errorCode).to.equal(0);
    expect(first.baseOffset).to.equal(1n);
    const retry = await produceRaw(c, 'idem', 0, idempotentBatch(pid, 0, 0, ['a', 'b']));
    expect(retry).to.include({ errorCode: 0, baseOffset: 1n });
    const next = await produceRaw(c, 'idem', 0, idempotentBatch(pid, 0, 2, ['c']));
    expect(next).to.include({ errorCode: 0, baseOffset: 3n });
    const gap = await produceRaw(c, 'idem', 0, idempotentBatch(pid, 0, 5, ['x']));
    expect(gap.errorCode).to.equal(ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER);
    const bumped = await produceRaw(c, 'idem', 0, idempotentBatch(pid, 1, 0, ['d']));
    expect(bumped).to.include({ errorCode: 0, baseOffset: 4n });
    const stale = await produceRaw(c, 'idem', 0, idempotentBatch(pid, 0, 3, ['y']));
    expect(stale.errorCode).to.equal(ErrorCode.INVALID_PRODUCER_EPOCH);
    expect(await values(c, 'idem')).to.deep.equal(['plain', 'a', 'b', 'c', 'd']);
  });

  it('dedups pipelined retries of in-flight batches', async () => {
    const { producerId: pid } = await initProducerId(c);
    const version = PRODUCE_MAX;
    const frames = [0, 1, 2, 3, 4, 0, 1, 2, 3, 4].map((seq, i) =>
      c.encode(ApiKey.Produce, version, { transactionalId: null, acks: -1, timeoutMs: 5000, topicData: [{ name: 'pipe', partitionData: [{ index: 0, records: idempotentBatch(pid, 0, seq, [`m${seq}`]) }] }] }, 1000 + i),
    );
    // the topic must exist before the burst so all ten land in one partition queue
    await produceRaw(c, 'pipe', 0, buildRecordBatch({ records: [{ key: null, value: Buffer.from('first') }] }));
    c.send(Buffer.concat(frames));
    const offsets: bigint[] = [];
    for (let i = 0; i < frames.length; i++) {
      const res = c.decode<ProduceResponse>(ApiKey.Produce, version, await c.nextFrame());
      const p = res.body.responses[0].partitionResponses[0];
      expect(p.errorCode).to.equal(0);
      offsets.push(p.baseOffset);
    }
    expect(offsets).to.deep.equal([1n, 2n, 3n, 4n, 5n, 1n, 2n, 3n, 4n, 5n]);
    expect(await values(c, 'pipe')).to.deep.equal(['first', 'm0', 'm1', 'm2', 'm3', 'm4']);
  });
});

describe('idempotent producer across restarts', function () {
  this.timeout(60_000);

  it('keeps dedup state and never reuses producer ids after a clean restart', async () => {
    const dataDir = tempDataDir();
    try {
      const first = await startTestBroker({ dataDir, config: { 'auto.create.topics.enable': 'true', 'num.partitions': '1' } });
      let c = await RawClient.connect(first.port);
      const { producerId: pid } = await initProducerId(c);
      for (let seq = 0; seq < 3; seq++) expect((await produceRaw(c, 'keep', 0, idempotentBatch(pid, 0, seq, [`v${seq}`]))).errorCode).to.equal(0);
      c.close();
      await first.close();
      expect(existsSync(path.join(dataDir, 'keep-0', `${'3'.padStart(20, '0')}${SNAPSHOT_SUFFIX}`)), 'a snapshot named by the log end').to.equal(true);

      const second = await startTestBroker({ dataDir });
      try {
        c = await RawClient.connect(second.port);
        const later = await initProducerId(c);
        expect(later.producerId > pid).to.equal(true);
        expect(await produceRaw(c, 'keep', 0, idempotentBatch(pid, 0, 2, ['v2']))).to.include({ errorCode: 0, baseOffset: 2n });
        expect((await produceRaw(c, 'keep', 0, idempotentBatch(pid, 0, 4, ['gap']))).errorCode).to.equal(ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER);
        expect(await produceRaw(c, 'keep', 0, idempotentBatch(pid, 0, 3, ['v3']))).to.include({ errorCode: 0, baseOffset: 3n });
        expect(await values(c, 'keep')).to.deep.equal(['v0', 'v1', 'v2', 'v3']);
        c.close();
      } finally {
        await second.close();
      }
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
