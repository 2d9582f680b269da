import { expect } from 'chai';
import { Reader } from '../../protocol/codec/reader';
import { Writer } from '../../protocol/codec/writer';
import { decodeWriteShareGroupStateRequest, encodeWriteShareGroupStateRequest } from '../../protocol/generated/messages/WriteShareGroupStateRequest';
import { decodeReadShareGroupStateResponse, encodeReadShareGroupStateResponse } from '../../protocol/generated/messages/ReadShareGroupStateResponse';
import { RecordState, type PartitionSnapshot } from '../../src/share/partitionState';
import { fromStateBatches, toStateBatches } from '../../src/share/stateBatches';

const BACKOFF_END = 1_900_000_000_123;

const snapshot: PartitionSnapshot = {
  startOffset: 10,
  runs: [
    { first: 10, last: 12, state: RecordState.AVAILABLE, deliveryCount: 2, availableAt: BACKOFF_END, member: null, lockUntil: 0 },
    { first: 13, last: 15, state: RecordState.ACKNOWLEDGED, deliveryCount: 1, availableAt: 0, member: null, lockUntil: 0 },
    { first: 16, last: 16, state: RecordState.ACQUIRED, deliveryCount: 1, availableAt: 0, member: 'm1', lockUntil: BACKOFF_END },
  ],
};

/** The redelivery back-off end crosses Write/ReadShareGroupState in Brook's tagged field of the StateBatch. */
describe('share state batches on the wire', () => {
  it("a released record's back-off end survives WriteShareGroupState and ReadShareGroupState encoding", () => {
    const w = new Writer();
    encodeWriteShareGroupStateRequest(w, 0, { groupId: 'g', topics: [{ topicId: Buffer.alloc(16, 7), partitions: [{ partition: 0, stateEpoch: 1, leaderEpoch: 3, startOffset: 10n, stateBatches: toStateBatches(snapshot) }] }] });
    const req = decodeWriteShareGroupStateRequest(new Reader(w.toBuffer()), 0);
    const stored = fromStateBatches(10, req.topics[0]!.partitions[0]!.stateBatches)!;
    expect(stored.runs.map((r) => [r.first, r.last, r.state, r.deliveryCount, r.availableAt])).to.deep.equal([
      [10, 12, RecordState.AVAILABLE, 2, BACKOFF_END],
      [13, 15, RecordState.ACKNOWLEDGED, 1, 0],
      // A lock does not outlive its leader: acquired records are persisted available at once.
      [16, 16, RecordState.AVAILABLE, 1, 0],
    ]);

    const rw = new Writer();
    encodeReadShareGroupStateResponse(rw, 0, { results: [{ topicId: Buffer.alloc(16, 7), partitions: [{ partition: 0, errorCode: 0, errorMessage: null, stateEpoch: 1, startOffset: 10n, stateBatches: toStateBatches(stored) }] }] });
    const res = decodeReadShareGroupStateResponse(new Reader(rw.toBuffer()), 0);
    const loaded = fromStateBatches(10, res.results[0]!.partitions[0]!.stateBatches)!;
    expect(loaded.runs.find((r) => r.first === 10)!.availableAt).to.equal(BACKOFF_END);
  });

  it('batches without the tag (a Kafka peer) load as available at once', () => {
    const plain = toStateBatches(snapshot).map(({ _unknownTaggedFields: _omit, ...b }) => b);
    expect(fromStateBatches(10, plain)!.runs.every((r) => r.availableAt === 0)).to.equal(true);
  });
});
