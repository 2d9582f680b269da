import { expect } from 'chai';
import { ConfigResourceTypes, Kafka, logLevel, type Admin } from 'kafkajs';
import { ConfigSource } from '../../src/admin/configTypes';
import { startTestBroker, type TestBroker } from '../helpers/broker';
import { tempDataDir } from '../helpers/tempDir';
import { runPython } from '../helpers/python';
import { brook } from '../ops/cliHarness';
import { EtcdTestCluster, eventually } from './helpers/etcdCluster';

const DRIVER = `${__dirname}/drivers/confluent_admin.py`;

/** confluent-kafka's admin client (librdkafka). */
async function confluent<T>(args: Record<string, unknown>): Promise<T> {
  const r = await runPython([DRIVER, JSON.stringify(args)]);
  if (r.code !== 0) throw new Error(`confluent_admin.py failed (${r.code}): ${r.err}`);
  return JSON.parse(r.out) as T;
}

type Described = Record<string, { value: string | null; source: number; readOnly: boolean }>;

const HOUR = 3_600_000;

async function produceOld(kafka: Kafka, topic: string, count: number): Promise<void> {
  const producer = kafka.producer();
  await producer.connect();
  // an hour old: past a 10 minute retention, well within the 7 day default
  const timestamp = String(Date.now() - HOUR);
  for (let i = 0; i < count; i++) await producer.send({ topic, acks: -1, messages: [{ partition: 0, value: `old-${i}-${'o'.repeat(200)}`, timestamp }] });
  await producer.disconnect();
}

async function lowOffset(admin: Admin, topic: string): Promise<number> {
  const offsets = await admin.fetchTopicOffsets(topic);
  return Number(offsets.find((o) => o.partition === 0)!.low);
}

/** What a broker's copy looks like: named when retention does not follow, to tell a missed config from a missed pass. */
function logFacts(id: number, b: TestBroker, topic: string): string {
  const log = b.services.logs.get(topic, 0);
  if (!log) return `broker ${id}: no log`;
  const segs = log.segmentList().map((s) => `${s.baseOffset}@${s.maxTimestamp}`);
  return `broker ${id}: retention.ms ${log.currentConfig().retentionMs}, start ${log.logStartOffset}, open ${log.isOpen}, background ${log.hasBackgroundWork}, segments ${segs.join(' ')}`;
}

async function describe1(admin: Admin, type: ConfigResourceTypes, name: string, config: string) {
  const res = await admin.describeConfigs({ includeSynonyms: true, resources: [{ type, name, configNames: [config] }] });
  return res.resources[0]!.configEntries.find((e) => e.configName === config);
}

describe('cluster: dynamic broker configs (confluent-kafka and kafkajs admin)', function () {
  this.timeout(180_000);
  let c: EtcdTestCluster | null = null;
  let single: TestBroker | null = null;

  afterEach(async () => {
    await c?.stop();
    c = null;
    await single?.close();
    single = null;
  });

  it('a cluster-wide log.retention.ms default reaches topics without an override at once, on every broker, and survives a restart', async () => {
    c = await EtcdTestCluster.start([1, 2], { config: { 'replica.fetch.wait.max.ms': '200' } });
    const kafka = new Kafka({ clientId: 'dyn', brokers: c.bootstrap, logLevel: logLevel.NOTHING });
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({
      topics: [
        { topic: 'follows', replicaAssignment: [{ partition: 0, replicas: [1, 2] }], configEntries: [{ name: 'segment.bytes', value: '2048' }] },
        { topic: 'overrides', replicaAssignment: [{ partition: 0, replicas: [1, 2] }], configEntries: [{ name: 'segment.bytes', value: '2048' }, { name: 'retention.ms', value: '-1' }] },
      ],
    });
    await produceOld(kafka, 'follows', 40);
    await produceOld(kafka, 'overrides', 40);
    expect(await lowOffset(admin, 'follows')).to.equal(0);

    const bootstrap = c.bootstrap.join(',');
    // the cluster-wide default has the empty name, which neither kafkajs nor librdkafka will send: brook's CLI does
    const set = await brook(['cluster', 'configs', '--bootstrap-server', c.bootstrap[0]!, '--set', 'log.retention.ms=600000']);
    expect(set.code, set.stderr).to.equal(0);
    expect(set.stdout).to.match(/log\.retention\.ms\s+600000\s+DYNAMIC_DEFAULT_BROKER_CONFIG/);
    // no restart: the old segments of the topic without an override go, on the leader and on the follower
    await eventually(
      async () => {
        expect(await lowOffset(admin, 'follows'), [1, 2].map((id) => logFacts(id, c!.broker(id), 'follows')).join('; ')).to.be.above(0);
        return true;
      },
      'retention to follow the new default',
      30_000,
    );
    for (const id of [1, 2]) {
      await eventually(() => c!.broker(id).services.logs.get('follows', 0)!.logStartOffset > 0, `broker ${id}'s copy to follow the default`, 30_000);
      expect(c.broker(id).services.logs.get('overrides', 0)!.currentConfig().retentionMs).to.equal(-1);
    }
    expect(await lowOffset(admin, 'overrides')).to.equal(0);

    const topicEntry = await describe1(admin, ConfigResourceTypes.TOPIC, 'follows', 'retention.ms');
    expect(topicEntry).to.include({ configValue: '600000', configSource: ConfigSource.DYNAMIC_DEFAULT_BROKER_CONFIG });
    const brokerEntry = await describe1(admin, ConfigResourceTypes.BROKER, '2', 'log.retention.ms');
    expect(brokerEntry).to.include({ configValue: '600000', configSource: ConfigSource.DYNAMIC_DEFAULT_BROKER_CONFIG, readOnly: false });
    const onBroker1 = await confluent<Described>({ op: 'describe', bootstrap, resource: { type: 'broker', name: '1' }, keys: ['log.retention.ms'] });
    expect(onBroker1['log.retention.ms']).to.deep.equal({ value: '600000', source: ConfigSource.DYNAMIC_DEFAULT_BROKER_CONFIG, readOnly: false });
    const viaRdkafka = await confluent<Described>({ op: 'describe', bootstrap, resource: { type: 'topic', name: 'follows' }, keys: ['retention.ms'] });
    expect(viaRdkafka['retention.ms']).to.include({ value: '600000', source: ConfigSource.DYNAMIC_DEFAULT_BROKER_CONFIG });

    // a per-broker value wins over the cluster default on that broker only
    expect(await confluent({ op: 'alter', bootstrap, resources: [{ type: 'broker', name: '2', configs: { 'log.retention.ms': '900000' } }] })).to.deep.equal({ '2': null });
    await eventually(() => c!.broker(2).services.logs.get('follows', 0)!.currentConfig().retentionMs === 900000, 'broker 2 to apply its own value');
    expect(c.broker(1).services.logs.get('follows', 0)!.currentConfig().retentionMs).to.equal(600000);
    expect(await describe1(admin, ConfigResourceTypes.BROKER, '2', 'log.retention.ms')).to.include({ configValue: '900000', configSource: ConfigSource.DYNAMIC_BROKER_CONFIG });

    // read-only configs are refused with a message saying so
    let refused: (Error & { type?: string }) | null = null;
    try {
      await admin.alterConfigs({ validateOnly: false, resources: [{ type: ConfigResourceTypes.BROKER, name: '1', configEntries: [{ name: 'log.dirs', value: '/tmp/x' }] }] });
    } catch (err) {
      refused = err as Error & { type?: string };
    }
    // kafkajs reports the code only; librdkafka and brook's CLI show the broker's message
    expect(refused?.type).to.equal('INVALID_REQUEST');
    const viaRdkafkaRefused = await confluent<Record<string, string | null>>({ op: 'alter', bootstrap, resources: [{ type: 'broker', name: '2', configs: { 'node.id': '7' } }] });
    expect(viaRdkafkaRefused['2']).to.match(/read-only/);
    // one broker's configs through another (the README's example): DescribeConfigs of broker 2 goes to broker 2
    const viaOther = await brook(['cluster', 'configs', '--bootstrap-server', c.bootstrap[0]!, '--broker', '2']);
    expect(viaOther.code, viaOther.stderr).to.equal(0);
    expect(viaOther.stdout).to.match(/log\.retention\.ms\s+900000\s+DYNAMIC_BROKER_CONFIG/);
    const refusedByCli = await brook(['cluster', 'configs', '--bootstrap-server', c.bootstrap[0]!, '--set', 'listeners=PLAINTEXT://:1']);
    expect(refusedByCli.code).to.not.equal(0);
    expect(refusedByCli.stderr).to.match(/read-only/);
    // the refused change did not replace the stored defaults
    expect(c.broker(1).services.dynamicConfigs!.resource('')).to.deep.equal({ 'log.retention.ms': '600000' });
    expect(c.broker(1).services.dynamicConfigs!.resource('2')).to.deep.equal({ 'log.retention.ms': '900000' });
    await admin.disconnect();

    // both brokers restart: the values come back from etcd and apply to reopened logs
    await c.stopBroker(1);
    await c.stopBroker(2);
    await c.startBroker(1);
    await c.startBroker(2);
    await c.awaitRegistered();
    await eventually(() => c!.broker(1).services.logs.get('follows', 0)?.currentConfig().retentionMs === 600000, 'broker 1 to reapply the cluster default after restart');
    await eventually(() => c!.broker(2).services.logs.get('follows', 0)?.currentConfig().retentionMs === 900000, 'broker 2 to reapply its own value after restart');
    const admin2 = new Kafka({ clientId: 'dyn2', brokers: c.bootstrap, logLevel: logLevel.NOTHING }).admin();
    await admin2.connect();
    expect(await describe1(admin2, ConfigResourceTypes.TOPIC, 'follows', 'retention.ms')).to.include({ configSource: ConfigSource.DYNAMIC_DEFAULT_BROKER_CONFIG });
    await admin2.disconnect();
  });

  it('a single broker keeps its dynamic configs in the data dir across a restart', async () => {
    const dataDir = tempDataDir();
    single = await startTestBroker({ dataDir });
    let admin = new Kafka({ clientId: 'dyn-single', brokers: [single.bootstrap], logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 'solo', numPartitions: 1 }] });
    const set = await brook(['cluster', 'configs', '--bootstrap-server', single.bootstrap, '--set', 'log.retention.ms=123456']);
    expect(set.code, set.stderr).to.equal(0);
    expect(single.services.logs.get('solo', 0)?.currentConfig().retentionMs ?? (await single.services.logs.create('solo', 0)).currentConfig().retentionMs).to.equal(123456);
    await admin.disconnect();
    await single.close();

    single = await startTestBroker({ dataDir });
    admin = new Kafka({ clientId: 'dyn-single2', brokers: [single.bootstrap], logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    expect(await describe1(admin, ConfigResourceTypes.TOPIC, 'solo', 'retention.ms')).to.include({ configValue: '123456', configSource: ConfigSource.DYNAMIC_DEFAULT_BROKER_CONFIG });
    expect(single.services.logs.get('solo', 0)!.currentConfig().retentionMs).to.equal(123456);
    await admin.disconnect();
  });
});
