/**
 * Bytes written by kafkajs's own request encoders must decode with the
 * generated codecs into exactly the values kafkajs was given: an independent
 * implementation checking field order, widths and nullability per version.
 */
import { expect } from 'chai';
import { createRequire } from 'node:module';
import { Reader } from '../../protocol/codec/reader';
import { decodeProduceRequest } from '../../protocol/generated/messages/ProduceRequest';
import { decodeFetchRequest } from '../../protocol/generated/messages/FetchRequest';
import { decodeMetadataRequest } from '../../protocol/generated/messages/MetadataRequest';
import { decodeJoinGroupRequest } from '../../protocol/generated/messages/JoinGroupRequest';
import { decodeOffsetCommitRequest } from '../../protocol/generated/messages/OffsetCommitRequest';
import { decodeRecordBatch } from '../../protocol/records/batch';
import { decodeLegacyMessageSet } from '../../protocol/records/legacy';

const kafkajsRequire = createRequire(require.resolve('kafkajs'));

interface KjsRequest {
  apiKey: number;
  apiVersion: number;
  encode(): Promise<{ buffer: Buffer }>;
}

type KjsRequestFactory = (args: Record<string, unknown>) => KjsRequest;

function kjsRequest(api: string, version: number): KjsRequestFactory {
  return kafkajsRequire(`./src/protocol/requests/${api}/v${version}/request.js`) as KjsRequestFactory;
}

async function kjsBytes(api: string, version: number, args: Record<string, unknown>): Promise<Buffer> {
  const req = kjsRequest(api, version)(args);
  expect(req.apiVersion).to.equal(version);
  return (await req.encode()).buffer;
}

function decodeAll<T>(decode: (r: Reader, v: number) => T, bytes: Buffer, version: number): T {
  const r = new Reader(bytes);
  const out = decode(r, version);
  expect(r.remaining, 'bytes left over').to.equal(0);
  return out;
}

describe('generated codecs decode kafkajs request encoders', function () {
  describe('Produce', function () {
    const messages = [
      { key: 'k1', value: 'v1', timestamp: 1_700_000_000_000 },
      { key: null, value: 'second value', timestamp: 1_700_000_000_005 },
    ];
    for (const version of [0, 2, 3, 5, 7]) {
      it(`v${version}`, async function () {
        const bytes = await kjsBytes('produce', version, {
          acks: -1,
          timeout: 3210,
          transactionalId: version >= 3 ? 'tx-1' : undefined,
          topicData: [
            { topic: 'alpha', partitions: [{ partition: 0, messages }, { partition: 7, messages: messages.slice(1) }] },
            { topic: 'beta', partitions: [{ partition: 2, messages }] },
          ],
        });
        const req = decodeAll(decodeProduceRequest, bytes, version);
        expect(req.acks).to.equal(-1);
        expect(req.timeoutMs).to.equal(3210);
        expect(req.transactionalId).to.equal(version >= 3 ? 'tx-1' : null);
        expect(req.topicData.map((t) => t.name)).to.deep.equal(['alpha', 'beta']);
        expect(req.topicData[0].partitionData.map((p) => p.index)).to.deep.equal([0, 7]);
        expect(req.topicData[1].partitionData.map((p) => p.index)).to.deep.equal([2]);
        const records = req.topicData[0].partitionData[0].records!;
        // The records field is a slice of the request, not a copy.
        expect(records.buffer).to.equal(bytes.buffer);
        const decoded =
          version >= 3
            ? decodeRecordBatch(records).records
            : decodeLegacyMessageSet(records);
        expect(decoded.map((m) => m.key?.toString() ?? null)).to.deep.equal(['k1', null]);
        expect(decoded.map((m) => m.value?.toString())).to.deep.equal(['v1', 'second value']);
        const single = req.topicData[0].partitionData[1].records!;
        const one = version >= 3 ? decodeRecordBatch(single).records : decodeLegacyMessageSet(single);
        expect(one.map((m) => m.value?.toString())).to.deep.equal(['second value']);
      });
    }
  });

  describe('Fetch', function () {
    for (const version of [0, 3, 4, 7, 9, 11]) {
      it(`v${version}`, async function () {
        const bytes = await kjsBytes('fetch', version, {
          replicaId: -1,
          maxWaitTime: 500,
          minBytes: 1,
          maxBytes: 10_485_760,
          isolationLevel: 0,
          sessionId: 42,
          sessionEpoch: 3,
          rackId: 'rack-a',
          topics: [
            {
              topic: 'alpha',
              partitions: [
                { partition: 1, fetchOffset: '12345678901', maxBytes: 1_048_576, currentLeaderEpoch: 4, logStartOffset: '9' },
                { partition: 3, fetchOffset: '0', maxBytes: 65_536 },
              ],
            },
          ],
          forgottenTopics: [{ topic: 'gone', partitions: [5, 6] }],
        });
        const req = decodeAll(decodeFetchRequest, bytes, version);
        expect(req.replicaId).to.equal(-1);
        expect(req.maxWaitMs).to.equal(500);
        expect(req.minBytes).to.equal(1);
        expect(req.maxBytes).to.equal(version >= 3 ? 10_485_760 : 0x7fffffff);
        expect(req.isolationLevel).to.equal(0);
        expect(req.sessionId).to.equal(version >= 7 ? 42 : 0);
        expect(req.sessionEpoch).to.equal(version >= 7 ? 3 : -1);
        expect(req.rackId).to.equal(version >= 11 ? 'rack-a' : '');
        expect(req.topics.map((t) => t.topic)).to.deep.equal(['alpha']);
        const [p1, p3] = req.topics[0].partitions;
        expect(p1.partition).to.equal(1);
        expect(p1.fetchOffset).to.equal(12345678901n);
        expect(p1.partitionMaxBytes).to.equal(1_048_576);
        expect(p1.currentLeaderEpoch).to.equal(version >= 9 ? 4 : -1);
        expect(p1.logStartOffset).to.equal(version >= 5 ? 9n : -1n);
        expect(p3.partition).to.equal(3);
        expect(p3.fetchOffset).to.equal(0n);
        expect(p3.partitionMaxBytes).to.equal(65_536);
        if (version >= 7) {
          expect(req.forgottenTopicsData.map((t) => [t.topic, t.partitions])).to.deep.equal([['gone', [5, 6]]]);
        } else {
          expect(req.forgottenTopicsData).to.deep.equal([]);
        }
      });
    }
  });

  describe('Metadata', function () {
    for (const version of [0, 1, 3, 4, 6]) {
      it(`v${version}`, async function () {
        const bytes = await kjsBytes('metadata', version, { topics: ['alpha', 'beta-2'], allowAutoTopicCreation: false });
        const req = decodeAll(decodeMetadataRequest, bytes, version);
        expect(req.topics!.map((t) => t.name)).to.deep.equal(['alpha', 'beta-2']);
        expect(req.allowAutoTopicCreation).to.equal(version >= 4 ? false : true);
      });
    }
    it('v1 with every topic (kafkajs sends an empty list as the null array)', async function () {
      const bytes = await kjsBytes('metadata', 1, { topics: [] });
      expect(decodeAll(decodeMetadataRequest, bytes, 1).topics).to.equal(null);
    });
  });

  describe('JoinGroup', function () {
    for (const version of [0, 1, 2, 5]) {
      it(`v${version}`, async function () {
        const metadata = Buffer.from([0, 1, 0, 0, 0, 1, 0, 5, 0x61, 0x6c, 0x70, 0x68, 0x61]);
        const bytes = await kjsBytes('joinGroup', version, {
          groupId: 'group-x',
          sessionTimeout: 30_000,
          rebalanceTimeout: 60_000,
          memberId: 'member-1',
          groupInstanceId: 'static-1',
          protocolType: 'consumer',
          groupProtocols: [{ name: 'RoundRobinAssigner', metadata }, { name: 'range' }],
        });
        const req = decodeAll(decodeJoinGroupRequest, bytes, version);
        expect(req.groupId).to.equal('group-x');
        expect(req.sessionTimeoutMs).to.equal(30_000);
        expect(req.rebalanceTimeoutMs).to.equal(version >= 1 ? 60_000 : -1);
        expect(req.memberId).to.equal('member-1');
        expect(req.groupInstanceId).to.equal(version >= 5 ? 'static-1' : null);
        expect(req.protocolType).to.equal('consumer');
        expect(req.protocols.map((p) => p.name)).to.deep.equal(['RoundRobinAssigner', 'range']);
        expect(req.protocols[0].metadata.equals(metadata)).to.equal(true);
        expect(req.protocols[1].metadata.length).to.equal(0);
      });
    }
  });

  describe('OffsetCommit', function () {
    for (const version of [0, 1, 2, 3, 5]) {
      it(`v${version}`, async function () {
        const bytes = await kjsBytes('offsetCommit', version, {
          groupId: 'group-x',
          groupGenerationId: 17,
          memberId: 'member-1',
          retentionTime: -1,
          topics: [
            {
              topic: 'alpha',
              partitions: [
                { partition: 0, offset: '98765432100', metadata: 'note', timestamp: 1_700_000_000_000 },
                { partition: 4, offset: '5' },
              ],
            },
          ],
        });
        const req = decodeAll(decodeOffsetCommitRequest, bytes, version);
        expect(req.groupId).to.equal('group-x');
        expect(req.generationIdOrMemberEpoch).to.equal(version >= 1 ? 17 : -1);
        expect(req.memberId).to.equal(version >= 1 ? 'member-1' : '');
        expect(req.retentionTimeMs).to.equal(-1n);
        const parts = req.topics[0].partitions;
        expect(req.topics[0].name).to.equal('alpha');
        expect(parts.map((p) => p.partitionIndex)).to.deep.equal([0, 4]);
        expect(parts.map((p) => p.committedOffset)).to.deep.equal([98765432100n, 5n]);
        expect(parts.map((p) => p.committedMetadata)).to.deep.equal(['note', null]);
        expect(parts[0].commitTimestamp).to.equal(version === 1 ? 1_700_000_000_000n : -1n);
      });
    }
  });
});
