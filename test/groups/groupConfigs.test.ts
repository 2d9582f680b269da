/**
 * Group configs on GROUP resources under Kafka's names (GroupConfig): `consumer.session.timeout.ms` and
 * `consumer.heartbeat.interval.ms` for KIP-848 groups, `share.*` for share groups. Found by a tester: Brook only knew
 * `group.share.*` (Kafka's broker-level names) and refused Kafka's group-level ones, and KIP-848 groups had no
 * per-group timeouts at all.
 */
import { expect } from 'chai';
import { ErrorCode } from '../../protocol/errors';
import { ApiKey } from '../../protocol/generated/apis';
import type { ConsumerGroupHeartbeatResponse } from '../../protocol/generated/messages/ConsumerGroupHeartbeatResponse';
import type { DescribeConfigsResponse } from '../../protocol/generated/messages/DescribeConfigsResponse';
import type { IncrementalAlterConfigsResponse } from '../../protocol/generated/messages/IncrementalAlterConfigsResponse';
import { startTestBroker, tempDataDir, type TestBroker } from '../helpers/broker';
import { eventually } from '../helpers/eventually';
import { RawClient } from '../helpers/rawClient';

const GROUP_RESOURCE = 32;

describe('group configs on GROUP resources (Kafka names, KIP-848 timeouts)', function () {
  this.timeout(60_000);
  const dataDir = tempDataDir();
  // the broker's default session is long; its bounds let a group choose a short one
  const config = { 'group.consumer.min.session.timeout.ms': '1000', 'group.consumer.min.heartbeat.interval.ms': '100' };
  let broker: TestBroker;
  let raw: RawClient;

  before(async () => {
    broker = await startTestBroker({ dataDir, config });
    await broker.services.metadata.createTopic('cfg-t', { partitions: 2 });
    raw = await RawClient.connect(broker.port);
  });
  after(async () => {
    raw?.close();
    await broker?.destroy();
  });

  const alter = async (group: string, configs: Record<string, string | null>): Promise<[number, string | null]> => {
    const r = await raw.request<IncrementalAlterConfigsResponse>(ApiKey.IncrementalAlterConfigs, 1, {
      resources: [{ resourceType: GROUP_RESOURCE, resourceName: group, configs: Object.entries(configs).map(([name, value]) => ({ name, configOperation: value === null ? 1 : 0, value })) }],
      validateOnly: false,
    });
    return [r.responses[0]!.errorCode, r.responses[0]!.errorMessage];
  };
  const describe = async (group: string, keys: string[] | null = null): Promise<Map<string, string | null>> => {
    const r = await raw.request<DescribeConfigsResponse>(ApiKey.DescribeConfigs, 4, {
      resources: [{ resourceType: GROUP_RESOURCE, resourceName: group, configurationKeys: keys }],
      includeSynonyms: false,
      includeDocumentation: false,
    });
    expect(r.results[0]!.errorCode).to.equal(0);
    return new Map(r.results[0]!.configs.map((c) => [c.name, c.value]));
  };
  const join = (group: string, memberId: string) =>
    raw.request<ConsumerGroupHeartbeatResponse>(ApiKey.ConsumerGroupHeartbeat, 1, {
      groupId: group, memberId, memberEpoch: 0, instanceId: null, rackId: null, rebalanceTimeoutMs: 30000,
      subscribedTopicNames: ['cfg-t'], subscribedTopicRegex: null, serverAssignor: null, topicPartitions: [],
    });

  it("accepts and lists Kafka's group config names; Brook's former group.share.* names still set them", async () => {
    for (const [name, value] of [
      ['share.record.lock.duration.ms', '15000'], ['share.session.timeout.ms', '50000'], ['share.heartbeat.interval.ms', '6000'],
      ['share.delivery.count.limit', '4'], ['consumer.session.timeout.ms', '50000'], ['consumer.heartbeat.interval.ms', '6000'],
    ]) {
      expect(await alter('g-names', { [name]: value }), name).to.deep.equal([0, null]);
    }
    // the former name sets Kafka's config, which is what DescribeConfigs lists
    expect(await alter('g-names', { 'group.share.record.lock.duration.ms': '20000' })).to.deep.equal([0, null]);
    const listed = await describe('g-names');
    expect([...listed.keys()].filter((n) => n.startsWith('group.'))).to.deep.equal([]);
    expect(Object.fromEntries([...listed].filter(([n]) => /^(consumer|share)\.(session|heartbeat|record|delivery)/.test(n)))).to.deep.equal({
      'consumer.session.timeout.ms': '50000',
      'consumer.heartbeat.interval.ms': '6000',
      'share.record.lock.duration.ms': '20000',
      'share.delivery.count.limit': '4',
      'share.session.timeout.ms': '50000',
      'share.heartbeat.interval.ms': '6000',
    });
    expect([...(await describe('g-names', ['group.share.delivery.count.limit'])).entries()]).to.deep.equal([['share.delivery.count.limit', '4']]);
    // a group without configs lists the broker's KIP-848 defaults
    const fresh = await describe('g-fresh', ['consumer.session.timeout.ms', 'consumer.heartbeat.interval.ms']);
    expect(Object.fromEntries(fresh)).to.deep.equal({ 'consumer.session.timeout.ms': '45000', 'consumer.heartbeat.interval.ms': '5000' });
  });

  it("refuses consumer timeouts outside the broker's group.consumer.min/max bounds, or a session not above the heartbeat", async () => {
    expect((await alter('g-bad', { 'consumer.session.timeout.ms': '999' }))[0]).to.equal(ErrorCode.INVALID_CONFIG);
    expect((await alter('g-bad', { 'consumer.session.timeout.ms': '60001' }))[0]).to.equal(ErrorCode.INVALID_CONFIG);
    expect((await alter('g-bad', { 'consumer.heartbeat.interval.ms': '15001' }))[0]).to.equal(ErrorCode.INVALID_CONFIG);
    expect((await alter('g-bad', { 'consumer.session.timeout.ms': '2000', 'consumer.heartbeat.interval.ms': '2000' }))[0]).to.equal(ErrorCode.INVALID_CONFIG);
    expect((await describe('g-bad', ['consumer.session.timeout.ms'])).get('consumer.session.timeout.ms')).to.equal('45000');
  });

  it("a KIP-848 group is told its own heartbeat interval and loses a silent member after its own session timeout", async () => {
    expect(await alter('g-848', { 'consumer.session.timeout.ms': '1500', 'consumer.heartbeat.interval.ms': '250' })).to.deep.equal([0, null]);
    const a = await join('g-848', 'quiet-member');
    expect([a.errorCode, a.heartbeatIntervalMs]).to.deep.equal([0, 250]);
    // other groups keep the broker's interval
    expect((await join('g-other', 'm')).heartbeatIntervalMs).to.equal(5000);
    // the broker's session is 45 s: a removal within seconds is the group's 1.5 s
    const groups = broker.services.groups!;
    await eventually(() => groups.describeConsumerGroup('g-848').members.length === 0, 'the silent member removed', { ms: 10_000, intervalMs: 100 });
  });

  it('keeps the group configs across a restart, under their names', async () => {
    expect(await alter('g-kept', { 'consumer.heartbeat.interval.ms': '400' })).to.deep.equal([0, null]);
    raw.close();
    await broker.close();
    broker = await startTestBroker({ dataDir, config });
    raw = await RawClient.connect(broker.port);
    expect((await join('g-kept', 'm1')).heartbeatIntervalMs).to.equal(400);
    expect((await describe('g-names', ['share.record.lock.duration.ms'])).get('share.record.lock.duration.ms')).to.equal('20000');
    // a delete goes back to the broker's
    expect(await alter('g-kept', { 'consumer.heartbeat.interval.ms': null })).to.deep.equal([0, null]);
    expect((await join('g-kept', 'm2')).heartbeatIntervalMs).to.equal(5000);
  });
});
