import { expect } from 'chai';
import { rmSync } from 'node:fs';
import { decodeRecordBatches } from '../../protocol/records';
import { TxnStatus, encodeTxnKey, encodeTxnValue } from '../../src/txn/txnLogRecords';
import { TxnStateLog } from '../../src/txn/txnStateLog';
import { startTestBroker } from '../helpers/broker';
import { fetchRaw, fetchRequest, produceRaw } from '../helpers/dataPath';
import { RawClient } from '../helpers/rawClient';
import { tempDataDir } from '../helpers/tempDir';
import { addPartitions, produceTxn, describeTxn, idempotentBatch, initProducerId } from './helpers/wire';

describe('transaction coordinator recovery', function () {
  this.timeout(60_000);

  it('finishes a transaction that was preparing to commit when the broker stopped, and keeps the producer id of the transactional id', async () => {
    const dataDir = tempDataDir();
    try {
      const first = await startTestBroker({ dataDir, config: { 'num.partitions': '1' } });
      await first.services.metadata.createTopic('rec', { partitions: 1, configs: {} });
      let c = await RawClient.connect(first.port);
      const p = await initProducerId(c, 'rec-tx');
      await addPartitions(c, 'rec-tx', p.producerId, p.producerEpoch, 'rec', [0]);
      expect((await produceTxn(c, 'rec-tx', 'rec', 0, idempotentBatch(p.producerId, p.producerEpoch, 0, ['x', 'y'], true))).errorCode).to.equal(0);
      // the coordinator persisted PrepareCommit and stopped before writing any marker
      await new TxnStateLog(first.services).append([
        {
          key: encodeTxnKey('rec-tx'),
          value: encodeTxnValue({ producerId: p.producerId, producerEpoch: p.producerEpoch, timeoutMs: 60_000, status: TxnStatus.PrepareCommit, partitions: [{ topic: 'rec', partitions: [0] }], lastUpdateMs: Date.now(), startMs: Date.now() }),
        },
      ]);
      c.close();
      await first.close();

      const second = await startTestBroker({ dataDir });
      try {
        c = await RawClient.connect(second.port);
        expect((await describeTxn(c, 'rec-tx')).transactionState).to.equal('CompleteCommit');
        const res = await fetchRaw(c, fetchRequest([{ topic: 'rec', partition: 0, offset: 0 }], { isolationLevel: 1 }));
        const part = res.responses[0].partitions[0];
        const batches = decodeRecordBatches(part.records!);
        expect(batches.filter((b) => !b.isControl).flatMap((b) => b.records.map((r) => r.value!.toString()))).to.deep.equal(['x', 'y']);
        expect(batches[batches.length - 1].isControl).to.equal(true);
        expect(part.abortedTransactions).to.deep.equal([]);
        const again = await initProducerId(c, 'rec-tx');
        expect(again.producerId).to.equal(p.producerId);
        expect(again.producerEpoch).to.equal(p.producerEpoch + 1);
        c.close();
      } finally {
        await second.close();
      }
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
