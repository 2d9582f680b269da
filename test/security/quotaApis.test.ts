import { expect } from 'chai';
import { ErrorCode } from '../../protocol/errors';
import { ApiKey } from '../../protocol/generated/apis';
import type { AlterClientQuotasResponse } from '../../protocol/generated/messages/AlterClientQuotasResponse';
import type { ApiVersionsResponse } from '../../protocol/generated/messages/ApiVersionsResponse';
import type { DescribeClientQuotasResponse } from '../../protocol/generated/messages/DescribeClientQuotasResponse';
import { startTestBroker, tempDataDir, type TestBroker } from '../helpers/broker';
import { RawClient } from '../helpers/rawClient';
import { allow, callAs, Op, RT } from './aclHarness';

const EXACT = 0;
const DEFAULT = 1;
const SPECIFIED = 2;

type Pair = { entityType: string; entityName: string | null };
const op = (key: string, value: number) => ({ key, value, remove: false });
const removal = (key: string) => ({ key, value: 0, remove: true });

/** Describe answers as plain, order-independent data. */
function normalize(res: DescribeClientQuotasResponse): Array<{ entity: Pair[]; values: Record<string, number> }> {
  expect(res.errorCode, res.errorMessage ?? '').to.equal(0);
  return (res.entries ?? [])
    .map((e) => ({ entity: e.entity.map((p) => ({ entityType: p.entityType, entityName: p.entityName })), values: Object.fromEntries(e.values.map((v) => [v.key, v.value])) }))
    .sort((a, b) => JSON.stringify(a.entity).localeCompare(JSON.stringify(b.entity)));
}

describe('DescribeClientQuotas / AlterClientQuotas', function () {
  let broker: TestBroker;
  let client: RawClient;
  const dataDir = tempDataDir();

  const alter = (v: number, entries: unknown[], validateOnly = false) => client.request<AlterClientQuotasResponse>(ApiKey.AlterClientQuotas, v, { entries, validateOnly });
  const describe_ = (v: number, components: unknown[], strict = false) => client.request<DescribeClientQuotasResponse>(ApiKey.DescribeClientQuotas, v, { components, strict });

  before(async () => {
    broker = await startTestBroker({ dataDir });
    client = await RawClient.connect(broker.port);
  });
  after(async () => {
    client?.close();
    await broker?.destroy();
  });

  it('are advertised in ApiVersions with every spec version', async () => {
    const res = await client.request<ApiVersionsResponse>(ApiKey.ApiVersions, 3, { clientSoftwareName: 't', clientSoftwareVersion: '1' });
    for (const key of [ApiKey.DescribeClientQuotas, ApiKey.AlterClientQuotas]) {
      expect(res.apiKeys.find((k) => k.apiKey === key), `api ${key}`).to.deep.include({ minVersion: 0, maxVersion: 1 });
    }
  });

  for (const v of [0, 1]) {
    it(`round-trips quotas for user, client-id, user+client-id and defaults (v${v})`, async () => {
      const user = `alice-${v}`;
      const res = await alter(v, [
        { entity: [{ entityType: 'user', entityName: user }], ops: [op('producer_byte_rate', 1048576), op('consumer_byte_rate', 2097152)] },
        { entity: [{ entityType: 'user', entityName: user }, { entityType: 'client-id', entityName: 'app' }], ops: [op('request_percentage', 12.5)] },
        { entity: [{ entityType: 'user', entityName: null }], ops: [op('producer_byte_rate', 100 + v)] },
        { entity: [{ entityType: 'client-id', entityName: null }], ops: [op('consumer_byte_rate', 200 + v)] },
      ]);
      expect(res.entries.map((e) => e.errorCode)).to.deep.equal([0, 0, 0, 0]);
      expect(res.entries[1].entity).to.deep.equal([{ entityType: 'user', entityName: user }, { entityType: 'client-id', entityName: 'app' }]);

      expect(normalize(await describe_(v, [{ entityType: 'user', matchType: EXACT, match: user }], true))).to.deep.equal([
        { entity: [{ entityType: 'user', entityName: user }], values: { producer_byte_rate: 1048576, consumer_byte_rate: 2097152 } },
      ]);
      expect(normalize(await describe_(v, [{ entityType: 'user', matchType: EXACT, match: user }], false))).to.have.length(2);
      expect(normalize(await describe_(v, [{ entityType: 'user', matchType: DEFAULT, match: null }], true))).to.deep.equal([
        { entity: [{ entityType: 'user', entityName: null }], values: { producer_byte_rate: 100 + v } },
      ]);
      expect(normalize(await describe_(v, [{ entityType: 'client-id', matchType: SPECIFIED, match: null }], false))).to.deep.equal([
        { entity: [{ entityType: 'user', entityName: user }, { entityType: 'client-id', entityName: 'app' }], values: { request_percentage: 12.5 } },
      ]);

      // Remove one key, then the last key of an entity: the entity disappears.
      await alter(v, [{ entity: [{ entityType: 'user', entityName: user }], ops: [removal('consumer_byte_rate')] }]);
      await alter(v, [{ entity: [{ entityType: 'user', entityName: user }, { entityType: 'client-id', entityName: 'app' }], ops: [removal('request_percentage')] }]);
      expect(normalize(await describe_(v, [{ entityType: 'user', matchType: EXACT, match: user }], false))).to.deep.equal([
        { entity: [{ entityType: 'user', entityName: user }], values: { producer_byte_rate: 1048576 } },
      ]);
    });
  }

  it('validate_only checks without storing', async () => {
    const res = await alter(1, [{ entity: [{ entityType: 'client-id', entityName: 'dry' }], ops: [op('producer_byte_rate', 5)] }], true);
    expect(res.entries[0].errorCode).to.equal(0);
    expect(normalize(await describe_(1, [{ entityType: 'client-id', matchType: EXACT, match: 'dry' }]))).to.deep.equal([]);
    const bad = await alter(1, [{ entity: [{ entityType: 'client-id', entityName: 'dry' }], ops: [op('bogus_rate', 5)] }], true);
    expect(bad.entries[0].errorCode).to.equal(ErrorCode.INVALID_REQUEST);
  });

  it('answers INVALID_REQUEST per entry for unknown keys, entity types and bad values, applying the valid ones', async () => {
    const res = await alter(1, [
      { entity: [{ entityType: 'client-id', entityName: 'good' }], ops: [op('producer_byte_rate', 10)] },
      { entity: [{ entityType: 'client-id', entityName: 'k' }], ops: [op('no_such_key', 10)] },
      { entity: [{ entityType: 'group', entityName: 'g' }], ops: [op('producer_byte_rate', 10)] },
      { entity: [], ops: [op('producer_byte_rate', 10)] },
      { entity: [{ entityType: 'client-id', entityName: 'f' }], ops: [op('producer_byte_rate', 1.5)] },
      { entity: [{ entityType: 'client-id', entityName: 'n' }], ops: [op('consumer_byte_rate', -1)] },
      { entity: [{ entityType: 'ip', entityName: '10.1.1.1' }, { entityType: 'user', entityName: 'x' }], ops: [op('connection_creation_rate', 10)] },
      { entity: [{ entityType: 'ip', entityName: 'nonsense' }], ops: [op('connection_creation_rate', 10)] },
      { entity: [{ entityType: 'ip', entityName: '10.1.1.1' }], ops: [op('producer_byte_rate', 10)] },
      { entity: [{ entityType: 'ip', entityName: '10.1.1.1' }], ops: [op('connection_creation_rate', 10)] },
    ]);
    expect(res.entries.map((e) => e.errorCode)).to.deep.equal([0, 42, 42, 42, 42, 42, 42, 42, 42, 0]);
    for (const e of res.entries.slice(1, -1)) expect(e.errorMessage).to.be.a('string').and.not.empty;
    expect(normalize(await describe_(1, [{ entityType: 'client-id', matchType: EXACT, match: 'good' }]))).to.have.length(1);
    expect(normalize(await describe_(1, [{ entityType: 'ip', matchType: SPECIFIED, match: null }]))).to.deep.equal([
      { entity: [{ entityType: 'ip', entityName: '10.1.1.1' }], values: { connection_creation_rate: 10 } },
    ]);
  });

  it('answers INVALID_REQUEST for an invalid describe filter', async () => {
    for (const components of [
      [{ entityType: 'user', matchType: EXACT, match: null }],
      [{ entityType: 'user', matchType: 9, match: null }],
      [{ entityType: 'topic', matchType: SPECIFIED, match: null }],
      [
        { entityType: 'ip', matchType: SPECIFIED, match: null },
        { entityType: 'client-id', matchType: SPECIFIED, match: null },
      ],
    ]) {
      const res = await describe_(1, components);
      expect(res.errorCode, JSON.stringify(components)).to.equal(ErrorCode.INVALID_REQUEST);
      expect(res.entries).to.equal(null);
    }
  });

  it('keeps quotas across a restart', async () => {
    await alter(1, [{ entity: [{ entityType: 'user', entityName: 'persist' }, { entityType: 'client-id', entityName: null }], ops: [op('consumer_byte_rate', 4242)] }]);
    const before = normalize(await describe_(1, []));
    client.close();
    await broker.close();
    broker = await startTestBroker({ dataDir });
    client = await RawClient.connect(broker.port);
    expect(normalize(await describe_(1, []))).to.deep.equal(before);
    expect(before.some((e) => e.values.consumer_byte_rate === 4242)).to.equal(true);
    // and the reloaded quota is enforced: it is what the fetch quota resolves to
    expect(broker.services.quotas!.fetch.match('User:persist', 'any')?.limit).to.equal(4242);
  });

  it('a new quota applies to running clients at once', async () => {
    const q = broker.services.quotas!.produce;
    expect(q.match('User:live', 'c')?.limit).to.equal(101); // the <default> user quota set above
    await alter(1, [{ entity: [{ entityType: 'user', entityName: 'live' }], ops: [op('producer_byte_rate', 77)] }]);
    expect(q.match('User:live', 'c')?.limit).to.equal(77);
  });

  describe('with an authorizer', () => {
    let secured: TestBroker;
    before(async () => {
      secured = await startTestBroker({ config: { 'authorizer.class.name': 'brook' } });
      await secured.services.authorizer!.store.add([allow('User:admin', Op.ALTER_CONFIGS, RT.CLUSTER, 'kafka-cluster'), allow('User:admin', Op.DESCRIBE_CONFIGS, RT.CLUSTER, 'kafka-cluster')]);
    });
    after(async () => secured?.destroy());

    it('needs ALTER_CONFIGS / DESCRIBE_CONFIGS on the cluster', async () => {
      const entries = [{ entity: [{ entityType: 'user', entityName: 'z' }], ops: [op('producer_byte_rate', 5)] }];
      const denied = await callAs<AlterClientQuotasResponse>(secured.services, 'User:mallory', ApiKey.AlterClientQuotas, 1, { entries, validateOnly: false });
      expect(denied.entries[0].errorCode).to.equal(ErrorCode.CLUSTER_AUTHORIZATION_FAILED);
      const deniedDescribe = await callAs<DescribeClientQuotasResponse>(secured.services, 'User:mallory', ApiKey.DescribeClientQuotas, 1, { components: [], strict: false });
      expect(deniedDescribe.errorCode).to.equal(ErrorCode.CLUSTER_AUTHORIZATION_FAILED);

      const ok = await callAs<AlterClientQuotasResponse>(secured.services, 'User:admin', ApiKey.AlterClientQuotas, 1, { entries, validateOnly: false });
      expect(ok.entries[0].errorCode).to.equal(0);
      const described = await callAs<DescribeClientQuotasResponse>(secured.services, 'User:admin', ApiKey.DescribeClientQuotas, 1, { components: [], strict: false });
      expect(described.entries).to.have.length(1);
    });
  });
});
