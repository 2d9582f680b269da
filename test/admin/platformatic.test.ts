import { expect } from 'chai';
import { Admin, ConfigResourceTypes, IncrementalAlterConfigOperationTypes, Producer, stringSerializers } from '@platformatic/kafka';
import * as path from 'node:path';
import { ConfigSource } from '../../src/admin/configTypes';
import { startTestBroker, type TestBroker } from '../helpers/broker';

/** @platformatic/kafka covers the admin APIs kafkajs lacks: IncrementalAlterConfigs, DescribeLogDirs, DeleteRecords. */
describe('admin: @platformatic/kafka Admin', () => {
  let broker: TestBroker;
  let admin: Admin;

  before(async () => {
    broker = await startTestBroker();
    admin = new Admin({ clientId: 'brook-admin-test', bootstrapBrokers: [broker.bootstrap] });
  });
  after(async () => {
    await admin.close();
    await broker.destroy();
  });

  it('creates a topic with configs, alters them incrementally and describes the result', async () => {
    await admin.createTopics({ topics: ['plat'], partitions: 2, replicas: 1, configs: [{ name: 'retention.ms', value: '600000' }] });
    await admin.incrementalAlterConfigs({
      resources: [
        {
          resourceType: ConfigResourceTypes.TOPIC,
          resourceName: 'plat',
          configs: [
            { name: 'retention.ms', configOperation: IncrementalAlterConfigOperationTypes.DELETE },
            { name: 'cleanup.policy', configOperation: IncrementalAlterConfigOperationTypes.APPEND, value: 'compact' },
            { name: 'max.message.bytes', configOperation: IncrementalAlterConfigOperationTypes.SET, value: '65536' },
          ],
        },
      ],
    });
    expect(broker.services.metadata.topic('plat')!.configs).to.deep.equal({ 'cleanup.policy': 'delete,compact', 'max.message.bytes': '65536' });
    expect(broker.services.logs.get('plat', 1)!.currentConfig()).to.include({ cleanupPolicy: 'compact,delete', maxMessageBytes: 65536, retentionMs: 604800000 });

    const [described] = await admin.describeConfigs({
      includeSynonyms: true,
      includeDocumentation: true,
      resources: [{ resourceType: ConfigResourceTypes.TOPIC, resourceName: 'plat', configurationKeys: ['retention.ms', 'max.message.bytes'] }],
    });
    const byName = new Map(described.configs.map((c) => [c.name, c]));
    expect(byName.get('retention.ms')).to.include({ value: '604800000', configSource: ConfigSource.DEFAULT_CONFIG });
    expect(byName.get('max.message.bytes')).to.include({ value: '65536', configSource: ConfigSource.DYNAMIC_TOPIC_CONFIG });
    expect(byName.get('max.message.bytes')!.documentation).to.be.a('string').and.not.equal('');
  });

  it('deletes records and describes log dirs', async () => {
    const producer = new Producer({ clientId: 'brook-admin-test', bootstrapBrokers: [broker.bootstrap], serializers: stringSerializers });
    try {
      // keyed: the test before made 'plat' compact,delete, which refuses records without a key (as Kafka)
      await producer.send({ messages: Array.from({ length: 6 }, (_, i) => ({ topic: 'plat', key: `k${i}`, value: `m${i}`, partition: 0 })) });
    } finally {
      await producer.close();
    }
    const deleted = await admin.deleteRecords({ topics: [{ name: 'plat', partitions: [{ partition: 0, offset: 3n }] }] });
    expect(deleted).to.deep.equal([{ name: 'plat', partitions: [{ partition: 0, lowWatermark: 3n }] }]);

    const dirs = await admin.describeLogDirs({ topics: [{ name: 'plat', partitions: [0, 1] }] });
    expect(dirs).to.have.length(1);
    const [dir] = dirs[0].results;
    expect(dir.logDir).to.equal(path.resolve(broker.dataDir));
    const sizes = dir.topics.find((t) => t.name === 'plat')!.partitions.map((p) => [p.partitionIndex, p.partitionSize > 0n]);
    expect(sizes).to.deep.equal([
      [0, true],
      [1, false],
    ]);
  });
});
