import { expect } from 'chai';
import { buildControlBatch, buildRecordBatch } from '../../protocol/records';
import { OFFSETS_TOPIC, decodeOffsetCommitValue, encodeOffsetCommitKey, encodeOffsetCommitValue } from '../../src/groups/offsetsTopicRecords';
import { replayOffsetsLog, type PendingTxnRecords } from '../../src/groups/replayOffsetsLog';
import type { GroupLogRecord } from '../../src/groups/stateLog';
import { LogManager } from '../../storage';
import { tempDataDir } from '../helpers/tempDir';

const record = (group: string, partition: number, offset: number): GroupLogRecord => ({
  key: encodeOffsetCommitKey(group, 'in', partition),
  value: encodeOffsetCommitValue({ offset, leaderEpoch: -1, metadata: '', commitTimestamp: 1, expireTimestamp: -1 }),
});
const txnBatch = (pid: bigint, recs: GroupLogRecord[]) =>
  buildRecordBatch({ records: recs.map((r) => ({ key: r.key, value: r.value })), producerId: pid, producerEpoch: 0, transactional: true });
const plainBatch = (recs: GroupLogRecord[]) => buildRecordBatch({ records: recs.map((r) => ({ key: r.key, value: r.value })) });
const commitMarker = (pid: bigint) => buildControlBatch({ producerId: pid, producerEpoch: 0, commit: true, coordinatorEpoch: 0, timestamp: 1n });

describe('replayOffsetsLog ordering rule (a plain commit between a transactional offset and its marker wins)', () => {
  it('applies a transactional offset at its commit only when no plain record of the key came after it', async () => {
    const logs = new LogManager({ dataDir: tempDataDir('brook-replay-order-'), schedulerIntervalMs: 0 });
    try {
      await logs.open();
      const log = await logs.create(OFFSETS_TOPIC, 0, { cleanupPolicy: 'compact' });
      await log.append(plainBatch([record('g', 0, 5), record('g', 1, 5)]));
      await log.append(txnBatch(7n, [record('g', 0, 42), record('g', 1, 42)]));
      await log.append(plainBatch([record('g', 0, 6)])); // after the staging: wins for partition 0 only
      await log.append(txnBatch(8n, [record('g', 2, 70)]));
      await log.append(plainBatch([record('g', 2, 9)])); // supersedes producer 8's only offset, whose marker has not come
      await log.append(commitMarker(7n));
      const pending: PendingTxnRecords = new Map();
      const seen: string[] = [];
      for await (const r of replayOffsetsLog(log, pending)) seen.push(`${r.key.readInt32BE(r.key.length - 4)}:${decodeOffsetCommitValue(r.value!).offset}`);
      expect(seen).to.deep.equal(['0:5', '1:5', '0:6', '2:9', '1:42']);
      expect(pending.size).to.equal(0);
    } finally {
      await logs.close();
    }
  });
});
