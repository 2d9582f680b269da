import { expect } from 'chai';
import { Producer, stringSerializers } from '@platformatic/kafka';
import { ErrorCode } from '../../protocol/errors';
import { ApiKey } from '../../protocol/generated/apis';
import type { ApiVersionsResponse } from '../../protocol/generated/messages/ApiVersionsResponse';
import { decodeRecordBatches } from '../../protocol/records';
import { startTestBroker, type TestBroker } from '../helpers/broker';
import { fetchRaw, fetchRequest } from '../helpers/dataPath';
import { RawClient } from '../helpers/rawClient';
import { addPartitions, idempotentBatch, initProducerId, produceTxn } from './helpers/wire';

interface BatchedResult {
  errorCode: number;
  resultsByTransaction: Array<{ transactionalId: string; topicResults: Array<{ name: string; resultsByPartition: Array<{ partitionIndex: number; partitionErrorCode: number }> }> }>;
}

type Txn = { transactionalId: string; producerId: bigint; producerEpoch: number; verifyOnly: boolean; topics: Array<{ name: string; partitions: number[] }> };

async function batched(c: RawClient, version: number, transactions: Txn[]): Promise<Record<string, Record<string, number>>> {
  const res = await c.request<BatchedResult>(ApiKey.AddPartitionsToTxn, version, { transactions });
  expect(res.errorCode).to.equal(0);
  const out: Record<string, Record<string, number>> = {};
  for (const t of res.resultsByTransaction) {
    out[t.transactionalId] = {};
    for (const topic of t.topicResults) for (const p of topic.resultsByPartition) out[t.transactionalId]![`${topic.name}-${p.partitionIndex}`] = p.partitionErrorCode;
  }
  return out;
}

describe('AddPartitionsToTxn v4+ (batched, verify_only)', function () {
  this.timeout(60_000);
  let broker: TestBroker;
  let c: RawClient;

  beforeEach(async () => {
    broker = await startTestBroker({ config: { 'num.partitions': '2' } });
    await broker.services.metadata.createTopic('bt', { partitions: 2, configs: {} });
    c = await RawClient.connect(broker.port);
  });
  afterEach(async () => {
    c.close();
    await broker.destroy();
  });

  it('advertises every version of the spec', async () => {
    const res = await c.request<ApiVersionsResponse>(ApiKey.ApiVersions, 3, { clientSoftwareName: 't', clientSoftwareVersion: '1' });
    const api = res.apiKeys.find((k) => k.apiKey === ApiKey.AddPartitionsToTxn)!;
    expect([api.minVersion, api.maxVersion]).to.deep.equal([0, 5]);
  });

  for (const version of [4, 5]) {
    it(`v${version}: adds partitions of several transactions at once, and verify_only reports membership without adding`, async () => {
      const a = await initProducerId(c, 'batch-a');
      const b = await initProducerId(c, 'batch-b');
      const added = await batched(c, version, [
        { transactionalId: 'batch-a', producerId: a.producerId, producerEpoch: a.producerEpoch, verifyOnly: false, topics: [{ name: 'bt', partitions: [0] }] },
        { transactionalId: 'batch-b', producerId: b.producerId, producerEpoch: b.producerEpoch, verifyOnly: false, topics: [{ name: 'bt', partitions: [1] }] },
      ]);
      expect(added).to.deep.equal({ 'batch-a': { 'bt-0': 0 }, 'batch-b': { 'bt-1': 0 } });

      const verified = await batched(c, version, [
        { transactionalId: 'batch-a', producerId: a.producerId, producerEpoch: a.producerEpoch, verifyOnly: true, topics: [{ name: 'bt', partitions: [0, 1] }] },
        // a stale epoch is fenced, whatever the partitions
        { transactionalId: 'batch-b', producerId: b.producerId, producerEpoch: b.producerEpoch - 1, verifyOnly: true, topics: [{ name: 'bt', partitions: [1] }] },
      ]);
      expect(verified).to.deep.equal({
        'batch-a': { 'bt-0': ErrorCode.NONE, 'bt-1': ErrorCode.INVALID_TXN_STATE },
        'batch-b': { 'bt-1': ErrorCode.PRODUCER_FENCED },
      });

      // verify_only added nothing: a transactional produce to bt-1 by batch-a is still refused
      expect((await produceTxn(c, 'batch-a', 'bt', 1, idempotentBatch(a.producerId, a.producerEpoch, 0, ['x'], true))).errorCode).to.equal(ErrorCode.INVALID_TXN_STATE);
      expect((await produceTxn(c, 'batch-a', 'bt', 0, idempotentBatch(a.producerId, a.producerEpoch, 0, ['y'], true))).errorCode).to.equal(0);

      const unknown = await batched(c, version, [
        { transactionalId: 'nobody', producerId: 77n, producerEpoch: 0, verifyOnly: true, topics: [{ name: 'bt', partitions: [0] }] },
      ]);
      expect(unknown).to.deep.equal({ nobody: { 'bt-0': ErrorCode.INVALID_PRODUCER_ID_MAPPING } });
    });
  }

  it('v3 still answers in the per-topic form', async () => {
    const p = await initProducerId(c, 'old-form');
    expect(await addPartitions(c, 'old-form', p.producerId, p.producerEpoch, 'bt', [0, 1])).to.deep.equal([0, 0]);
  });

  it('@platformatic/kafka (which picks the highest offered version, v5 here) commits and aborts transactions', async () => {
    const producer = new Producer({ clientId: 'tx', bootstrapBrokers: [broker.bootstrap], serializers: stringSerializers, idempotent: true, transactionalId: 'plat-tx', autocreateTopics: false });
    try {
      const t1 = await producer.beginTransaction();
      await t1.send({ messages: [{ topic: 'bt', key: 'k', value: 'aborted', partition: 0 }] });
      await t1.abort();
      const t2 = await producer.beginTransaction();
      await t2.send({ messages: [{ topic: 'bt', key: 'k', value: 'committed', partition: 0 }] });
      await t2.commit();
    } finally {
      await producer.close();
    }
    const res = await fetchRaw(c, fetchRequest([{ topic: 'bt', partition: 0, offset: 0 }], { isolationLevel: 1 }));
    const part = res.responses[0].partitions[0];
    const batches = decodeRecordBatches(part.records!);
    const data = batches.filter((x) => !x.isControl);
    expect(data.map((x) => x.records[0]!.value!.toString())).to.deep.equal(['aborted', 'committed']);
    // the consumer skips the first using the aborted list
    expect(part.abortedTransactions).to.have.length(1);
    expect(part.abortedTransactions![0]!.firstOffset).to.equal(data[0]!.baseOffset);
  });
});
