/**
 * Flexible versions against an independent client: @platformatic/kafka's
 * request writers must decode with the generated codecs, and its response
 * parsers must read what the generated encoders write. (kafkajs stops before
 * the flexible versions, so it cannot check compact encodings or tag sections.)
 */
import { expect } from 'chai';
import { Reader } from '../../protocol/codec/reader';
import { Writer } from '../../protocol/codec/writer';
import { decodeApiVersionsRequest } from '../../protocol/generated/messages/ApiVersionsRequest';
import { encodeApiVersionsResponse } from '../../protocol/generated/messages/ApiVersionsResponse';
import { decodeMetadataRequest } from '../../protocol/generated/messages/MetadataRequest';
import { encodeMetadataResponse } from '../../protocol/generated/messages/MetadataResponse';
import { decodeProduceRequest } from '../../protocol/generated/messages/ProduceRequest';
import { encodeProduceResponse } from '../../protocol/generated/messages/ProduceResponse';
import { decodeFetchRequest } from '../../protocol/generated/messages/FetchRequest';
import { encodeFetchResponse } from '../../protocol/generated/messages/FetchResponse';
import { decodeJoinGroupRequest } from '../../protocol/generated/messages/JoinGroupRequest';
import { encodeJoinGroupResponse } from '../../protocol/generated/messages/JoinGroupResponse';
import { decodeRecordBatch } from '../../protocol/records/batch';
import { kjsBuildBatch } from './records-kafkajs-helpers';

/* eslint-disable @typescript-eslint/no-explicit-any -- the client's API modules are used untyped here */
type PkModule = Record<string, any>;
let pk: PkModule;

function pkBytes(writer: { buffer: Buffer }): Buffer {
  return writer.buffer;
}

function decodeAll<T>(decode: (r: Reader, v: number) => T, bytes: Buffer, version: number): T {
  const r = new Reader(bytes);
  const out = decode(r, version);
  expect(r.remaining, 'bytes left over').to.equal(0);
  return out;
}

function ours(fn: (w: Writer) => void): Buffer {
  const w = new Writer(64);
  fn(w);
  return w.toBuffer();
}

function pkParse(mod: PkModule, apiKey: number, version: number, bytes: Buffer): any {
  return mod.parseResponse(1, apiKey, version, pk.Reader.from(bytes));
}

describe('generated codecs against @platformatic/kafka (flexible versions)', function () {
  before(async function () {
    pk = (await import('@platformatic/kafka')) as PkModule;
  });

  describe('its requests decode', function () {
    it('ApiVersions v3', function () {
      const bytes = pkBytes(pk.apiVersionsV3.createRequest('brook-test', '1.2.3'));
      const req = decodeAll(decodeApiVersionsRequest, bytes, 3);
      expect(req).to.deep.equal({ clientSoftwareName: 'brook-test', clientSoftwareVersion: '1.2.3' });
    });

    it('Metadata v12', function () {
      const bytes = pkBytes(pk.metadataV12.createRequest(['alpha', 'beta'], true, true));
      const req = decodeAll(decodeMetadataRequest, bytes, 12);
      expect(req.topics!.map((t) => [t.name, t.topicId.equals(Buffer.alloc(16))])).to.deep.equal([
        ['alpha', true],
        ['beta', true],
      ]);
      expect(req.allowAutoTopicCreation).to.equal(true);
      expect(req.includeTopicAuthorizedOperations).to.equal(true);
    });

    for (const version of [9, 11]) {
      it(`Produce v${version}`, function () {
        const messages = [
          { topic: 'alpha', partition: 2, key: Buffer.from('k'), value: Buffer.from('v1'), timestamp: 1_700_000_000_000n },
          { topic: 'alpha', partition: 2, value: Buffer.from('v2'), timestamp: 1_700_000_000_001n },
          { topic: 'beta', partition: 0, value: Buffer.from('v3'), timestamp: 1_700_000_000_002n },
        ];
        const mod = version === 9 ? pk.produceV9 : pk.produceV11;
        const bytes = pkBytes(mod.createRequest(-1, 1500, messages, { transactionalId: 'tx-9' }));
        const req = decodeAll(decodeProduceRequest, bytes, version);
        expect(req.acks).to.equal(-1);
        expect(req.timeoutMs).to.equal(1500);
        expect(req.transactionalId).to.equal('tx-9');
        expect(req.topicData.map((t) => [t.name, t.partitionData.map((p) => p.index)])).to.deep.equal([
          ['alpha', [2]],
          ['beta', [0]],
        ]);
        const batch = decodeRecordBatch(req.topicData[0].partitionData[0].records!);
        expect(batch.records.map((r) => r.value!.toString())).to.deep.equal(['v1', 'v2']);
        expect(batch.records[0].key!.toString()).to.equal('k');
      });
    }

    it('Fetch v12 (topic names) and v17 (topic ids)', function () {
      const partitions = [{ partition: 4, currentLeaderEpoch: 3, fetchOffset: 77n, lastFetchedEpoch: 2, partitionMaxBytes: 1_000_000 }];
      const v12 = pkBytes(pk.fetchV12.createRequest(500, 1, 50_000_000, 1, 0, -1, [{ topicId: 'alpha', partitions }], [], 'rack-1'));
      const r12 = decodeAll(decodeFetchRequest, v12, 12);
      expect([r12.maxWaitMs, r12.minBytes, r12.maxBytes, r12.isolationLevel, r12.sessionId, r12.sessionEpoch, r12.rackId]).to.deep.equal([
        500, 1, 50_000_000, 1, 0, -1, 'rack-1',
      ]);
      expect(r12.topics[0].topic).to.equal('alpha');
      const p = r12.topics[0].partitions[0];
      expect([p.partition, p.currentLeaderEpoch, p.fetchOffset, p.lastFetchedEpoch, p.logStartOffset, p.partitionMaxBytes]).to.deep.equal([
        4, 3, 77n, 2, -1n, 1_000_000,
      ]);

      const topicId = Buffer.alloc(16, 0xab);
      const idText = [...topicId].map((b) => b.toString(16).padStart(2, '0')).join('');
      const uuid = `${idText.slice(0, 8)}-${idText.slice(8, 12)}-${idText.slice(12, 16)}-${idText.slice(16, 20)}-${idText.slice(20)}`;
      const v17 = pkBytes(
        pk.fetchV17.createRequest(500, 1, 50_000_000, 0, 12, 3, [{ topicId: uuid, partitions }], [{ topic: uuid, partitions: [8, 9] }], ''),
      );
      const r17 = decodeAll(decodeFetchRequest, v17, 17);
      expect(r17.topics[0].topicId.equals(topicId)).to.equal(true);
      expect(r17.forgottenTopicsData[0].topicId.equals(topicId)).to.equal(true);
      expect(r17.forgottenTopicsData[0].partitions).to.deep.equal([8, 9]);
      expect([r17.sessionId, r17.sessionEpoch]).to.deep.equal([12, 3]);
    });

    for (const version of [6, 9]) {
      it(`JoinGroup v${version}`, function () {
        const mod = version === 6 ? pk.joinGroupV6 : pk.joinGroupV9;
        const protocols = [{ name: 'roundrobin', metadata: Buffer.from([1, 2, 3]) }];
        const args: unknown[] = ['group-y', 45_000, 90_000, 'member-z', 'static-z', 'consumer', protocols];
        if (version >= 8) args.push('a reason');
        const bytes = pkBytes(mod.createRequest(...args));
        const req = decodeAll(decodeJoinGroupRequest, bytes, version);
        expect([req.groupId, req.sessionTimeoutMs, req.rebalanceTimeoutMs, req.memberId, req.groupInstanceId, req.protocolType]).to.deep.equal([
          'group-y', 45_000, 90_000, 'member-z', 'static-z', 'consumer',
        ]);
        expect(req.protocols.map((p) => [p.name, [...p.metadata]])).to.deep.equal([['roundrobin', [1, 2, 3]]]);
        expect(req.reason).to.equal(version >= 8 ? 'a reason' : null);
      });
    }
  });

  describe('it parses our responses', function () {
    it('ApiVersions v3', function () {
      const bytes = ours((w) =>
        encodeApiVersionsResponse(w, 3, {
          apiKeys: [{ apiKey: 0, minVersion: 3, maxVersion: 11 }],
          throttleTimeMs: 4,
          finalizedFeaturesEpoch: 9n, // a tagged field the client skips
        }),
      );
      const res = pkParse(pk.apiVersionsV3, 18, 3, bytes);
      expect(res.apiKeys.map((k: any) => [k.apiKey, k.minVersion, k.maxVersion])).to.deep.equal([[0, 3, 11]]);
      expect(res.throttleTimeMs).to.equal(4);
    });

    it('Metadata v12', function () {
      const topicId = Buffer.alloc(16, 7);
      const bytes = ours((w) =>
        encodeMetadataResponse(w, 12, {
          brokers: [{ nodeId: 1, host: 'h1', port: 9092, rack: null }],
          clusterId: 'c1',
          controllerId: 1,
          topics: [
            {
              name: 'alpha',
              topicId,
              partitions: [{ partitionIndex: 0, leaderId: 1, leaderEpoch: 5, replicaNodes: [1], isrNodes: [1] }],
              topicAuthorizedOperations: 8,
            },
          ],
        }),
      );
      const res = pkParse(pk.metadataV12, 3, 12, bytes);
      expect(res.brokers).to.deep.equal([{ nodeId: 1, host: 'h1', port: 9092, rack: null }]);
      expect(res.clusterId).to.equal('c1');
      const t = res.topics[0];
      expect(t.name).to.equal('alpha');
      expect(t.topicAuthorizedOperations).to.equal(8);
      expect([t.partitions[0].leaderEpoch, t.partitions[0].replicaNodes]).to.deep.equal([5, [1]]);
    });

    it('Produce v11', function () {
      const bytes = ours((w) =>
        encodeProduceResponse(w, 11, {
          responses: [{ name: 'alpha', partitionResponses: [{ index: 2, baseOffset: 1000n, logAppendTimeMs: -1n, logStartOffset: 0n }] }],
          throttleTimeMs: 0,
        }),
      );
      const res = pkParse(pk.produceV11, 0, 11, bytes);
      expect(res.responses[0].name).to.equal('alpha');
      expect(res.responses[0].partitionResponses[0]).to.include({ index: 2, baseOffset: 1000n, errorCode: 0, errorMessage: null });
    });

    it('Fetch v16 with linked record chunks', async function () {
      const batch = await kjsBuildBatch({ firstOffset: '5' }, [{ key: null, value: 'payload', offsetDelta: 0, timestampDelta: 0 }]);
      const topicId = Buffer.alloc(16, 3);
      const bytes = ours((w) =>
        encodeFetchResponse(w, 16, {
          sessionId: 7,
          responses: [
            {
              topicId,
              partitions: [
                {
                  partitionIndex: 0,
                  highWatermark: 6n,
                  lastStableOffset: 6n,
                  logStartOffset: 0n,
                  records: [batch.subarray(0, 10), batch.subarray(10)],
                  currentLeader: { leaderId: 1, leaderEpoch: 2 }, // tagged; the client skips it
                },
              ],
            },
          ],
        }),
      );
      const res = pkParse(pk.fetchV16, 1, 16, bytes);
      expect(res.sessionId).to.equal(7);
      const p = res.responses[0].partitions[0];
      expect([p.partitionIndex, p.highWatermark]).to.deep.equal([0, 6n]);
      const records = p.records.flatMap((b: any) => b.records);
      expect(records.map((r: any) => r.value.toString())).to.deep.equal(['payload']);
    });

    it('JoinGroup v9', function () {
      const bytes = ours((w) =>
        encodeJoinGroupResponse(w, 9, {
          generationId: 3,
          protocolType: 'consumer',
          protocolName: 'roundrobin',
          leader: 'm1',
          skipAssignment: true,
          memberId: 'm2',
          members: [{ memberId: 'm1', groupInstanceId: null, metadata: Buffer.from([4, 5]) }],
        }),
      );
      const res = pkParse(pk.joinGroupV9, 11, 9, bytes);
      expect([res.generationId, res.protocolType, res.protocolName, res.leader, res.skipAssignment, res.memberId]).to.deep.equal([
        3, 'consumer', 'roundrobin', 'm1', true, 'm2',
      ]);
      expect(res.members[0].memberId).to.equal('m1');
      expect([...res.members[0].metadata]).to.deep.equal([4, 5]);
    });
  });
});
