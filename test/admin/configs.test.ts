import { expect } from 'chai';
import { SHARE_CONFIG_DEFS } from '../../src/share/config';
import { rmSync } from 'node:fs';
import { ConfigResourceTypes, Kafka, logLevel, type Admin } from 'kafkajs';
import { ErrorCode } from '../../protocol/errors';
import { ApiKey } from '../../protocol/generated/apis';
import type { DescribeConfigsResponse } from '../../protocol/generated/messages/DescribeConfigsResponse';
import type { IncrementalAlterConfigsResponse } from '../../protocol/generated/messages/IncrementalAlterConfigsResponse';
import type { AlterConfigsResponse } from '../../protocol/generated/messages/AlterConfigsResponse';
import { AlterConfigOp, ConfigSource, ConfigType } from '../../src/admin/configTypes';
import { startTestBroker, type TestBroker } from '../helpers/broker';
import { RawClient } from '../helpers/rawClient';
import { tempDataDir } from '../helpers/tempDir';
import { eventually } from '../helpers/eventually';

const TOPIC = 2;
const BROKER = 4;
const BROKER_LOGGER = 8;

type Op = { name: string; configOperation: number; value: string | null };

function incremental(raw: RawClient, resources: Array<{ type: number; name: string; ops: Op[] }>, validateOnly = false, version = 1) {
  return raw.request<IncrementalAlterConfigsResponse>(ApiKey.IncrementalAlterConfigs, version, {
    validateOnly,
    resources: resources.map((r) => ({ resourceType: r.type, resourceName: r.name, configs: r.ops })),
  });
}

async function describeTopic(admin: Admin, topic: string, configNames?: string[]) {
  const res = await admin.describeConfigs({ includeSynonyms: true, resources: [{ type: ConfigResourceTypes.TOPIC, name: topic, configNames }] });
  return new Map(res.resources[0].configEntries.map((e) => [e.configName, e]));
}

describe('admin: DescribeConfigs, AlterConfigs, IncrementalAlterConfigs', () => {
  let broker: TestBroker;
  let admin: Admin;
  let raw: RawClient;

  before(async () => {
    broker = await startTestBroker({ config: { 'log.retention.hours': '48', 'log.roll.ms': '3600000', 'log.segment.bytes': '5000000', 'ssl.keystore.password': 'hunter2' } });
    admin = new Kafka({ brokers: [broker.bootstrap], clientId: 'configs-test', logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    raw = await RawClient.connect(broker.port);
    await broker.services.metadata.createTopic('cfg', { partitions: 2, configs: { 'max.message.bytes': '2000' } });
  });
  after(async () => {
    raw.close();
    await admin.disconnect();
    await broker.destroy();
  });

  it('describes a topic: overrides, static broker values, defaults, with synonyms', async () => {
    const entries = await describeTopic(admin, 'cfg');
    const mmb = entries.get('max.message.bytes')!;
    expect(mmb).to.include({ configValue: '2000', configSource: ConfigSource.DYNAMIC_TOPIC_CONFIG, readOnly: false, isDefault: false });
    expect(mmb.configSynonyms.map((s) => [s.configName, s.configValue, s.configSource])).to.deep.equal([
      ['max.message.bytes', '2000', ConfigSource.DYNAMIC_TOPIC_CONFIG],
      ['message.max.bytes', '1048588', ConfigSource.DEFAULT_CONFIG],
    ]);
    const synonyms = (name: string) => entries.get(name)!.configSynonyms.map((s) => [s.configName, s.configValue, s.configSource]);
    // log.retention.hours=48 on the broker is what the topic inherits, in ms. Kafka lists synonyms only from the
    // first log.retention.ms entry on (ConfigHelper.configSynonyms), so log.retention.hours, set or default, is not
    // one, and with no synonym the source is DEFAULT_CONFIG.
    const retention = entries.get('retention.ms')!;
    expect(retention).to.include({ configValue: String(48 * 3600_000), configSource: ConfigSource.DEFAULT_CONFIG });
    expect(synonyms('retention.ms')).to.deep.equal([]);
    // log.roll.ms set on the broker: it leads, then the broker default of log.roll.hours.
    expect(entries.get('segment.ms')).to.include({ configValue: '3600000', configSource: ConfigSource.STATIC_BROKER_CONFIG });
    expect(synonyms('segment.ms')).to.deep.equal([
      ['log.roll.ms', '3600000', ConfigSource.STATIC_BROKER_CONFIG],
      ['log.roll.hours', '168', ConfigSource.DEFAULT_CONFIG],
    ]);
    // log.flush.interval.ms has no default: none; a single broker property with a default: that default.
    expect(synonyms('flush.ms')).to.deep.equal([]);
    expect(synonyms('segment.jitter.ms')).to.deep.equal([]);
    expect(synonyms('cleanup.policy')).to.deep.equal([['log.cleanup.policy', 'delete', ConfigSource.DEFAULT_CONFIG]]);
    expect(synonyms('segment.bytes')).to.deep.equal([
      ['log.segment.bytes', '5000000', ConfigSource.STATIC_BROKER_CONFIG],
      ['log.segment.bytes', '1073741824', ConfigSource.DEFAULT_CONFIG],
    ]);
    // A topic config without a broker property has no synonym unless the topic sets it.
    expect(synonyms('leader.replication.throttled.replicas')).to.deep.equal([]);
    expect(entries.get('segment.bytes')).to.include({ configValue: '5000000', configSource: ConfigSource.STATIC_BROKER_CONFIG });
    expect(entries.get('cleanup.policy')).to.include({ configValue: 'delete', configSource: ConfigSource.DEFAULT_CONFIG });
    expect(entries.size).to.be.greaterThan(25);

    const only = await describeTopic(admin, 'cfg', ['segment.ms', 'retention.bytes']);
    expect([...only.keys()].sort()).to.deep.equal(['retention.bytes', 'segment.ms']);
  });

  it('v3+ gives config types and documentation on request; v0 gives is_default', async () => {
    const ask = (version: number, includeDocumentation: boolean) =>
      raw.request<DescribeConfigsResponse>(ApiKey.DescribeConfigs, version, {
        includeSynonyms: false,
        includeDocumentation,
        resources: [{ resourceType: TOPIC, resourceName: 'cfg', configurationKeys: ['retention.ms', 'cleanup.policy', 'preallocate', 'max.message.bytes', 'min.insync.replicas', 'unclean.leader.election.enable'] }],
      });
    const v4 = await ask(4, true);
    const byName = new Map(v4.results[0].configs.map((c) => [c.name, c]));
    expect(byName.get('retention.ms')!.configType).to.equal(ConfigType.LONG);
    expect(byName.get('cleanup.policy')!.configType).to.equal(ConfigType.LIST);
    expect(byName.get('preallocate')!.configType).to.equal(ConfigType.BOOLEAN);
    expect(byName.get('max.message.bytes')!.configType).to.equal(ConfigType.INT);
    expect(byName.get('retention.ms')!.documentation).to.match(/segment/);
    expect(byName.get('preallocate')!.documentation).to.match(/does not act on it/);
    // enforced by the cluster's replication, so not listed as ignored (found by a user comparing with the README)
    expect(byName.get('min.insync.replicas')!.documentation).to.not.match(/does not act on it/);
    expect(byName.get('unclean.leader.election.enable')!.documentation).to.not.match(/does not act on it/);
    expect(byName.get('retention.ms')!.synonyms).to.deep.equal([]);
    const noDocs = await ask(3, false);
    expect(noDocs.results[0].configs.every((c) => c.documentation === null)).to.equal(true);

    const v0 = await ask(0, false);
    const v0ByName = new Map(v0.results[0].configs.map((c) => [c.name, c]));
    expect(v0ByName.get('cleanup.policy')!.isDefault).to.equal(true);
    expect(v0ByName.get('max.message.bytes')!.isDefault).to.equal(false);
    // Kafka's is_default is source == DEFAULT_CONFIG: true for retention.ms even under log.retention.hours (see above).
    expect(v0ByName.get('retention.ms')!.isDefault).to.equal(true);
  });

  it('describes the broker (static ones read-only, secrets hidden), an empty logger list, and refuses unknown resources', async () => {
    const res = await admin.describeConfigs({ includeSynonyms: false, resources: [{ type: ConfigResourceTypes.BROKER, name: '1' }] });
    const entries = new Map(res.resources[0].configEntries.map((e) => [e.configName, e]));
    // log defaults may be changed at runtime (dynamic broker configs); num.partitions may not
    expect(entries.get('log.retention.hours')).to.include({ configValue: '48', configSource: ConfigSource.STATIC_BROKER_CONFIG, readOnly: false });
    expect(entries.get('num.partitions')).to.include({ configValue: '1', configSource: ConfigSource.DEFAULT_CONFIG, readOnly: true });
    expect(entries.get('ssl.keystore.password')).to.include({ configValue: null, isSensitive: true });
    expect(entries.get('listeners')!.configValue).to.equal(`PLAINTEXT://127.0.0.1:${broker.port}`);
    // listener-scope Brook configs (docs/EXTENSIONS.md) are listed with their broker-wide value, read-only
    expect(entries.get('brook.ssl.handshake.timeout.ms')).to.include({ configValue: '10000', configSource: ConfigSource.DEFAULT_CONFIG, readOnly: true });
    expect(entries.get('brook.sasl.authentication.timeout.ms')).to.include({ configValue: '10000', configSource: ConfigSource.DEFAULT_CONFIG, readOnly: true });

    const r = await raw.request<DescribeConfigsResponse>(ApiKey.DescribeConfigs, 4, {
      includeSynonyms: true,
      resources: [
        { resourceType: BROKER_LOGGER, resourceName: '1', configurationKeys: null },
        { resourceType: BROKER, resourceName: '99', configurationKeys: null },
        { resourceType: TOPIC, resourceName: 'nope', configurationKeys: null },
        { resourceType: 16, resourceName: 'some-metrics', configurationKeys: null },
        { resourceType: 32, resourceName: 'some-group', configurationKeys: null },
        { resourceType: BROKER, resourceName: '', configurationKeys: ['num.partitions'] },
      ],
    });
    expect(r.results.map((x) => [x.resourceType, x.errorCode, x.configs.length])).to.deep.equal([
      [BROKER_LOGGER, 0, 0],
      [BROKER, ErrorCode.INVALID_REQUEST, 0],
      [TOPIC, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, 0],
      [16, ErrorCode.INVALID_REQUEST, 0],
      // GROUP resources carry the share-group configs (src/share/config.ts), listed for any group name.
      [32, 0, SHARE_CONFIG_DEFS.length],
      // the empty name is the cluster-wide dynamic default, which sets nothing here
      [BROKER, 0, 0],
    ]);
  });

  it('AlterConfigs replaces the whole override set and the logs follow, including back to defaults', async () => {
    await admin.alterConfigs({
      validateOnly: false,
      resources: [{ type: ConfigResourceTypes.TOPIC, name: 'cfg', configEntries: [{ name: 'retention.ms', value: '120000' }, { name: 'segment.ms', value: '60000' }] }],
    });
    expect(broker.services.metadata.topic('cfg')!.configs).to.deep.equal({ 'retention.ms': '120000', 'segment.ms': '60000' });
    for (const p of [0, 1]) {
      // Logs are opened lazily; open them to check what they were given.
      await broker.services.logs.create('cfg', p);
    }
    await admin.alterConfigs({
      validateOnly: false,
      resources: [{ type: ConfigResourceTypes.TOPIC, name: 'cfg', configEntries: [{ name: 'retention.ms', value: '120000' }, { name: 'segment.ms', value: '60000' }] }],
    });
    const log = broker.services.logs.get('cfg', 1)!;
    expect(log.currentConfig()).to.include({ retentionMs: 120000, segmentMs: 60000, maxMessageBytes: 1048588 });
    expect(log.currentConfig().segmentBytes).to.equal(5000000);

    // validateOnly and bad values change nothing.
    await admin.alterConfigs({ validateOnly: true, resources: [{ type: ConfigResourceTypes.TOPIC, name: 'cfg', configEntries: [] }] });
    const bad = await raw.request<AlterConfigsResponse>(ApiKey.AlterConfigs, 2, {
      validateOnly: false,
      resources: [
        { resourceType: TOPIC, resourceName: 'cfg', configs: [{ name: 'retention.ms', value: 'forever' }] },
        { resourceType: TOPIC, resourceName: 'cfg', configs: [{ name: 'made.up', value: '1' }] },
        { resourceType: TOPIC, resourceName: 'cfg', configs: [{ name: 'retention.ms', value: null }] },
        { resourceType: TOPIC, resourceName: 'nope', configs: [] },
        { resourceType: BROKER, resourceName: '1', configs: [{ name: 'num.partitions', value: '5' }] },
      ],
    });
    expect(bad.responses.map((x) => x.errorCode)).to.deep.equal([
      ErrorCode.INVALID_CONFIG,
      ErrorCode.INVALID_CONFIG,
      ErrorCode.INVALID_REQUEST,
      ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
      ErrorCode.INVALID_REQUEST,
    ]);
    expect(bad.responses[0].errorMessage).to.match(/retention\.ms/);
    expect(broker.services.metadata.topic('cfg')!.configs).to.deep.equal({ 'retention.ms': '120000', 'segment.ms': '60000' });

    await admin.alterConfigs({ validateOnly: false, resources: [{ type: ConfigResourceTypes.TOPIC, name: 'cfg', configEntries: [{ name: 'segment.ms', value: '60000' }] }] });
    expect(broker.services.metadata.topic('cfg')!.configs).to.deep.equal({ 'segment.ms': '60000' });
    expect(log.currentConfig().retentionMs).to.equal(48 * 3600_000);
    const entries = await describeTopic(admin, 'cfg', ['retention.ms']);
    // Back to the broker's log.retention.hours; Kafka's source for it is DEFAULT_CONFIG (no log.retention.ms synonym).
    expect(entries.get('retention.ms')!).to.include({ configValue: String(48 * 3600_000), configSource: ConfigSource.DEFAULT_CONFIG });
  });

  it('IncrementalAlterConfigs: SET, DELETE, APPEND and SUBTRACT on lists, errors per resource, validateOnly', async () => {
    let res = await incremental(raw, [
      {
        type: TOPIC,
        name: 'cfg',
        ops: [
          { name: 'retention.bytes', configOperation: AlterConfigOp.SET, value: '123456' },
          { name: 'segment.ms', configOperation: AlterConfigOp.DELETE, value: null },
          { name: 'cleanup.policy', configOperation: AlterConfigOp.APPEND, value: 'compact' },
        ],
      },
    ]);
    expect(res.responses.map((r) => r.errorCode)).to.deep.equal([0]);
    expect(broker.services.metadata.topic('cfg')!.configs).to.deep.equal({ 'retention.bytes': '123456', 'cleanup.policy': 'delete,compact' });
    const log = broker.services.logs.get('cfg', 0)!;
    expect(log.currentConfig()).to.include({ retentionBytes: 123456, cleanupPolicy: 'compact,delete', segmentMs: 3600_000 }); // the broker's log.roll.ms

    res = await incremental(raw, [{ type: TOPIC, name: 'cfg', ops: [{ name: 'cleanup.policy', configOperation: AlterConfigOp.SUBTRACT, value: 'delete' }] }], false, 0);
    expect(res.responses[0].errorCode).to.equal(0);
    expect(broker.services.metadata.topic('cfg')!.configs['cleanup.policy']).to.equal('compact');
    expect(log.currentConfig().cleanupPolicy).to.equal('compact');

    res = await incremental(raw, [
      { type: TOPIC, name: 'cfg', ops: [{ name: 'retention.ms', configOperation: AlterConfigOp.APPEND, value: '5' }] },
      { type: TOPIC, name: 'cfg', ops: [{ name: 'cleanup.policy', configOperation: AlterConfigOp.SUBTRACT, value: 'compact' }] },
      { type: TOPIC, name: 'cfg', ops: [{ name: 'retention.ms', configOperation: 9, value: '5' }] },
      { type: TOPIC, name: 'cfg', ops: [{ name: 'retention.ms', configOperation: AlterConfigOp.SET, value: '-2' }] },
      { type: TOPIC, name: 'cfg', ops: [{ name: 'retention.ms', configOperation: AlterConfigOp.SET, value: '1' }, { name: 'retention.ms', configOperation: AlterConfigOp.DELETE, value: null }] },
      { type: TOPIC, name: 'cfg', ops: [{ name: 'compression.type', configOperation: AlterConfigOp.SET, value: 'brotli' }] },
      { type: BROKER, name: '1', ops: [{ name: 'num.partitions', configOperation: AlterConfigOp.SET, value: '3' }] },
      { type: BROKER_LOGGER, name: '1', ops: [{ name: 'kafka.server', configOperation: AlterConfigOp.SET, value: 'DEBUG' }] },
      { type: TOPIC, name: 'nope', ops: [] },
    ]);
    expect(res.responses.map((r) => r.errorCode)).to.deep.equal([
      ErrorCode.INVALID_CONFIG, // APPEND on a non-list
      ErrorCode.INVALID_CONFIG, // empty cleanup.policy
      ErrorCode.INVALID_REQUEST, // unknown operation
      ErrorCode.INVALID_CONFIG, // below -1
      ErrorCode.INVALID_REQUEST, // same key twice
      ErrorCode.INVALID_CONFIG, // not a codec
      ErrorCode.INVALID_REQUEST, // read-only broker configs
      ErrorCode.INVALID_REQUEST, // no loggers
      ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
    ]);
    expect(broker.services.metadata.topic('cfg')!.configs).to.deep.equal({ 'retention.bytes': '123456', 'cleanup.policy': 'compact' });

    res = await incremental(raw, [{ type: TOPIC, name: 'cfg', ops: [{ name: 'retention.bytes', configOperation: AlterConfigOp.DELETE, value: null }] }], true);
    expect(res.responses[0].errorCode).to.equal(0);
    expect(broker.services.metadata.topic('cfg')!.configs['retention.bytes']).to.equal('123456');
  });
});

describe('admin: config changes across restarts and retention', () => {
  it('keeps altered topic configs after a restart, in metadata and in the reopened logs', async () => {
    const dataDir = tempDataDir();
    try {
      const first = await startTestBroker({ dataDir });
      const raw = await RawClient.connect(first.port);
      await first.services.metadata.createTopic('persist', { partitions: 1 });
      await first.services.logs.create('persist', 0);
      const res = await incremental(raw, [
        {
          type: TOPIC,
          name: 'persist',
          ops: [
            { name: 'retention.ms', configOperation: AlterConfigOp.SET, value: '777000' },
            { name: 'max.message.bytes', configOperation: AlterConfigOp.SET, value: '4096' },
          ],
        },
      ]);
      expect(res.responses[0].errorCode).to.equal(0);
      raw.close();
      await first.close();

      const second = await startTestBroker({ dataDir });
      const admin = new Kafka({ brokers: [second.bootstrap], logLevel: logLevel.NOTHING }).admin();
      try {
        await admin.connect();
        const entries = await describeTopic(admin, 'persist', ['retention.ms', 'max.message.bytes']);
        expect(entries.get('retention.ms')).to.include({ configValue: '777000', configSource: ConfigSource.DYNAMIC_TOPIC_CONFIG });
        expect(entries.get('max.message.bytes')).to.include({ configValue: '4096', configSource: ConfigSource.DYNAMIC_TOPIC_CONFIG });
        expect(second.services.logs.get('persist', 0)!.currentConfig()).to.include({ retentionMs: 777000, maxMessageBytes: 4096 });
      } finally {
        await admin.disconnect();
        await second.close();
      }
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('retention.ms lowered through IncrementalAlterConfigs makes storage delete old segments', async () => {
    const broker = await startTestBroker();
    const kafka = new Kafka({ brokers: [broker.bootstrap], logLevel: logLevel.NOTHING });
    const admin = kafka.admin();
    const producer = kafka.producer();
    const raw = await RawClient.connect(broker.port);
    try {
      await admin.connect();
      await producer.connect();
      await admin.createTopics({ topics: [{ topic: 'short-lived', numPartitions: 1, configEntries: [{ name: 'segment.bytes', value: '1024' }] }] });
      for (let i = 0; i < 20; i++) await producer.send({ topic: 'short-lived', messages: [{ value: 'x'.repeat(200) }] });
      const log = broker.services.logs.get('short-lived', 0)!;
      expect(log.segmentCount).to.be.greaterThan(3);
      expect((await admin.fetchTopicOffsets('short-lived'))[0].low).to.equal('0');

      const res = await incremental(raw, [{ type: TOPIC, name: 'short-lived', ops: [{ name: 'retention.ms', configOperation: AlterConfigOp.SET, value: '1' }] }]);
      expect(res.responses[0].errorCode).to.equal(0);
      // The broker's retention pass runs on its own timer; wait for its effect, with a deadline.
      await eventually(() => {
        expect(log.segmentCount, 'segments left').to.equal(1);
        return true;
      }, 'the expired segments deleted', 15_000);
      const offsets = (await admin.fetchTopicOffsets('short-lived'))[0];
      // the log now starts at its only (active) segment
      expect(offsets.low).to.equal(String(log.segmentBaseOffsets()[0]));
      expect(log.logStartOffset).to.equal(log.segmentBaseOffsets()[0]);
      expect(offsets.high).to.equal('20');
    } finally {
      raw.close();
      await producer.disconnect();
      await admin.disconnect();
      await broker.destroy();
    }
  });
});
