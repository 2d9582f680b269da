import { expect } from 'chai';
import * as path from 'node:path';
import { ConfigSource } from '../../src/admin/configTypes';
import { startTestBroker, type TestBroker } from '../helpers/broker';
import { PYTHON, runPython as run } from '../helpers/python';

const SCRIPT = path.join(__dirname, 'confluent_admin.py');

interface Entry {
  value: string | null;
  source: number;
  read_only: boolean;
  sensitive: boolean;
  synonyms: string[];
}
interface Observations {
  create: Record<string, string>;
  create_dry: Record<string, string>;
  describe: Record<string, Record<string, Entry>>;
  describe_broker: Record<string, Record<string, Entry>>;
  alter: Record<string, string>;
  after_alter: Record<string, Record<string, Entry>>;
  partitions: Record<string, string>;
  metadata: Record<string, number>;
  delete: Record<string, string>;
}


describe('admin: confluent-kafka AdminClient (librdkafka)', function () {
  this.timeout(120_000);
  let broker: TestBroker;

  before(async function () {
    const probe = await run(['-c', 'import confluent_kafka.admin']).catch(() => ({ code: 1, out: '', err: 'python3 missing' }));
    if (probe.code !== 0) {
      console.log(`    skipped: confluent_kafka is not importable with ${PYTHON}: ${probe.err.trim()}`);
      this.skip();
    }
    broker = await startTestBroker();
  });
  after(async () => {
    await broker?.destroy();
  });

  it('creates, describes, alters, grows and deletes topics', async () => {
    const res = await run([SCRIPT, broker.bootstrap]);
    expect(res.code, res.err.slice(-2000)).to.equal(0);
    const obs = JSON.parse(res.out.trim().split('\n').pop()!) as Observations;

    expect(obs.create).to.deep.equal({ 'py-topic': 'ok', 'py-bad': 'INVALID_CONFIG', 'py-rf': 'INVALID_REPLICATION_FACTOR' });
    expect(obs.create_dry).to.deep.equal({ 'py-dry': 'ok' });

    const topic = obs.describe['py-topic'];
    expect(topic['retention.ms']).to.include({ value: '3600000', source: ConfigSource.DYNAMIC_TOPIC_CONFIG, read_only: false });
    expect(topic['cleanup.policy'].value).to.equal('compact');
    expect(topic['segment.bytes']).to.include({ value: '1073741824', source: ConfigSource.DEFAULT_CONFIG });
    expect(obs.describe_broker['1']['num.partitions']).to.include({ value: '1', read_only: true });

    // librdkafka's AlterConfigs replaces the override set: cleanup.policy goes back to its default.
    expect(obs.alter).to.deep.equal({ 'ConfigResource(Type.TOPIC,py-topic)': 'ok' });
    const after = obs.after_alter['py-topic'];
    expect(after['retention.ms']).to.include({ value: '60000', source: ConfigSource.DYNAMIC_TOPIC_CONFIG });
    expect(after['segment.bytes']).to.include({ value: '100000', source: ConfigSource.DYNAMIC_TOPIC_CONFIG });
    expect(after['cleanup.policy']).to.include({ value: 'delete', source: ConfigSource.DEFAULT_CONFIG });

    expect(obs.partitions).to.deep.equal({ 'py-topic': 'ok' });
    expect(obs.metadata['py-topic']).to.equal(4);
    expect(obs.metadata).to.not.have.property('py-dry');
    expect(obs.delete).to.deep.equal({ 'py-topic': 'ok', 'py-missing': 'UNKNOWN_TOPIC_OR_PART' });
    expect(broker.services.metadata.topic('py-topic')).to.equal(undefined);
  });
});
