import { expect } from 'chai';
import { Kafka, logLevel } from 'kafkajs';
import {
  AvroDeserializer,
  AvroSerializer,
  JsonDeserializer,
  JsonSerializer,
  ProtobufDeserializer,
  ProtobufSerializer,
  SchemaRegistryClient,
  SerdeType,
} from '@confluentinc/schemaregistry';
import { create, createFileRegistry, createMutableRegistry, fromBinary } from '@bufbuild/protobuf';
import { FileDescriptorProtoSchema } from '@bufbuild/protobuf/wkt';
import { startSecureTestBroker, type SecureTestBroker } from '../helpers/secureBroker';
import { eventually } from '../helpers/eventually';

const USERS = { alice: 'alice-secret', bob: 'bob-secret' };

function client(b: SecureTestBroker, user: string, password: string): SchemaRegistryClient {
  return new SchemaRegistryClient({
    baseURLs: [`http://127.0.0.1:${b.httpPort}`],
    basicAuthCredentials: { credentialsSource: 'USER_INFO', userInfo: `${user}:${password}` },
    maxRetries: 0,
  });
}

async function raw(b: SecureTestBroker, method: string, path: string, body?: string, user = 'alice', password = USERS.alice): Promise<{ status: number; json: any }> {
  const res = await fetch(`http://127.0.0.1:${b.httpPort}${path}`, {
    method,
    headers: { authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`, 'content-type': 'application/vnd.schemaregistry.v1+json' },
    body,
  });
  const text = await res.text();
  return { status: res.status, json: text ? JSON.parse(text) : null };
}

const userV1 = { type: 'record', name: 'User', namespace: 'brook.test', fields: [{ name: 'name', type: 'string' }] };
const userV2 = { ...userV1, fields: [...userV1.fields, { name: 'age', type: 'int', default: 0 }] };
// A new field without a default cannot be filled in when reading old data: BACKWARD-incompatible.
const userBad = { ...userV1, fields: [...userV1.fields, { name: 'email', type: 'string' }] };

describe('schema registry with the official @confluentinc/schemaregistry client', function () {
  this.timeout(60_000);
  let broker: SecureTestBroker;
  let alice: SchemaRegistryClient;

  const start = async (dataDir?: string) =>
    startSecureTestBroker(USERS, {
      metricsPort: 0,
      dataDir,
      config: { 'authorizer.class.name': 'brook', 'super.users': 'User:alice', 'brook.http.rate.limit.per.sec': '0' },
    });

  before(async () => {
    broker = await start();
    alice = client(broker, 'alice', USERS.alice);
  });
  after(async () => {
    await broker?.destroy();
  });

  it('registers, looks up and evolves an Avro schema, and rejects an incompatible change with 409', async () => {
    const id1 = await alice.register('users-value', { schemaType: 'AVRO', schema: JSON.stringify(userV1) });
    expect(id1).to.be.a('number');
    // Registering the same schema again gives the same id and no new version.
    expect(await alice.register('users-value', { schemaType: 'AVRO', schema: JSON.stringify(userV1) })).to.equal(id1);
    expect(await alice.getId('users-value', { schemaType: 'AVRO', schema: JSON.stringify(userV1) })).to.equal(id1);
    const id2 = await alice.register('users-value', { schemaType: 'AVRO', schema: JSON.stringify(userV2) });
    expect(id2).to.not.equal(id1);
    const latest = await alice.getLatestSchemaMetadata('users-value');
    expect(latest.version).to.equal(2);
    expect(latest.id).to.equal(id2);
    expect(JSON.parse(latest.schema!).fields.map((f: { name: string }) => f.name)).to.deep.equal(['name', 'age']);
    expect(await alice.getAllVersions('users-value')).to.deep.equal([1, 2]);
    expect(await alice.testCompatibility('users-value', -1, { schemaType: 'AVRO', schema: JSON.stringify(userBad) })).to.equal(false);
    let err: any;
    try {
      await alice.register('users-value', { schemaType: 'AVRO', schema: JSON.stringify(userBad) });
    } catch (e) {
      err = e;
    }
    expect(err?.status).to.equal(409);
    expect(await alice.getAllVersions('users-value')).to.deep.equal([1, 2]);
    // Under NONE the same change is accepted.
    await alice.updateConfig('users-value', { compatibility: 'NONE' } as never);
    expect(await alice.getCompatibility('users-value')).to.equal('NONE');
    const id3 = await alice.register('users-value', { schemaType: 'AVRO', schema: JSON.stringify(userBad) });
    // (the client caches `latest`; ask the registry directly)
    expect((await raw(broker, 'GET', '/subjects/users-value/versions/latest')).json).to.include({ id: id3, version: 3 });
  });

  it('checks _TRANSITIVE levels against every version, plain levels against the latest only', async () => {
    const v1 = { type: 'record', name: 'T', fields: [{ name: 'a', type: 'string' }] };
    // v2 drops a: fine for a BACKWARD reader. v3 adds a back without a default: v3 cannot read v1-less data? It can read v2 data only if a has a default.
    const v2 = { type: 'record', name: 'T', fields: [{ name: 'b', type: 'string', default: '' }] };
    const v3 = { type: 'record', name: 'T', fields: [{ name: 'b', type: 'string', default: '' }, { name: 'c', type: 'int', default: 1 }] };
    // FORWARD: old readers must read new data. v1 readers need `a` (no default) which v2+ lack.
    await alice.updateConfig('t-value', { compatibility: 'FORWARD' } as never);
    await alice.updateConfig('t-value', { compatibility: 'NONE' } as never);
    await alice.register('t-value', { schemaType: 'AVRO', schema: JSON.stringify(v1) });
    await alice.register('t-value', { schemaType: 'AVRO', schema: JSON.stringify(v2) });
    await alice.updateConfig('t-value', { compatibility: 'FORWARD' } as never);
    expect(await alice.testCompatibility('t-value', -1, { schemaType: 'AVRO', schema: JSON.stringify(v3) })).to.equal(true);
    const plain = await raw(broker, 'POST', '/compatibility/subjects/t-value/versions?verbose=true', JSON.stringify({ schema: JSON.stringify(v3) }));
    expect(plain.json.is_compatible).to.equal(true);
    await alice.updateConfig('t-value', { compatibility: 'FORWARD_TRANSITIVE' } as never);
    const transitive = await raw(broker, 'POST', '/compatibility/subjects/t-value/versions?verbose=true', JSON.stringify({ schema: JSON.stringify(v3) }));
    expect(transitive.json.is_compatible).to.equal(false);
    expect(transitive.json.messages.join(' ')).to.include('version 1');
  });

  it('registers and evolves JSON Schema and Protobuf schemas and rejects incompatible changes', async () => {
    const j1 = { type: 'object', properties: { id: { type: 'integer' }, note: { type: 'string' } }, required: ['id'] };
    const j2 = { type: 'object', properties: { id: { type: 'number' } }, required: ['id'] };
    const jBad = { type: 'object', properties: { id: { type: 'string' } }, required: ['id'] };
    const j1id = await alice.register('orders-value', { schemaType: 'JSON', schema: JSON.stringify(j1) });
    const j2id = await alice.register('orders-value', { schemaType: 'JSON', schema: JSON.stringify(j2) });
    expect(j2id).to.not.equal(j1id);
    expect((await alice.getBySubjectAndId('orders-value', j1id)).schemaType).to.equal('JSON');
    expect(await alice.testCompatibility('orders-value', -1, { schemaType: 'JSON', schema: JSON.stringify(jBad) })).to.equal(false);

    const p1 = 'syntax = "proto3";\npackage shop;\nmessage Item { string sku = 1; int32 count = 2; }\n';
    const p2 = 'syntax = "proto3";\npackage shop;\nmessage Item { string sku = 1; int64 count = 2; string label = 3; }\n';
    const pBad = 'syntax = "proto3";\npackage shop;\nmessage Item { string sku = 1; double count = 2; }\n';
    const p1id = await alice.register('items-value', { schemaType: 'PROTOBUF', schema: p1 });
    const p2id = await alice.register('items-value', { schemaType: 'PROTOBUF', schema: p2 });
    expect(p2id).to.not.equal(p1id);
    expect((await alice.getLatestSchemaMetadata('items-value')).schemaType).to.equal('PROTOBUF');
    let status = 0;
    await alice.register('items-value', { schemaType: 'PROTOBUF', schema: pBad }).catch((e: any) => (status = e.status));
    expect(status).to.equal(409);
  });

  it('round-trips records through kafkajs with the Avro and JSON serializers', async () => {
    const kafka = new Kafka({ brokers: [broker.saslBootstrap], sasl: { mechanism: 'plain', username: 'alice', password: USERS.alice }, logLevel: logLevel.NOTHING });
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 'people', numPartitions: 1 }, { topic: 'events', numPartitions: 1 }] });
    await admin.disconnect();
    const avroDe = new AvroDeserializer(client(broker, 'alice', USERS.alice), SerdeType.VALUE, {});
    const jsonDe = new JsonDeserializer(client(broker, 'alice', USERS.alice), SerdeType.VALUE, {});
    const person = { type: 'record', name: 'Person', fields: [{ name: 'name', type: 'string' }, { name: 'age', type: 'int' }] };
    const producer = kafka.producer();
    await producer.connect();
    // The serializers take the schema from the registry's latest version of <topic>-value when not auto-registering; here they register it.
    await alice.register('people-value', { schemaType: 'AVRO', schema: JSON.stringify(person) });
    const avroOut = new AvroSerializer(alice, SerdeType.VALUE, { useLatestVersion: true });
    await producer.send({ topic: 'people', messages: [{ value: await avroOut.serialize('people', { name: 'Ada', age: 36 }) }, { value: await avroOut.serialize('people', { name: 'Linus', age: 54 }) }] });
    await alice.register('events-value', { schemaType: 'JSON', schema: JSON.stringify({ type: 'object', properties: { kind: { type: 'string' }, n: { type: 'integer' } } }) });
    const jsonOut = new JsonSerializer(alice, SerdeType.VALUE, { useLatestVersion: true });
    await producer.send({ topic: 'events', messages: [{ value: await jsonOut.serialize('events', { kind: 'click', n: 3 }) }] });
    await producer.disconnect();

    const consumer = kafka.consumer({ groupId: 'sr-roundtrip' });
    await consumer.connect();
    await consumer.subscribe({ topics: ['people', 'events'], fromBeginning: true });
    const seen: unknown[] = [];
    await consumer.run({
      eachMessage: async ({ topic, message }) => {
        // avsc decodes records into class instances; compare their plain fields
        seen.push(JSON.parse(JSON.stringify(topic === 'people' ? await avroDe.deserialize(topic, message.value!) : await jsonDe.deserialize(topic, message.value!))));
      },
    });
    await eventually(() => seen.length >= 3, 'three records deserialized', 30_000);
    await consumer.disconnect();
    expect(seen).to.deep.include({ name: 'Ada', age: 36 });
    expect(seen).to.deep.include({ name: 'Linus', age: 54 });
    expect(seen).to.deep.include({ kind: 'click', n: 3 });
  });

  it('round-trips records through kafkajs with the Protobuf serializer (schema served as a FileDescriptorProto)', async () => {
    const proto = 'syntax = "proto3";\npackage brook.test;\nmessage Reading { string sensor = 1; double celsius = 2; int64 at = 3; }\n';
    await alice.register('readings-value', { schemaType: 'PROTOBUF', schema: proto });
    // The application's message type, built from the descriptor the registry serves.
    const served = await raw(broker, 'GET', '/subjects/readings-value/versions/latest?format=serialized');
    const file = createFileRegistry(fromBinary(FileDescriptorProtoSchema, Buffer.from(served.json.schema, 'base64')), () => undefined);
    const Reading = file.getMessage('brook.test.Reading')!;
    const registry = createMutableRegistry(Reading);
    const ser = new ProtobufSerializer(alice, SerdeType.VALUE, { useLatestVersion: true, registry });
    const de = new ProtobufDeserializer(client(broker, 'alice', USERS.alice), SerdeType.VALUE, {});
    const kafka = new Kafka({ brokers: [broker.saslBootstrap], sasl: { mechanism: 'plain', username: 'alice', password: USERS.alice }, logLevel: logLevel.NOTHING });
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 'readings', numPartitions: 1 }] });
    await admin.disconnect();
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({ topic: 'readings', messages: [{ value: await ser.serialize('readings', create(Reading, { sensor: 'attic', celsius: 21.5, at: 1700000000000n } as never)) }] });
    await producer.disconnect();
    const consumer = kafka.consumer({ groupId: 'proto-roundtrip' });
    await consumer.connect();
    await consumer.subscribe({ topic: 'readings', fromBeginning: true });
    const seen: Array<{ sensor: string; celsius: number; at: bigint }> = [];
    await consumer.run({ eachMessage: async ({ message }) => void seen.push(await de.deserialize('readings', message.value!)) });
    await eventually(() => seen.length >= 1, 'the protobuf record deserialized', 30_000);
    await consumer.disconnect();
    expect(seen[0]).to.include({ sensor: 'attic', celsius: 21.5, at: 1700000000000n });
  });

  it('soft-deletes, then hard-deletes, a subject with Confluent\'s error codes along the way', async () => {
    const s = { type: 'record', name: 'D', fields: [{ name: 'x', type: 'long' }] };
    const id = await alice.register('del-value', { schemaType: 'AVRO', schema: JSON.stringify(s) });
    expect((await raw(broker, 'DELETE', '/subjects/del-value?permanent=true')).json.error_code).to.equal(40405);
    expect(await alice.deleteSubject('del-value')).to.deep.equal([1]);
    expect(await alice.getAllSubjects()).to.not.include('del-value');
    expect((await raw(broker, 'GET', '/subjects?deleted=true')).json).to.include('del-value');
    expect((await raw(broker, 'GET', '/subjects/del-value/versions')).json.error_code).to.equal(40401);
    // Soft-deleted schemas still resolve by id, so old records stay readable.
    expect((await raw(broker, 'GET', `/schemas/ids/${id}`)).status).to.equal(200);
    expect(await alice.deleteSubject('del-value', true)).to.deep.equal([1]);
    expect((await raw(broker, 'GET', '/subjects?deleted=true')).json).to.not.include('del-value');
  });

  it('answers bad input with the documented codes: malformed JSON, schema syntax errors, unknown subjects and versions, bad levels', async () => {
    expect(await raw(broker, 'POST', '/subjects/x/versions', '{"schema": ')).to.deep.include({ status: 400 });
    const bad = await raw(broker, 'POST', '/subjects/x/versions', JSON.stringify({ schema: '{"type":"record","name":"R"}' }));
    expect(bad.status).to.equal(422);
    expect(bad.json.error_code).to.equal(42201);
    const badProto = await raw(broker, 'POST', '/subjects/x/versions', JSON.stringify({ schemaType: 'PROTOBUF', schema: 'message {' }));
    expect(badProto.json.error_code).to.equal(42201);
    const badJson = await raw(broker, 'POST', '/subjects/x/versions', JSON.stringify({ schemaType: 'JSON', schema: '{"type": 12}' }));
    expect(badJson.json.error_code).to.equal(42201);
    expect((await raw(broker, 'GET', '/subjects/nope/versions/1')).json.error_code).to.equal(40401);
    expect((await raw(broker, 'GET', '/subjects/users-value/versions/99')).json.error_code).to.equal(40402);
    expect((await raw(broker, 'GET', '/subjects/users-value/versions/abc')).json.error_code).to.equal(42202);
    expect((await raw(broker, 'GET', '/schemas/ids/99999')).json.error_code).to.equal(40403);
    expect((await raw(broker, 'PUT', '/config', JSON.stringify({ compatibility: 'SIDEWAYS' }))).json.error_code).to.equal(42203);
    expect((await raw(broker, 'GET', '/config/never-configured')).json.error_code).to.equal(40408);
    const big = await raw(broker, 'POST', '/subjects/x/versions', JSON.stringify({ schema: 'x'.repeat(9 << 20) }));
    expect(big.status).to.equal(413);
    // The broker keeps serving.
    expect((await raw(broker, 'GET', '/subjects')).status).to.equal(200);
  });

  it('401 for a wrong password, 403 for a principal without an ACL on _schemas', async () => {
    expect((await raw(broker, 'GET', '/subjects', undefined, 'alice', 'wrong')).status).to.equal(401);
    expect((await fetch(`http://127.0.0.1:${broker.httpPort}/subjects`)).status).to.equal(401);
    const denied = await raw(broker, 'GET', '/subjects', undefined, 'bob', USERS.bob);
    expect(denied.status).to.equal(403);
    expect(denied.json.error_code).to.equal(40301);
  });

  it('keeps schemas, ids and configs across a restart (they live in _schemas)', async () => {
    const before = await raw(broker, 'GET', '/subjects/users-value/versions/2');
    const { dataDir } = broker;
    await broker.close();
    broker = await start(dataDir);
    const after = await raw(broker, 'GET', '/subjects/users-value/versions/2');
    expect(after.json).to.deep.equal(before.json);
    expect((await raw(broker, 'GET', '/config/users-value')).json.compatibilityLevel).to.equal('NONE');
    const fresh = client(broker, 'alice', USERS.alice);
    const next = await fresh.register('another-value', { schemaType: 'AVRO', schema: '"string"' });
    expect(next).to.be.greaterThan(before.json.id);
  });
});
