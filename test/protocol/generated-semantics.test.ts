import { expect } from 'chai';
import { Reader } from '../../protocol/codec/reader';
import { Writer } from '../../protocol/codec/writer';
import { ApiKey, API_DESCRIPTORS, apiDescriptor } from '../../protocol/generated/apis';
import {
  decodeRequestHeader,
  decodeResponseHeader,
  encodeRequestHeader,
  encodeResponseHeader,
  readRequestHeader,
} from '../../protocol/generated/headers';
import { decodeProduceRequest, encodeProduceRequest } from '../../protocol/generated/messages/ProduceRequest';
import { decodeFetchRequest, encodeFetchRequest } from '../../protocol/generated/messages/FetchRequest';
import { decodeFetchResponse, encodeFetchResponse } from '../../protocol/generated/messages/FetchResponse';
import { decodeMetadataRequest, encodeMetadataRequest } from '../../protocol/generated/messages/MetadataRequest';
import {
  decodeDescribeTopicPartitionsRequest,
  encodeDescribeTopicPartitionsRequest,
} from '../../protocol/generated/messages/DescribeTopicPartitionsRequest';
import { decodeApiVersionsResponse, encodeApiVersionsResponse } from '../../protocol/generated/messages/ApiVersionsResponse';
import * as protocol from '../../protocol';

function encode(fn: (w: Writer) => void): Buffer {
  const w = new Writer(16);
  fn(w);
  return w.toBuffer();
}

describe('generated codecs: API table and headers', function () {
  it('has one descriptor per API key with the spec version range', function () {
    const produce = apiDescriptor(ApiKey.Produce)!;
    expect(produce.name).to.equal('Produce');
    expect(produce.key).to.equal(0);
    // 0-2 from the legacy spec (Kafka 4.0 dropped them), 3-13 from the current one.
    expect(produce.minVersion).to.equal(0);
    expect(produce.maxVersion).to.equal(13);
    expect(produce.listeners).to.include('broker');
    expect(produce.isFlexible(8)).to.equal(false);
    expect(produce.isFlexible(9)).to.equal(true);
    expect(produce.requestHeaderVersion(8)).to.equal(1);
    expect(produce.requestHeaderVersion(9)).to.equal(2);
    expect(produce.responseHeaderVersion(8)).to.equal(0);
    expect(produce.responseHeaderVersion(9)).to.equal(1);
    expect(apiDescriptor(ApiKey.Fetch)!.name).to.equal('Fetch');
    expect(apiDescriptor(-1)).to.equal(undefined);
    expect(apiDescriptor(10_000)).to.equal(undefined);
    const defined = API_DESCRIPTORS.filter((d) => d !== undefined);
    expect(defined.length).to.be.greaterThan(80);
    for (const [i, d] of API_DESCRIPTORS.entries()) if (d) expect(d.key).to.equal(i);
  });

  it('answers ApiVersions with response header v0 at every version', function () {
    const api = apiDescriptor(ApiKey.ApiVersions)!;
    for (let v = api.minVersion; v <= api.maxVersion; v++) expect(api.responseHeaderVersion(v)).to.equal(0);
    expect(api.requestHeaderVersion(3)).to.equal(2);
  });

  it('has no codec for the APIs Kafka removed and keeps only as "none" stubs', function () {
    // ControlledShutdown (7) was the one API with request header v0; LeaderAndIsr, StopReplica, UpdateMetadata went with ZooKeeper.
    for (const key of [4, 5, 6, 7]) expect(apiDescriptor(key), `api key ${key}`).to.equal(undefined);
  });

  it('marks unstable latest versions from the spec', function () {
    expect(API_DESCRIPTORS.some((d) => d?.latestVersionUnstable)).to.equal(true);
    expect(apiDescriptor(ApiKey.Produce)!.latestVersionUnstable).to.equal(false);
  });

  it('writes the header ClientId as a classic string even in flexible header v2', function () {
    const bytes = encode((w) =>
      encodeRequestHeader(w, 2, { requestApiKey: 18, requestApiVersion: 3, correlationId: 7, clientId: 'ab' }),
    );
    // key, version, correlation id, int16 length 2, "ab", empty tag section.
    expect([...bytes]).to.deep.equal([0, 18, 0, 3, 0, 0, 0, 7, 0, 2, 0x61, 0x62, 0]);
    const h = decodeRequestHeader(new Reader(bytes), 2);
    expect(h).to.deep.equal({ requestApiKey: 18, requestApiVersion: 3, correlationId: 7, clientId: 'ab' });
  });

  it('drops the ignorable ClientId in header v0 and decodes it as the default', function () {
    const bytes = encode((w) => encodeRequestHeader(w, 0, { requestApiKey: 7, correlationId: 1, clientId: 'x' }));
    expect(bytes.length).to.equal(8);
  });

  it('reads a request header whose version follows from its api key and version', function () {
    const body = Buffer.from([0xee]);
    for (const [key, version, headerVersion] of [
      [ApiKey.Produce, 9, 2],
      [ApiKey.Produce, 8, 1],
      [999, 0, 1],
    ]) {
      const bytes = Buffer.concat([
        encode((w) => encodeRequestHeader(w, headerVersion, { requestApiKey: key, requestApiVersion: version, correlationId: 5, clientId: 'c' })),
        body,
      ]);
      const r = new Reader(bytes);
      const { header, headerVersion: hv } = readRequestHeader(r);
      expect(hv).to.equal(headerVersion);
      expect(header.requestApiKey).to.equal(key);
      expect(header.correlationId).to.equal(5);
      expect(r.offset).to.equal(bytes.length - 1);
    }
  });

  it('encodes response headers v0 and v1', function () {
    expect([...encode((w) => encodeResponseHeader(w, 0, { correlationId: 258 }))]).to.deep.equal([0, 0, 1, 2]);
    const v1 = encode((w) => encodeResponseHeader(w, 1, { correlationId: 258 }));
    expect([...v1]).to.deep.equal([0, 0, 1, 2, 0]);
    expect(decodeResponseHeader(new Reader(v1), 1)).to.deep.equal({ correlationId: 258 });
  });

  it('re-exports the protocol surface from protocol/index', function () {
    expect(protocol.Reader).to.equal(Reader);
    expect(protocol.apiDescriptor).to.equal(apiDescriptor);
    expect(typeof protocol.ProduceRequestMsg.decodeProduceRequest).to.equal('function');
  });
});

describe('generated codecs: version rules on encode', function () {
  it('refuses to drop a non-ignorable field the version lacks', function () {
    expect(() => encode((w) => encodeProduceRequest(w, 2, { transactionalId: 'tx', acks: 1 }))).to.throw(
      RangeError,
      /TransactionalId/,
    );
    // The default (null) is fine: nothing is lost.
    expect(() => encode((w) => encodeProduceRequest(w, 2, { transactionalId: null }))).not.to.throw();
  });

  it('silently drops an ignorable field the version lacks', function () {
    // FetchRequest.IsolationLevel (v4+) is ignorable; MetadataRequest.AllowAutoTopicCreation (v4+) is not.
    const withLevel = encode((w) => encodeFetchRequest(w, 3, { maxWaitMs: 5, isolationLevel: 1 }));
    const plain = encode((w) => encodeFetchRequest(w, 3, { maxWaitMs: 5 }));
    expect(withLevel.equals(plain)).to.equal(true);
    expect(decodeFetchRequest(new Reader(plain), 3).isolationLevel).to.equal(0);
    expect(() => encode((w) => encodeMetadataRequest(w, 3, { allowAutoTopicCreation: false }))).to.throw(RangeError);
    expect(() => encode((w) => encodeMetadataRequest(w, 3, { allowAutoTopicCreation: true }))).not.to.throw();
  });

  it('refuses null where the version does not allow it', function () {
    // MetadataRequest.Topics is nullable only from v1.
    expect(() => encode((w) => encodeMetadataRequest(w, 0, { topics: null }))).to.throw(RangeError, /cannot be null/);
    const r = new Reader(encode((w) => encodeMetadataRequest(w, 1, { topics: null })));
    expect(decodeMetadataRequest(r, 1).topics).to.equal(null);
  });

  it('decodes a null array where the version forbids it as a DecodeError', function () {
    const bytes = Buffer.from([0xff, 0xff, 0xff, 0xff]);
    expect(() => decodeMetadataRequest(new Reader(bytes), 0)).to.throw(protocol.DecodeError);
  });

  it('fills absent fields with spec defaults, including hex and negative numbers', function () {
    const req = decodeProduceRequest(new Reader(encode((w) => encodeProduceRequest(w, 0, { acks: -1, timeoutMs: 5 }))), 0);
    expect(req).to.deep.equal({ transactionalId: null, acks: -1, timeoutMs: 5, topicData: [] });
    const dtp = decodeDescribeTopicPartitionsRequest(
      new Reader(encode((w) => encodeDescribeTopicPartitionsRequest(w, 0, {}))),
      0,
    );
    expect(dtp.responsePartitionLimit).to.equal(2000);
    expect(dtp.cursor).to.equal(null);
  });

  it('encodes a nullable struct with a presence byte', function () {
    const withCursor = encode((w) =>
      encodeDescribeTopicPartitionsRequest(w, 0, { topics: [], cursor: { topicName: 't', partitionIndex: 3 } }),
    );
    // compact array 0, int32 2000, presence 1, compact "t", int32 3, struct tags 0, message tags 0
    expect([...withCursor]).to.deep.equal([1, 0, 0, 7, 0xd0, 1, 2, 0x74, 0, 0, 0, 3, 0, 0]);
    const back = decodeDescribeTopicPartitionsRequest(new Reader(withCursor), 0);
    expect(back.cursor).to.deep.equal({ topicName: 't', partitionIndex: 3 });
  });

  it('sends tagged fields only when they differ from the default', function () {
    const plain = encode((w) => encodeApiVersionsResponse(w, 3, { apiKeys: [] }));
    const tagged = encode((w) => encodeApiVersionsResponse(w, 3, { apiKeys: [], finalizedFeaturesEpoch: 5n }));
    expect(plain[plain.length - 1]).to.equal(0);
    // count 1, tag 1, size 8, int64 5
    expect([...tagged.subarray(tagged.length - 11)]).to.deep.equal([1, 1, 8, 0, 0, 0, 0, 0, 0, 0, 5]);
    expect(decodeApiVersionsResponse(new Reader(tagged), 3).finalizedFeaturesEpoch).to.equal(5n);
    expect(decodeApiVersionsResponse(new Reader(plain), 3).finalizedFeaturesEpoch).to.equal(-1n);
  });

  it('interleaves preserved unknown tags with known ones in ascending order', function () {
    const bytes = encode((w) =>
      encodeApiVersionsResponse(w, 3, {
        apiKeys: [],
        finalizedFeaturesEpoch: 5n,
        _unknownTaggedFields: [{ tag: 4, data: Buffer.from([9]) }],
      }),
    );
    const back = decodeApiVersionsResponse(new Reader(bytes), 3);
    expect(back._unknownTaggedFields).to.deep.equal([{ tag: 4, data: Buffer.from([9]) }]);
    // tags section: count 2, tag 1 (epoch) then tag 4
    expect([...bytes.subarray(bytes.length - 14)]).to.deep.equal([2, 1, 8, 0, 0, 0, 0, 0, 0, 0, 5, 4, 1, 9]);
  });
});

describe('generated codecs: records stay slices', function () {
  it('decodes Produce records as a slice of the request buffer', function () {
    const blob = Buffer.alloc(4096, 7);
    const bytes = encode((w) =>
      encodeProduceRequest(w, 9, { acks: 1, topicData: [{ name: 't', partitionData: [{ index: 0, records: blob }] }] }),
    );
    const req = decodeProduceRequest(new Reader(bytes), 9);
    const records = req.topicData[0].partitionData[0].records!;
    expect(records.equals(blob)).to.equal(true);
    expect(records.buffer).to.equal(bytes.buffer);
  });

  it('encodes several record buffers as one field without copying them', function () {
    const a = Buffer.alloc(1000, 1);
    const b = Buffer.alloc(2000, 2);
    for (const version of [4, 12, 16]) {
      const w = new Writer(64);
      encodeFetchResponse(w, version, {
        responses: [{ topic: 't', partitions: [{ partitionIndex: 0, records: [a, b] }] }],
      });
      const chunks = w.chunksOut();
      expect(chunks).to.include(a);
      expect(chunks).to.include(b);
      const back = decodeFetchResponse(new Reader(Buffer.concat(chunks)), version);
      expect(back.responses[0].partitions[0].records!.equals(Buffer.concat([a, b]))).to.equal(true);
    }
  });
});
