import { expect } from 'chai';
import { rmSync } from 'node:fs';
import { ErrorCode } from '../../protocol/errors';
import { ApiKey } from '../../protocol/generated/apis';
import { startTestBroker } from '../helpers/broker';
import { RawClient } from '../helpers/rawClient';
import { tempDataDir } from '../helpers/tempDir';
import { addPartitions, describeTxn, endTxn, idempotentBatch, initProducerId, produceTxn } from './helpers/wire';
import { eventually } from '../helpers/eventually';

async function producersOf(c: RawClient, topic: string): Promise<bigint[]> {
  const res = await c.request<{ topics: Array<{ partitions: Array<{ errorCode: number; activeProducers: Array<{ producerId: bigint }> }> }> }>(ApiKey.DescribeProducers, 0, {
    topics: [{ name: topic, partitionIndexes: [0] }],
  });
  return res.topics[0].partitions[0].activeProducers.map((p) => p.producerId).sort();
}

describe('transactional.id.expiration.ms and producer.id.expiration.ms', function () {
  this.timeout(60_000);

  it('tombstones transactional ids idle past the expiration, never one with a transaction in progress, and the tombstone survives a restart', async () => {
    const dataDir = tempDataDir();
    try {
      // the timer never fires here: expiry is driven with an injected clock
      const first = await startTestBroker({ dataDir, config: { 'num.partitions': '1', 'transactional.id.expiration.ms': '60000' } });
      await first.services.metadata.createTopic('exp', { partitions: 1, configs: {} });
      let c = await RawClient.connect(first.port);
      const empty = await initProducerId(c, 'idle-empty');
      const done = await initProducerId(c, 'idle-committed');
      await addPartitions(c, 'idle-committed', done.producerId, done.producerEpoch, 'exp', [0]);
      expect(await endTxn(c, 'idle-committed', done.producerId, done.producerEpoch, true)).to.equal(0);
      const open = await initProducerId(c, 'busy');
      await addPartitions(c, 'busy', open.producerId, open.producerEpoch, 'exp', [0]);

      const coordinator = first.services.txn!.coordinator;
      expect(await coordinator.expireTransactionalIds(Date.now() + 30_000), 'nothing is idle long enough yet').to.equal(0);
      expect(await coordinator.expireTransactionalIds(Date.now() + 61_000)).to.equal(2);
      expect((await describeTxn(c, 'idle-empty')).errorCode).to.equal(ErrorCode.TRANSACTIONAL_ID_NOT_FOUND);
      expect((await describeTxn(c, 'idle-committed')).errorCode).to.equal(ErrorCode.TRANSACTIONAL_ID_NOT_FOUND);
      expect((await describeTxn(c, 'busy')).transactionState, 'an open transaction keeps its id').to.equal('Ongoing');
      c.close();
      await first.close();

      const second = await startTestBroker({ dataDir });
      try {
        c = await RawClient.connect(second.port);
        expect((await describeTxn(c, 'idle-empty')).errorCode, 'the tombstone was replayed').to.equal(ErrorCode.TRANSACTIONAL_ID_NOT_FOUND);
        expect((await describeTxn(c, 'busy')).transactionState).to.equal('Ongoing');
        // a returning client starts afresh with a new producer id
        const again = await initProducerId(c, 'idle-empty');
        expect(again.errorCode).to.equal(0);
        expect(again.producerId).to.not.equal(empty.producerId);
        expect(again.producerEpoch).to.equal(0);
        c.close();
      } finally {
        await second.close();
      }
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('expires transactional ids from the broker timer with a small configured value', async () => {
    const broker = await startTestBroker({ config: { 'transactional.id.expiration.ms': '100', 'transaction.remove.expired.transaction.cleanup.interval.ms': '20' } });
    const c = await RawClient.connect(broker.port);
    try {
      expect((await initProducerId(c, 'short-lived')).errorCode).to.equal(0);
      await eventually(async () => {
        const d = await describeTxn(c, 'short-lived');
        return d.errorCode === ErrorCode.TRANSACTIONAL_ID_NOT_FOUND && d;
      }, 'the id to expire', 10_000);
    } finally {
      c.close();
      await broker.destroy();
    }
  });

  it('drops idle producer ids from partition state, but not one whose transaction is open there', async () => {
    const broker = await startTestBroker({
      config: { 'num.partitions': '1', 'producer.id.expiration.ms': '300', 'producer.id.expiration.check.interval.ms': '20', 'transaction.abort.timed.out.transaction.cleanup.interval.ms': '60000' },
    });
    await broker.services.metadata.createTopic('pexp', { partitions: 1, configs: {} });
    const c = await RawClient.connect(broker.port);
    try {
      const idem = await initProducerId(c);
      const tx = await initProducerId(c, 'pexp-tx', 600_000);
      await addPartitions(c, 'pexp-tx', tx.producerId, tx.producerEpoch, 'pexp', [0]);
      expect((await produceTxn(c, 'pexp-tx', 'pexp', 0, idempotentBatch(tx.producerId, tx.producerEpoch, 0, ['t'], true))).errorCode).to.equal(0);
      for (let seq = 0; seq < 3; seq++) {
        expect((await produceTxn(c, null as unknown as string, 'pexp', 0, idempotentBatch(idem.producerId, idem.producerEpoch, seq, [`i${seq}`]))).errorCode).to.equal(0);
      }
      expect(await producersOf(c, 'pexp')).to.deep.equal([idem.producerId, tx.producerId].sort());
      const left = await eventually(async () => {
        const ps = await producersOf(c, 'pexp');
        return ps.length === 1 && ps;
      }, 'the idle producer to expire', 10_000);
      expect(left, 'the open transaction keeps its producer').to.deep.equal([tx.producerId]);
      // once forgotten, the producer's next batch is taken as a fresh start (no sequence to check against)
      expect((await produceTxn(c, null as unknown as string, 'pexp', 0, idempotentBatch(idem.producerId, idem.producerEpoch, 7, ['late']))).errorCode).to.equal(0);
      expect(await endTxn(c, 'pexp-tx', tx.producerId, tx.producerEpoch, true)).to.equal(0);
      await eventually(async () => {
        const ps = await producersOf(c, 'pexp');
        return !ps.includes(tx.producerId) && ps;
      }, 'the committed producer to expire too', 10_000);
    } finally {
      c.close();
      await broker.destroy();
    }
  });
});
