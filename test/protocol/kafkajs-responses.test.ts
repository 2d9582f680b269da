/**
 * Responses written by the generated encoders must be readable by kafkajs's
 * own response decoders: the other direction of kafkajs-requests.test.ts.
 */
import { expect } from 'chai';
import { createRequire } from 'node:module';
import { Writer } from '../../protocol/codec/writer';
import { encodeApiVersionsResponse } from '../../protocol/generated/messages/ApiVersionsResponse';
import { encodeMetadataResponse } from '../../protocol/generated/messages/MetadataResponse';
import { encodeProduceResponse } from '../../protocol/generated/messages/ProduceResponse';
import { encodeFetchResponse } from '../../protocol/generated/messages/FetchResponse';
import { encodeJoinGroupResponse } from '../../protocol/generated/messages/JoinGroupResponse';
import { encodeFindCoordinatorResponse } from '../../protocol/generated/messages/FindCoordinatorResponse';
import { kjsBuildBatch } from './records-kafkajs-helpers';

const kafkajsRequire = createRequire(require.resolve('kafkajs'));

/* eslint-disable @typescript-eslint/no-explicit-any -- kafkajs's decoded objects are untyped JS */
function kjsDecode(api: string, version: number, bytes: Buffer): Promise<any> {
  const mod = kafkajsRequire(`./src/protocol/requests/${api}/v${version}/response.js`) as {
    decode(b: Buffer): Promise<any>;
  };
  return mod.decode(bytes);
}

function bytesOf(fn: (w: Writer) => void): Buffer {
  const w = new Writer(64);
  fn(w);
  return w.toBuffer();
}

describe('kafkajs decodes responses from the generated encoders', function () {
  for (const version of [0, 1, 2]) {
    it(`ApiVersions v${version}`, async function () {
      const bytes = bytesOf((w) =>
        encodeApiVersionsResponse(w, version, {
          errorCode: 0,
          apiKeys: [
            { apiKey: 0, minVersion: 3, maxVersion: 9 },
            { apiKey: 18, minVersion: 0, maxVersion: 3 },
          ],
          throttleTimeMs: 5,
        }),
      );
      const out = await kjsDecode('apiVersions', version, bytes);
      expect(out.errorCode).to.equal(0);
      expect(out.apiVersions).to.deep.equal([
        { apiKey: 0, minVersion: 3, maxVersion: 9 },
        { apiKey: 18, minVersion: 0, maxVersion: 3 },
      ]);
      if (version >= 1) expect(out.throttleTime ?? out.clientSideThrottleTime).to.be.oneOf([0, 5]);
    });
  }

  for (const version of [0, 1, 2, 5, 6]) {
    it(`Metadata v${version}`, async function () {
      const bytes = bytesOf((w) =>
        encodeMetadataResponse(w, version, {
          throttleTimeMs: 0,
          brokers: [{ nodeId: 1, host: 'broker-1', port: 9092, rack: version >= 1 ? 'r1' : null }],
          clusterId: version >= 2 ? 'cluster-x' : null,
          controllerId: version >= 1 ? 1 : -1,
          topics: [
            {
              errorCode: 0,
              name: 'alpha',
              isInternal: false,
              partitions: [
                { errorCode: 0, partitionIndex: 0, leaderId: 1, replicaNodes: [1, 2], isrNodes: [1], offlineReplicas: version >= 5 ? [2] : [] },
              ],
            },
          ],
        }),
      );
      const out = await kjsDecode('metadata', version, bytes);
      expect(out.brokers).to.deep.equal([{ nodeId: 1, host: 'broker-1', port: 9092, ...(version >= 1 ? { rack: 'r1' } : {}) }]);
      if (version >= 1) expect(out.controllerId).to.equal(1);
      if (version >= 2) expect(out.clusterId).to.equal('cluster-x');
      const topic = out.topicMetadata[0];
      expect(topic.topic).to.equal('alpha');
      expect(topic.topicErrorCode).to.equal(0);
      const p = topic.partitionMetadata[0];
      expect([p.partitionId, p.leader, p.replicas, p.isr]).to.deep.equal([0, 1, [1, 2], [1]]);
      if (version >= 5) expect(p.offlineReplicas).to.deep.equal([2]);
    });
  }

  for (const version of [0, 2, 3, 5, 7]) {
    it(`Produce v${version}`, async function () {
      const bytes = bytesOf((w) =>
        encodeProduceResponse(w, version, {
          responses: [
            {
              name: 'alpha',
              partitionResponses: [
                { index: 3, errorCode: 0, baseOffset: 1234567890123n, logAppendTimeMs: version >= 2 ? 1_700_000_000_000n : -1n, logStartOffset: version >= 5 ? 10n : -1n },
              ],
            },
          ],
          throttleTimeMs: version >= 1 ? 7 : 0,
        }),
      );
      const out = await kjsDecode('produce', version, bytes);
      const p = out.topics[0].partitions[0];
      expect(out.topics[0].topicName).to.equal('alpha');
      expect(p.partition).to.equal(3);
      expect(p.errorCode).to.equal(0);
      // kafkajs names these differently before v3.
      expect(version >= 3 ? p.baseOffset : p.offset).to.equal('1234567890123');
      if (version >= 2) expect(version >= 3 ? p.logAppendTime : p.timestamp).to.equal('1700000000000');
      if (version >= 5) expect(p.logStartOffset).to.equal('10');
    });
  }

  for (const version of [4, 7, 11]) {
    it(`Fetch v${version} with records as two linked chunks`, async function () {
      const batch = await kjsBuildBatch({ firstOffset: '40' }, [
        { key: 'k', value: 'hello', offsetDelta: 0, timestampDelta: 0 },
        { key: null, value: 'world', offsetDelta: 1, timestampDelta: 1 },
      ]);
      const half = batch.length >> 1;
      const bytes = bytesOf((w) =>
        encodeFetchResponse(w, version, {
          throttleTimeMs: 0,
          errorCode: 0,
          sessionId: version >= 7 ? 99 : 0,
          responses: [
            {
              topic: 'alpha',
              partitions: [
                {
                  partitionIndex: 1,
                  errorCode: 0,
                  highWatermark: 42n,
                  lastStableOffset: 42n,
                  logStartOffset: version >= 5 ? 0n : -1n,
                  abortedTransactions: [{ producerId: 5n, firstOffset: 40n }],
                  preferredReadReplica: -1,
                  records: [batch.subarray(0, half), batch.subarray(half)],
                },
              ],
            },
          ],
        }),
      );
      const out = await kjsDecode('fetch', version, bytes);
      if (version >= 7) expect(out.sessionId).to.equal(99);
      const p = out.responses[0].partitions[0];
      expect(out.responses[0].topicName).to.equal('alpha');
      expect(p.partition).to.equal(1);
      expect(p.highWatermark).to.equal('42');
      expect(p.abortedTransactions).to.deep.equal([{ producerId: '5', firstOffset: '40' }]);
      expect(p.messages.map((m: any) => [m.offset, m.key?.toString() ?? null, m.value.toString()])).to.deep.equal([
        ['40', 'k', 'hello'],
        ['41', null, 'world'],
      ]);
    });
  }

  for (const version of [0, 2, 5]) {
    it(`JoinGroup v${version}`, async function () {
      const metadata = Buffer.from([0, 1, 2, 3]);
      const bytes = bytesOf((w) =>
        encodeJoinGroupResponse(w, version, {
          throttleTimeMs: 0,
          errorCode: 0,
          generationId: 6,
          protocolName: 'RoundRobinAssigner',
          leader: 'member-1',
          memberId: 'member-2',
          members: [{ memberId: 'member-1', groupInstanceId: version >= 5 ? 'static-1' : null, metadata }],
        }),
      );
      const out = await kjsDecode('joinGroup', version, bytes);
      expect(out.generationId).to.equal(6);
      expect(out.groupProtocol).to.equal('RoundRobinAssigner');
      expect(out.leaderId).to.equal('member-1');
      expect(out.memberId).to.equal('member-2');
      expect(out.members[0].memberId).to.equal('member-1');
      expect(out.members[0].memberMetadata.equals(metadata)).to.equal(true);
      if (version >= 5) expect(out.members[0].groupInstanceId).to.equal('static-1');
    });
  }

  for (const version of [0, 1, 2]) {
    it(`FindCoordinator v${version}`, async function () {
      const bytes = bytesOf((w) =>
        encodeFindCoordinatorResponse(w, version, {
          throttleTimeMs: 0,
          errorCode: 0,
          errorMessage: null,
          nodeId: 3,
          host: 'broker-3',
          port: 19092,
        }),
      );
      const out = await kjsDecode('findCoordinator', version, bytes);
      expect(out.errorCode).to.equal(0);
      expect(out.coordinator).to.deep.equal({ nodeId: 3, host: 'broker-3', port: 19092 });
    });
  }
});
