/**
 * The versions the refreshed Kafka specs added (Produce 12-13, Fetch 18, ListOffsets 11, DescribeGroups 6,
 * ListTransactions 2, ConsumerGroupDescribe 1, DescribeCluster 2) served with their semantics, the versions
 * Kafka 4.0 dropped still served from the legacy specs, and unstable versions never advertised.
 */
import { expect } from 'chai';
import { ErrorCode } from '../../protocol/errors';
import { API_DESCRIPTORS, ApiKey, apiDescriptor } from '../../protocol/generated/apis';
import type { ApiVersionsResponse } from '../../protocol/generated/messages/ApiVersionsResponse';
import type { ProduceResponse } from '../../protocol/generated/messages/ProduceResponse';
import type { FetchResponse } from '../../protocol/generated/messages/FetchResponse';
import { decodeRecordBatches } from '../../protocol/records';
import { supportedApis } from '../../src/handlers/registry';
import { startTestBroker, type TestBroker } from '../helpers/broker';
import { batchOf, fetchRequest, produceRaw } from '../helpers/dataPath';
import { RawClient } from '../helpers/rawClient';

describe('versions of the current Kafka specs', () => {
  let broker: TestBroker;
  let client: RawClient;
  before(async () => {
    broker = await startTestBroker();
    client = await RawClient.connect(broker.port);
    await broker.services.metadata.createTopic('by-id', { partitions: 1 });
  });
  after(async () => {
    client.close();
    await broker.destroy();
  });

  describe('ApiVersions', () => {
    it('never advertises a version the spec marks unstable, nor one beyond the spec', async () => {
      const res = await client.request<ApiVersionsResponse>(ApiKey.ApiVersions, 3, { clientSoftwareName: 'brook-test', clientSoftwareVersion: '1' });
      for (const a of res.apiKeys) {
        const d = apiDescriptor(a.apiKey)!;
        const stableMax = d.latestVersionUnstable ? d.maxVersion - 1 : d.maxVersion;
        expect(a.maxVersion, d.name).to.be.at.most(stableMax);
        expect(a.minVersion, d.name).to.be.at.least(d.minVersion);
      }
      const byKey = new Map(res.apiKeys.map((a) => [a.apiKey, a]));
      // OffsetCommit/OffsetFetch 10 and InitProducerId 6 are latestVersionUnstable in these specs.
      expect(byKey.get(ApiKey.OffsetCommit)).to.include({ minVersion: 0, maxVersion: 9 });
      expect(byKey.get(ApiKey.OffsetFetch)).to.include({ minVersion: 0, maxVersion: 9 });
      expect(byKey.get(ApiKey.InitProducerId)).to.include({ minVersion: 0, maxVersion: 5 });
      // New stable versions are served; versions Kafka 4.0 dropped (KIP-896) still are, from legacy/.
      expect(byKey.get(ApiKey.Produce)).to.include({ minVersion: 0, maxVersion: 13 });
      expect(byKey.get(ApiKey.Fetch)).to.include({ minVersion: 0, maxVersion: 18 });
      expect(byKey.get(ApiKey.ListOffsets)).to.include({ minVersion: 0, maxVersion: 11 });
      expect(byKey.get(ApiKey.WriteTxnMarkers)).to.include({ minVersion: 0, maxVersion: 1 });
      expect(byKey.get(ApiKey.CreateTopics)).to.include({ minVersion: 0 });
      expect(byKey.get(ApiKey.DescribeConfigs)).to.include({ minVersion: 0 });
    });

    it('each registered handler serves exactly what it declares, within the spec', () => {
      for (const api of supportedApis()) {
        const d = API_DESCRIPTORS[api.key]!;
        expect(api.minVersion, api.name).to.be.at.least(d.minVersion);
        expect(api.maxVersion, api.name).to.be.at.most(d.maxVersion);
      }
    });
  });

  describe('Produce v13 names topics by id (KIP-516)', () => {
    it('appends to the topic the id names, and a Fetch v18 by id reads it back', async () => {
      const topicId = broker.services.metadata.topic('by-id')!.id;
      const res = await client.request<ProduceResponse>(ApiKey.Produce, 13, {
        transactionalId: null,
        acks: -1,
        timeoutMs: 5000,
        topicData: [{ topicId, partitionData: [{ index: 0, records: batchOf([{ key: 'k', value: 'v13' }]) }] }],
      });
      expect(Buffer.from(res.responses[0].topicId).equals(topicId)).to.equal(true);
      expect(res.responses[0].partitionResponses[0]).to.include({ errorCode: 0, baseOffset: 0n });
      const fetched = await client.request<FetchResponse>(ApiKey.Fetch, 18, fetchRequest([{ topic: '', topicId, partition: 0, offset: 0 }]));
      const p = fetched.responses[0].partitions[0];
      expect(p).to.include({ errorCode: 0, highWatermark: 1n });
      const records = decodeRecordBatches(p.records as Buffer).flatMap((b) => b.records);
      expect(records.map((r) => r.value?.toString())).to.deep.equal(['v13']);
    });

    it('answers UNKNOWN_TOPIC_ID for an id no topic has, and appends nothing', async () => {
      const before = broker.services.metadata.topics().length;
      const res = await client.request<ProduceResponse>(ApiKey.Produce, 13, {
        transactionalId: null,
        acks: 1,
        timeoutMs: 5000,
        topicData: [{ topicId: Buffer.alloc(16, 7), partitionData: [{ index: 0, records: batchOf([{ value: 'x' }]) }] }],
      });
      expect(res.responses[0].partitionResponses[0].errorCode).to.equal(ErrorCode.UNKNOWN_TOPIC_ID);
      expect(broker.services.metadata.topics().length).to.equal(before);
    });

    it('still takes v12 (same as v11 without transaction v2) by name', async () => {
      const p = await produceRaw(client, 'by-id', 0, batchOf([{ value: 'v12' }]), { version: 12 });
      expect(p).to.include({ errorCode: 0, baseOffset: 1n });
    });
  });

  describe('Fetch v18 (KIP-1166): a follower behind on the high watermark', () => {
    it('is answered at once, while one that knows the high watermark waits for data', async () => {
      const topicId = broker.services.metadata.topic('by-id')!.id;
      const hw = broker.services.logs.get('by-id', 0)!.highWatermark;
      const replicaFetch = (knownHw: bigint) => ({
        ...fetchRequest([{ topic: '', topicId, partition: 0, offset: hw }], { maxWaitMs: 30_000, minBytes: 1 }),
        replicaState: { replicaId: 1, replicaEpoch: -1n },
        topics: [{ topic: '', topicId, partitions: [{ partition: 0, fetchOffset: BigInt(hw), partitionMaxBytes: 1 << 20, highWatermark: knownHw }] }],
      });
      const parked = await RawClient.connect(broker.port);
      let parkedSettled = false;
      const parkedFetch = parked.request<FetchResponse>(ApiKey.Fetch, 18, replicaFetch(BigInt(hw))).then((r) => {
        parkedSettled = true;
        return r;
      });
      const behind = await client.request<FetchResponse>(ApiKey.Fetch, 18, replicaFetch(BigInt(hw) - 1n));
      expect(behind.responses[0].partitions[0]).to.include({ errorCode: 0, highWatermark: BigInt(hw) });
      expect(parkedSettled, 'a follower that knows the high watermark waits for new data').to.equal(false);
      // New data wakes the parked one.
      await produceRaw(client, 'by-id', 0, batchOf([{ value: 'wake' }]));
      const woken = await parkedFetch;
      expect(woken.responses[0].partitions[0].highWatermark).to.equal(BigInt(hw) + 1n);
      parked.close();
    });
  });

  describe('DescribeGroups v6 (KIP-1043)', () => {
    it('answers GROUP_ID_NOT_FOUND for a group that does not exist; v5 still describes it as Dead', async () => {
      const v6 = await client.request<{ groups: { errorCode: number; errorMessage: string | null; groupState: string }[] }>(ApiKey.DescribeGroups, 6, { groups: ['nobody-here'], includeAuthorizedOperations: false });
      expect(v6.groups[0].errorCode).to.equal(ErrorCode.GROUP_ID_NOT_FOUND);
      expect(v6.groups[0].errorMessage).to.equal('Group nobody-here not found.');
      const v5 = await client.request<{ groups: { errorCode: number; groupState: string }[] }>(ApiKey.DescribeGroups, 5, { groups: ['nobody-here'], includeAuthorizedOperations: false });
      expect(v5.groups[0]).to.include({ errorCode: 0, groupState: 'Dead' });
    });
  });

  describe('ConsumerGroupDescribe v1 (KIP-1099)', () => {
    it('reports members of a consumer-protocol group with member type 1', async () => {
      const hb = await client.request<{ errorCode: number; memberId: string }>(ApiKey.ConsumerGroupHeartbeat, 1, {
        groupId: 'typed', memberId: 'member-typed', memberEpoch: 0, instanceId: null, rackId: null, rebalanceTimeoutMs: 30_000,
        subscribedTopicNames: ['by-id'], subscribedTopicRegex: null, serverAssignor: 'uniform', topicPartitions: [],
      });
      expect(hb.errorCode).to.equal(0);
      const d = await client.request<{ groups: { errorCode: number; members: { memberId: string; memberType: number }[] }[] }>(ApiKey.ConsumerGroupDescribe, 1, { groupIds: ['typed'], includeAuthorizedOperations: false });
      expect(d.groups[0].errorCode).to.equal(0);
      expect(d.groups[0].members.map((m) => [m.memberId, m.memberType])).to.deep.equal([['member-typed', 1]]);
    });
  });

  describe('ListTransactions v2 (KIP-1152)', () => {
    before(async () => {
      for (const transactionalId of ['orders-1', 'orders-2', 'payments-1']) {
        const r = await client.request<{ errorCode: number }>(ApiKey.InitProducerId, 4, { transactionalId, transactionTimeoutMs: 60_000, producerId: -1n, producerEpoch: -1 });
        expect(r.errorCode).to.equal(0);
      }
    });
    type Listed = { errorCode: number; transactionStates: { transactionalId: string }[] };
    const list = (transactionalIdPattern: string | null) =>
      client.request<Listed>(ApiKey.ListTransactions, 2, { stateFilters: [], producerIdFilters: [], durationFilter: -1n, transactionalIdPattern });

    it('lists only the transactional ids the whole pattern matches', async () => {
      const res = await list('orders-.*');
      expect(res.errorCode).to.equal(0);
      expect(res.transactionStates.map((t) => t.transactionalId).sort()).to.deep.equal(['orders-1', 'orders-2']);
      expect((await list('orders')).transactionStates).to.deep.equal([]);
    });

    it('lists everything for a null or empty pattern', async () => {
      for (const p of [null, '']) {
        const ids = (await list(p)).transactionStates.map((t) => t.transactionalId);
        expect(ids).to.include.members(['orders-1', 'orders-2', 'payments-1']);
      }
    });

    it('refuses a pattern that is not a regular expression with INVALID_REGULAR_EXPRESSION', async () => {
      const res = await list('orders-(');
      expect(res.errorCode).to.equal(ErrorCode.INVALID_REGULAR_EXPRESSION);
      expect(res.transactionStates).to.deep.equal([]);
    });
  });

  describe('DescribeCluster v2 (KIP-1073)', () => {
    it('takes IncludeFencedBrokers and reports every listed broker unfenced', async () => {
      const res = await client.request<{ errorCode: number; brokers: { brokerId: number; isFenced: boolean }[] }>(ApiKey.DescribeCluster, 2, {
        includeClusterAuthorizedOperations: false, endpointType: 1, includeFencedBrokers: true,
      });
      expect(res.errorCode).to.equal(0);
      expect(res.brokers.map((b) => [b.brokerId, b.isFenced])).to.deep.equal([[broker.services.config.nodeId, false]]);
    });
  });
});
