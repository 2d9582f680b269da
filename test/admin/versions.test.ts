import { expect } from 'chai';
import { ApiKey, apiDescriptor } from '../../protocol/generated/apis';
import type { ApiVersionsResponse } from '../../protocol/generated/messages/ApiVersionsResponse';
import { startTestBroker, type TestBroker } from '../helpers/broker';
import { RawClient } from '../helpers/rawClient';

/** Every admin API answered at every version of its spec: requests built per version, the first result must succeed. */
describe('admin: every version of every admin API', () => {
  let broker: TestBroker;
  let raw: RawClient;
  let n = 0;
  const fresh = () => `v-topic-${n++}`;

  before(async () => {
    broker = await startTestBroker();
    raw = await RawClient.connect(broker.port);
    await broker.services.metadata.createTopic('fixed', { partitions: 2 });
  });
  after(async () => {
    raw.close();
    await broker.destroy();
  });

  const ADMIN_APIS = [
    ApiKey.CreateTopics,
    ApiKey.DeleteTopics,
    ApiKey.CreatePartitions,
    ApiKey.DescribeConfigs,
    ApiKey.AlterConfigs,
    ApiKey.IncrementalAlterConfigs,
    ApiKey.DeleteRecords,
    ApiKey.DescribeCluster,
    ApiKey.DescribeLogDirs,
    ApiKey.OffsetForLeaderEpoch,
    ApiKey.AlterPartitionReassignments,
    ApiKey.ListPartitionReassignments,
  ];

  it('advertises the full spec range of each admin API in ApiVersions', async () => {
    const res = await raw.request<ApiVersionsResponse>(ApiKey.ApiVersions, 3, { clientSoftwareName: 'test', clientSoftwareVersion: '1' });
    const advertised = new Map(res.apiKeys.map((k) => [k.apiKey, [k.minVersion, k.maxVersion]]));
    for (const key of ADMIN_APIS) {
      const d = apiDescriptor(key)!;
      expect(advertised.get(key), d.name).to.deep.equal([d.minVersion, d.maxVersion]);
    }
  });

  /** Builds a request for `version` and returns the error code of the first result in the response. */
  const cases: Record<number, { build(v: number): Promise<unknown> | unknown; firstError(res: any): number }> = {
    [ApiKey.CreateTopics]: {
      build: () => ({ timeoutMs: 5000, topics: [{ name: fresh(), numPartitions: 1, replicationFactor: 1, assignments: [], configs: [{ name: 'retention.ms', value: '1000' }] }] }),
      firstError: (r) => r.topics[0].errorCode,
    },
    [ApiKey.DeleteTopics]: {
      build: async (v) => {
        const t = await broker.services.metadata.createTopic(fresh(), { partitions: 1 });
        return v >= 6 ? { timeoutMs: 5000, topics: [{ name: null, topicId: t.id }] } : { timeoutMs: 5000, topicNames: [t.name] };
      },
      firstError: (r) => r.responses[0].errorCode,
    },
    [ApiKey.CreatePartitions]: {
      build: async () => {
        const t = await broker.services.metadata.createTopic(fresh(), { partitions: 1 });
        return { timeoutMs: 5000, validateOnly: false, topics: [{ name: t.name, count: 2, assignments: null }] };
      },
      firstError: (r) => r.results[0].errorCode,
    },
    [ApiKey.DescribeConfigs]: {
      build: () => ({ resources: [{ resourceType: 2, resourceName: 'fixed', configurationKeys: null }] }),
      firstError: (r) => (r.results[0].configs.length > 20 ? r.results[0].errorCode : -100),
    },
    [ApiKey.AlterConfigs]: {
      build: () => ({ validateOnly: false, resources: [{ resourceType: 2, resourceName: 'fixed', configs: [{ name: 'retention.ms', value: '86400000' }] }] }),
      firstError: (r) => r.responses[0].errorCode,
    },
    [ApiKey.IncrementalAlterConfigs]: {
      build: () => ({ validateOnly: false, resources: [{ resourceType: 2, resourceName: 'fixed', configs: [{ name: 'segment.ms', configOperation: 0, value: '3600000' }] }] }),
      firstError: (r) => r.responses[0].errorCode,
    },
    [ApiKey.DeleteRecords]: {
      build: () => ({ timeoutMs: 5000, topics: [{ name: 'fixed', partitions: [{ partitionIndex: 0, offset: -1n }] }] }),
      firstError: (r) => r.topics[0].partitions[0].errorCode,
    },
    [ApiKey.DescribeCluster]: {
      build: () => ({ includeClusterAuthorizedOperations: true }),
      firstError: (r) => (r.brokers.length === 1 ? r.errorCode : -100),
    },
    [ApiKey.DescribeLogDirs]: {
      build: () => ({ topics: null }),
      firstError: (r) => r.results[0].errorCode,
    },
    [ApiKey.OffsetForLeaderEpoch]: {
      build: () => ({ topics: [{ topic: 'fixed', partitions: [{ partition: 1, leaderEpoch: 0 }] }] }),
      firstError: (r) => r.topics[0].partitions[0].errorCode,
    },
    // a single broker: its own id is the one assignment it can take, and no reassignment is ever in progress
    [ApiKey.AlterPartitionReassignments]: {
      build: () => ({ timeoutMs: 5000, allowReplicationFactorChange: true, topics: [{ name: 'fixed', partitions: [{ partitionIndex: 0, replicas: [broker.config.nodeId] }] }] }),
      firstError: (r) => (r.errorCode !== 0 ? r.errorCode : r.responses[0].partitions[0].errorCode),
    },
    [ApiKey.ListPartitionReassignments]: {
      build: () => ({ timeoutMs: 5000, topics: null }),
      firstError: (r) => (r.topics.length === 0 ? r.errorCode : -100),
    },
  };

  for (const key of ADMIN_APIS) {
    const d = apiDescriptor(key)!;
    it(`${d.name} v${d.minVersion}..v${d.maxVersion}`, async () => {
      for (let v = d.minVersion; v <= d.maxVersion; v++) {
        const c = cases[key];
        const res = await raw.request<unknown>(key, v, await c.build(v));
        expect(c.firstError(res), `${d.name} v${v}`).to.equal(0);
      }
    });
  }
});
