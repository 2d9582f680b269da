import { expect } from 'chai';
import { DEFAULT_LOG_CONFIG } from '../../storage/config';
import { logConfigFromTopicConfigs, logDefaultsFromBrokerProps } from '../../src/config/logConfigMapping';
import { buildConfig } from '../../src/config/load';
import { describeTopicConfigs, topicConfigProblem } from '../../src/admin/topicConfigs';
import { topicConfigDefs } from '../../src/admin/topicConfigCatalog';
import { ConfigSource } from '../../src/admin/configTypes';
import type { TopicInfo } from '../../src/metadata/types';

const topic = (configs: Record<string, string> = {}): TopicInfo => ({ name: 't', id: Buffer.alloc(16, 1), partitions: 1, configs, internal: false });

describe('admin: topic config catalog', () => {
  it('accepts every default it reports', () => {
    for (const def of topicConfigDefs()) {
      if (def.defaultValue === null || def.defaultValue === '') continue;
      expect(topicConfigProblem(def.name, def.defaultValue), def.name).to.equal(null);
    }
  });

  it('reports the same defaults storage uses when nothing is configured', () => {
    const described = new Map(describeTopicConfigs(topic(), buildConfig({})).map((c) => [c.name, c.value!]));
    const mapped = logConfigFromTopicConfigs(Object.fromEntries(described));
    for (const [field, value] of Object.entries(mapped)) {
      expect(value, field).to.equal(DEFAULT_LOG_CONFIG[field as keyof typeof DEFAULT_LOG_CONFIG]);
    }
    // Every storage-mapped field is covered by some catalog entry, except tagIndex: the broker derives it from the
    // views of a topic (src/views/sourceIndexing.ts), it is no topic config.
    expect(Object.keys(mapped).sort()).to.deep.equal(Object.keys(DEFAULT_LOG_CONFIG).filter((k) => k !== 'tagIndex').sort());
  });

  it('reports what a broker property makes storage use, with hours and minutes scaled to ms', () => {
    const props = { 'log.retention.minutes': '90', 'log.roll.hours': '2', 'log.segment.bytes': '65536' };
    const described = new Map(describeTopicConfigs(topic(), buildConfig(props)).map((c) => [c.name, c]));
    const storage = logDefaultsFromBrokerProps(props);
    // The values are what storage uses; the source follows Kafka's synonym rule: with no log.retention.ms or
    // log.roll.ms entry there is no synonym, so DEFAULT_CONFIG (see topicConfigs.ts synonymsOf).
    expect(described.get('retention.ms')).to.include({ value: String(storage.retentionMs), source: ConfigSource.DEFAULT_CONFIG });
    expect(described.get('segment.ms')).to.include({ value: String(storage.segmentMs), source: ConfigSource.DEFAULT_CONFIG });
    expect(described.get('segment.bytes')).to.include({ value: '65536', source: ConfigSource.STATIC_BROKER_CONFIG });
  });

  it('refuses unknown keys, wrong types and out-of-range values, with the key in the reason', () => {
    const bad: Array<[string, string]> = [
      ['no.such', '1'],
      ['retention.ms', '1.5'],
      ['retention.ms', '-2'],
      ['retention.bytes', '99999999999999999999'],
      ['segment.bytes', '2147483648'],
      ['segment.bytes', '13'],
      ['cleanup.policy', 'delete,shred'],
      ['cleanup.policy', ''],
      ['preallocate', 'yes'],
      ['min.cleanable.dirty.ratio', '1.5'],
      ['message.timestamp.type', 'NowTime'],
      ['remote.storage.enable', 'true'],
    ];
    for (const [k, v] of bad) expect(topicConfigProblem(k, v), `${k}=${v}`).to.be.a('string').and.include(k);
    const good: Array<[string, string]> = [
      ['retention.ms', '-1'],
      ['cleanup.policy', 'compact,delete'],
      ['compression.type', 'zstd'],
      ['min.insync.replicas', '2'],
      ['segment.bytes', '1024'],
      ['flush.ms', '9223372036854775807'],
    ];
    for (const [k, v] of good) expect(topicConfigProblem(k, v), `${k}=${v}`).to.equal(null);
  });
});
