import { expect } from 'chai';
import { SchemaRegistryClient } from '@confluentinc/schemaregistry';
import { Kafka, logLevel } from 'kafkajs';
import { startTestBroker, type TestBroker } from '../helpers/broker';
import { memoryLogger, type LogEntry } from '../helpers/memoryLogger';
import { registryCall } from '../helpers/registryHttp';

/** A broker with no users: its HTTP port needs no login (and binds 127.0.0.1). */
async function start(dataDir?: string, logs?: LogEntry[]): Promise<TestBroker> {
  return startTestBroker({ metricsPort: 0, dataDir, logger: logs ? memoryLogger(logs) : undefined, config: { 'brook.http.rate.limit.per.sec': '0' } });
}

function client(b: TestBroker): SchemaRegistryClient {
  return new SchemaRegistryClient({ baseURLs: [`http://127.0.0.1:${b.httpPort}`], maxRetries: 0 });
}

const raw = registryCall;

const record = (name: string, fields: string[]) => JSON.stringify({ type: 'record', name, fields: fields.map((f) => ({ name: f, type: 'string', default: '' })) });

/** Writes records straight into _schemas with kafkajs, as anyone with WRITE on the topic can. */
async function writeSchemasRecords(broker: { bootstrap: string }, messages: Array<{ key: string; value: string }>): Promise<void> {
  const producer = new Kafka({ brokers: [broker.bootstrap], logLevel: logLevel.NOTHING }).producer();
  await producer.connect();
  try {
    await producer.send({ topic: '_schemas', messages });
  } finally {
    await producer.disconnect();
  }
}

describe('schema registry writes', function () {
  this.timeout(60_000);

  describe('concurrent registrations', () => {
    let broker: TestBroker;
    beforeEach(async () => {
      broker = await start();
    });
    afterEach(async () => {
      await broker?.destroy();
    });

    it('give different schemas different ids, also while _schemas is still being created', async () => {
      // Sent together on a fresh broker, all wait on the first catch-up, then decide at once.
      const ids = await Promise.all([0, 1, 2, 3, 4, 5].map((i) => client(broker).register(`race-${i}`, { schemaType: 'AVRO', schema: record(`R${i}`, [`f${i}`]) })));
      expect(new Set(ids).size).to.equal(6);
      for (const [i, id] of ids.entries()) expect(JSON.parse((await raw(broker, 'GET', `/schemas/ids/${id}`)).json.schema).name).to.equal(`R${i}`);
    });

    it('give different versions of one subject different version numbers', async () => {
      // Each adds fields with defaults to the last: compatible whichever order they are decided in.
      const sent = [0, 1, 2, 3].map((i) => record('Same', ['a', ...Array.from({ length: i }, (_, j) => `b${j}`)]));
      const out = await Promise.all(sent.map((schema) => raw(broker, 'POST', '/subjects/one/versions', { schema })));
      expect(out.map((o) => o.status)).to.deep.equal([200, 200, 200, 200]);
      expect(new Set(out.map((o) => o.json.version)).size).to.equal(4);
      expect(new Set(out.map((o) => o.json.id)).size).to.equal(4);
      expect((await raw(broker, 'GET', '/subjects/one/versions')).json).to.deep.equal([1, 2, 3, 4]);
    });
  });

  it('skips malformed _schemas records (logged) instead of failing every request, also after a restart', async () => {
    const logs: LogEntry[] = [];
    let broker = await start(undefined, logs);
    try {
      const before = await client(broker).register('good', { schemaType: 'AVRO', schema: record('Good', ['a']) });
      // Anyone with WRITE on _schemas can put anything there; these are what a tester did with kcat.
      await writeSchemasRecords(broker, [
        { key: '{"keytype":"SCHEMA","subject":"poison","version":1,"magic":1}', value: 'not-json' },
        { key: 'null', value: '{}' },
        { key: '{"keytype":"SCHEMA","subject":"poison","version":2,"magic":1}', value: '{"schema":"\\"string\\""}' },
        { key: '{"keytype":"SCHEMA","subject":"poison","version":3,"magic":1}', value: '[1]' },
      ]);
      const check = async () => {
        expect((await raw(broker, 'GET', '/subjects')).json).to.deep.equal(['good']);
        expect((await raw(broker, 'GET', `/schemas/ids/${before}`)).status).to.equal(200);
        const next = await raw(broker, 'POST', '/subjects/after/versions', { schema: record('After', ['b']) });
        expect(next.status).to.equal(200);
        expect(next.json.id).to.be.greaterThan(before);
      };
      await check();
      expect(logs.filter((l) => l.msg === 'skipping a malformed _schemas record').map((l) => l.fields.reason)).to.have.members([
        'value is not JSON',
        'key is not a JSON object',
        'value has no integer id',
        'value is not a JSON object',
      ]);
      const { dataDir } = broker;
      await broker.close();
      broker = await start(dataDir);
      expect((await raw(broker, 'GET', '/subjects')).json).to.deep.equal(['after', 'good']);
      expect((await raw(broker, 'POST', '/subjects/again/versions', { schema: record('Again', ['c']) })).status).to.equal(200);
    } finally {
      await broker.destroy();
    }
  });

  it('refuses a _schemas record that gives a taken id to another schema (logged), also after a restart; the same schema may reuse it', async () => {
    const logs: LogEntry[] = [];
    let broker = await start(undefined, logs);
    try {
      const id = await client(broker).register('first', { schemaType: 'AVRO', schema: record('First', ['a']) });
      // What a second leader planning against stale state would write: the next subject, the same id.
      await writeSchemasRecords(broker, [
        { key: '{"keytype":"SCHEMA","subject":"second","version":1,"magic":1}', value: JSON.stringify({ subject: 'second', version: 1, id, schema: record('Second', ['b']), deleted: false }) },
        // the same schema under another subject keeps its id, in another spelling too (Confluent reuses ids so)
        { key: '{"keytype":"SCHEMA","subject":"copy","version":1,"magic":1}', value: JSON.stringify({ subject: 'copy', version: 1, id, schema: ` ${record('First', ['a'])} `, deleted: false }) },
      ]);
      const check = async () => {
        expect((await raw(broker, 'GET', '/subjects')).json).to.deep.equal(['copy', 'first']);
        expect(JSON.parse((await raw(broker, 'GET', `/schemas/ids/${id}`)).json.schema).name).to.equal('First');
        expect((await raw(broker, 'GET', '/subjects/second/versions')).status).to.equal(404);
        const next = await raw(broker, 'POST', '/subjects/second/versions', { schema: record('Second', ['b']) });
        expect(next.status).to.equal(200);
        expect(next.json.id).to.be.greaterThan(id);
      };
      await check();
      expect(logs.filter((l) => l.msg === 'skipping a _schemas record that gives a taken id to another schema').map((l) => l.fields.subject)).to.deep.equal(['second']);
      const { dataDir } = broker;
      await broker.close();
      broker = await start(dataDir);
      expect((await raw(broker, 'GET', '/subjects')).json).to.deep.equal(['copy', 'first', 'second']);
      expect(JSON.parse((await raw(broker, 'GET', `/schemas/ids/${id}`)).json.schema).name).to.equal('First');
      expect(JSON.parse((await raw(broker, 'GET', '/subjects/second/versions/1')).json.schema).name).to.equal('Second');
    } finally {
      await broker.destroy();
    }
  });

  it('refuses to delete a subject that other schemas reference (42206), soft or permanent', async () => {
    const broker = await start();
    try {
      const sr = client(broker);
      await sr.register('jaddr', { schemaType: 'JSON', schema: JSON.stringify({ type: 'object', properties: { street: { type: 'string' } } }) });
      const person = { schemaType: 'JSON', schema: JSON.stringify({ type: 'object', properties: { home: { $ref: 'addr.json' } } }), references: [{ name: 'addr.json', subject: 'jaddr', version: 1 }] };
      await sr.register('jperson', person);
      for (const path of ['/subjects/jaddr', '/subjects/jaddr?permanent=true', '/subjects/jaddr/versions/1']) {
        const res = await raw(broker, 'DELETE', path);
        expect(res.status, path).to.equal(422);
        expect(res.json.error_code, path).to.equal(42206);
      }
      expect((await raw(broker, 'POST', '/subjects/jperson', person)).status).to.equal(200);
      // Once the referencing subject is gone, the referenced one can go.
      await sr.deleteSubject('jperson');
      expect(await sr.deleteSubject('jaddr')).to.deep.equal([1]);
    } finally {
      await broker.destroy();
    }
  });

  it('answers a repeated soft delete with 40406 and a malformed %-escape in a subject with 400, not 500', async () => {
    const broker = await start();
    try {
      await client(broker).register('sd', { schemaType: 'AVRO', schema: record('Sd', ['x']) });
      expect((await raw(broker, 'DELETE', '/subjects/sd/versions/1')).json).to.equal(1);
      const again = await raw(broker, 'DELETE', '/subjects/sd/versions/1');
      expect(again.status).to.equal(404);
      expect(again.json.error_code).to.equal(40406);
      expect((await raw(broker, 'DELETE', '/subjects/sd/versions/1?permanent=true')).json).to.equal(1);
      expect((await raw(broker, 'DELETE', '/subjects/sd/versions/1')).json.error_code).to.equal(40401);
      const bad = await raw(broker, 'GET', '/subjects/%E0%A4%A/versions');
      expect(bad.status).to.equal(400);
      expect(bad.json.error_code).to.equal(400);
    } finally {
      await broker.destroy();
    }
  });

  it('refuses an explicit id (no IMPORT mode) and anonymous Avro records and enums instead of accepting them', async () => {
    const broker = await start();
    try {
      const withId = await raw(broker, 'POST', '/subjects/imp/versions', { schema: '"bytes"', id: 5000 });
      expect(withId.status).to.equal(422);
      expect(withId.json.error_code).to.equal(42205);
      expect((await raw(broker, 'GET', '/subjects')).json).to.deep.equal([]);
      for (const schema of [{ type: 'record', fields: [{ name: 'a', type: 'int' }] }, { type: 'enum', symbols: ['A'] }]) {
        const res = await raw(broker, 'POST', '/subjects/anon/versions', { schema: JSON.stringify(schema) });
        expect(res.json.error_code, schema.type).to.equal(42201);
      }
      expect((await raw(broker, 'GET', '/mode')).json).to.deep.equal({ mode: 'READWRITE' });
    } finally {
      await broker.destroy();
    }
  });
});
