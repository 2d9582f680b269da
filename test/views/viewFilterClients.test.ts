import { expect } from 'chai';
import * as path from 'node:path';
import { Kafka, logLevel, type Admin, type Producer } from 'kafkajs';
import { startTestBroker, type TestBroker } from '../helpers/broker';
import { pythonJsonStep } from '../helpers/python';
import { MAX_FILTER_NESTING } from '../../src/views/filterParser';

const SCRIPT = path.join(__dirname, 'confluent_view_filters.py');

type Outcome = { ok: boolean; code?: string; message?: string };

/** Runs one step of the confluent-kafka script with its JSON command on stdin and parses its last line. */
function confluent<T>(command: Record<string, unknown>): Promise<T> {
  return pythonJsonStep<T>(SCRIPT, command, 'confluent step');
}

/** Filter expressions that reached a real librdkafka client wrongly (bad filters, long chains, big numbers). */
describe('views: filter expressions through a real client (confluent-kafka)', function () {
  this.timeout(120_000);
  let broker: TestBroker;
  let admin: Admin;
  let producer: Producer;

  before(async () => {
    broker = await startTestBroker();
    const kafka = new Kafka({ brokers: [broker.bootstrap], clientId: 'view-filters', logLevel: logLevel.NOTHING });
    admin = kafka.admin();
    await admin.connect();
    producer = kafka.producer({ allowAutoTopicCreation: false });
    await producer.connect();
  });

  after(async () => {
    await producer?.disconnect();
    await admin?.disconnect();
    await broker?.destroy();
  });

  it('answers CreateTopics and AlterConfigs with a bad filter with INVALID_CONFIG and the position, on a connection that stays up', async () => {
    await admin.createTopics({ topics: [{ topic: 'bad-src', numPartitions: 1 }] });
    const deep = '('.repeat(3000) + 'a = 1' + ')'.repeat(3000);
    const created = await confluent<Record<string, Outcome>>({ op: 'create', bootstrap: broker.bootstrap, source: 'bad-src', views: { 'bad-v1': 'a = -.', 'bad-v2': 'a > -.x', 'bad-v3': deep, 'bad-ok': 'paid' } });
    expect(created['bad-v1']).to.include({ ok: false, code: 'INVALID_CONFIG' });
    expect(created['bad-v1']!.message).to.match(/unexpected character '-' at position 4/);
    expect(created['bad-v2']).to.include({ ok: false, code: 'INVALID_CONFIG' });
    expect(created['bad-v2']!.message).to.match(/position 4/);
    expect(created['bad-v3']).to.include({ ok: false, code: 'INVALID_CONFIG' });
    expect(created['bad-v3']!.message).to.match(new RegExp(`nested deeper than ${MAX_FILTER_NESTING} levels .* at position ${MAX_FILTER_NESTING}`));
    expect(created['bad-ok']).to.deep.equal({ ok: true });
    for (const filter of ['a = -.', deep]) {
      const altered = await confluent<Outcome>({ op: 'alter', bootstrap: broker.bootstrap, source: 'bad-src', view: 'bad-ok', filter });
      expect(altered, filter.slice(0, 10)).to.include({ ok: false, code: 'INVALID_CONFIG' });
      expect(altered.message).to.match(/position \d+/);
    }
    const configs = await admin.describeConfigs({ resources: [{ type: 2, name: 'bad-ok', configNames: ['brook.view.filter'] }], includeSynonyms: false });
    expect(configs.resources[0]!.configEntries[0]!.configValue).to.equal('paid');
  });

  it('serves a view whose filter is a 4,500-term OR chain (27 KB) instead of failing every fetch', async () => {
    await admin.createTopics({ topics: [{ topic: 'chain-src', numPartitions: 1 }] });
    const filter = 'a=1 OR '.repeat(4500) + 'a=2';
    const created = await confluent<Record<string, Outcome>>({ op: 'create', bootstrap: broker.bootstrap, source: 'chain-src', views: { 'chain-v': filter } });
    expect(created['chain-v']).to.deep.equal({ ok: true });
    await producer.send({ topic: 'chain-src', messages: ['2', '3', '1', '22'].map((a) => ({ key: `a=${a}`, value: 'v', headers: { a } })) });
    const got = await confluent<{ ok: boolean; error?: string; keys: string[] }>({ op: 'consume', bootstrap: broker.bootstrap, topic: 'chain-v', group: 'chain-g' });
    expect(got).to.deep.equal({ ok: true, keys: ['a=2', 'a=1'] });
  });

  it('compares 64-bit ids exactly and takes only decimal text for a number (headers and JSON values)', async () => {
    await admin.createTopics({ topics: [{ topic: 'num-src', numPartitions: 1 }] });
    const uids: Array<[string, string]> = [
      ['user-A', '1790000000000000001'],
      ['user-B', '1790000000000000000'],
      ['hex', '0x10'],
      ['padded', ' 16 '],
      ['sixteen', '16'],
    ];
    // the JSON value holds the id as a number where it is one, as 64-bit ids are written by Java and Go producers
    await producer.send({ topic: 'num-src', messages: uids.map(([key, uid]) => ({ key, value: `{"uid": ${/^\d+$/.test(uid) ? uid : JSON.stringify(uid)}}`, headers: { uid } })) });
    const filters: Record<string, string> = {
      'num-eq': 'uid = 1790000000000000001',
      'num-gt': 'uid > 1790000000000000000',
      'num-16': 'uid = 16',
      'num-json': 'value.uid = 1790000000000000001',
      'num-json-lt': 'value.uid < 1790000000000000001',
    };
    const created = await confluent<Record<string, Outcome>>({ op: 'create', bootstrap: broker.bootstrap, source: 'num-src', views: filters });
    expect(Object.values(created).every((o) => o.ok), JSON.stringify(created)).to.equal(true);
    const served: Record<string, string[]> = {};
    await Promise.all(
      Object.keys(filters).map(async (view) => {
        const got = await confluent<{ ok: boolean; error?: string; keys: string[] }>({ op: 'consume', bootstrap: broker.bootstrap, topic: view, group: `${view}-g` });
        expect(got.ok, `${view}: ${got.error}`).to.equal(true);
        served[view] = got.keys;
      }),
    );
    expect(served).to.deep.equal({
      'num-eq': ['user-A'],
      'num-gt': ['user-A'],
      'num-16': ['sixteen'],
      'num-json': ['user-A'],
      'num-json-lt': ['user-B', 'sixteen'],
    });
  });
});
