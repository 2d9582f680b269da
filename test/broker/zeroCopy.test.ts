import { expect } from 'chai';
import { Reader } from '../../protocol/codec/reader';
import { ApiKey } from '../../protocol/generated/apis';
import { decodeProduceRequest } from '../../protocol/generated/messages/ProduceRequest';
import { lookupApi } from '../../src/handlers/registry';
import { FrameDecoder } from '../../src/server/frameDecoder';
import { peekHeader, readHeaderRest } from '../../src/server/requestHeader';
import { encodeResponseFrame } from '../../src/server/responseFrame';
import { batchOf } from '../helpers/dataPath';
import { encodeRequestFrame } from '../helpers/rawClient';

/** True when `part` is a view into `whole`'s memory (no copy was made). */
function sharesMemory(part: Buffer, whole: Buffer): boolean {
  return part.buffer === whole.buffer && part.byteOffset >= whole.byteOffset && part.byteOffset + part.length <= whole.byteOffset + whole.length;
}

describe('record batches are not copied on the data path', () => {
  it('Produce: the records handed to storage are a view of the socket chunk', () => {
    const records = batchOf([{ value: 'x'.repeat(10_000) }]);
    const frame = encodeRequestFrame(
      ApiKey.Produce,
      9,
      { transactionalId: null, acks: 1, timeoutMs: 1000, topicData: [{ name: 't', partitionData: [{ index: 0, records }] }] },
      1,
    );
    const chunk = Buffer.concat([frame]); // what a socket 'data' event would deliver
    const [body] = new FrameDecoder(1 << 20).push(chunk).frames;
    const r = new Reader(body);
    const h = peekHeader(r);
    readHeaderRest(r, lookupApi(h.apiKey)!.requestHeaderVersion(h.apiVersion));
    const req = decodeProduceRequest(r, h.apiVersion);
    const got = req.topicData[0].partitionData[0].records!;
    expect(got.equals(records)).to.equal(true);
    expect(sharesMemory(got, chunk)).to.equal(true);
  });

  it('Fetch: the storage read buffers are written to the socket as they are', () => {
    const fromDisk = [Buffer.alloc(64 * 1024, 1), Buffer.alloc(32 * 1024, 2)];
    const chunks = encodeResponseFrame(lookupApi(ApiKey.Fetch)!, 12, 77, {
      throttleTimeMs: 0,
      errorCode: 0,
      sessionId: 0,
      responses: [{ topic: 't', partitions: [{ partitionIndex: 0, highWatermark: 10n, records: fromDisk }] }],
    });
    expect(chunks).to.include(fromDisk[0]);
    expect(chunks).to.include(fromDisk[1]);
    const whole = Buffer.concat(chunks);
    expect(whole.readInt32BE(0)).to.equal(whole.length - 4);
    expect(whole.readInt32BE(4)).to.equal(77);
  });
});
