import { expect } from 'chai';
import * as avro from 'avsc';
import { AvroDeserializer, AvroSerializer, ProtobufDeserializer, ProtobufSerializer, SchemaRegistryClient, SerdeType } from '@confluentinc/schemaregistry';
import { create, createFileRegistry, createMutableRegistry, fromBinary, type DescMessage } from '@bufbuild/protobuf';
import { FileDescriptorProtoSchema, FileDescriptorSetSchema, TimestampSchema, file_google_protobuf_timestamp } from '@bufbuild/protobuf/wkt';
import * as protobuf from 'protobufjs';
import * as descriptor from 'protobufjs/ext/descriptor';
import { startTestBroker, type TestBroker } from '../helpers/broker';
import { registryCall as raw } from '../helpers/registryHttp';

/** timestamp-millis as a Date, the way avsc's documentation shows; the serdes pass their config to avsc. */
class DateType extends avro.types.LogicalType {
  override _fromValue(v: unknown): Date {
    return new Date(v as number);
  }
  override _toValue(d: unknown): number | undefined {
    return d instanceof Date ? d.getTime() : undefined;
  }
  override _resolve(t: avro.Type): ((v: unknown) => Date) | undefined {
    return avro.Type.isType(t, 'long', 'logical:timestamp-millis') ? (v) => this._fromValue(v) : undefined;
  }
}
const logicalTypes = { 'timestamp-millis': DateType };

type Codec = { encode(m: unknown): { finish(): Uint8Array } };
const { FileDescriptorSet } = descriptor as unknown as { FileDescriptorSet: Codec };

/** The application's message types, compiled from .proto texts the way protoc would (file name, package, imports). */
function protoFiles(protos: Record<string, string>, wellKnown: string[] = []): (name: string) => DescMessage {
  const root = new protobuf.Root();
  for (const w of wellKnown) root.addJSON((protobuf as unknown as { common: { get(n: string): { nested: Record<string, protobuf.AnyNestedObject> } } }).common.get(w).nested);
  const meta = Object.entries(protos).map(([name, text]) => {
    const parsed = protobuf.parse(text, root, { keepCase: true });
    return { name, pkg: parsed.package ?? '', imports: parsed.imports ?? [] };
  });
  const all = (root as unknown as { toDescriptor(s: string): { file: Array<{ package?: string; name?: string; dependency?: string[]; syntax?: string }> } }).toDescriptor('proto3').file;
  const files = meta.map((m) => Object.assign(all.find((f) => (f.package ?? '') === m.pkg)!, { name: m.name, dependency: m.imports, syntax: 'proto3' }));
  const set = fromBinary(FileDescriptorSetSchema, FileDescriptorSet.encode({ file: files }).finish());
  set.file.unshift(file_google_protobuf_timestamp.proto);
  const reg = createFileRegistry(set);
  return (name) => reg.getMessage(name)!;
}

function client(b: TestBroker): SchemaRegistryClient {
  return new SchemaRegistryClient({ baseURLs: [`http://127.0.0.1:${b.httpPort}`], maxRetries: 0 });
}

describe('schema registry: what schemas keep and how they are compared', function () {
  this.timeout(60_000);
  let broker: TestBroker;
  before(async () => {
    broker = await startTestBroker({ metricsPort: 0, config: { 'brook.http.rate.limit.per.sec': '0' } });
  });
  after(async () => {
    await broker?.destroy();
  });

  it('Avro: keeps logical types and custom properties, and tells schemas apart by them', async () => {
    const pay = {
      type: 'record',
      name: 'Pay',
      namespace: 'com.acme',
      'connect.name': 'com.acme.Pay',
      fields: [
        { name: 'amount', type: { type: 'bytes', logicalType: 'decimal', precision: 10, scale: 2 } },
        { name: 'at', type: { type: 'long', logicalType: 'timestamp-millis' } },
        { name: 'ref', type: { type: 'string', logicalType: 'uuid' } },
      ],
    };
    const plain = { type: 'record', name: 'Pay', namespace: 'com.acme', fields: [{ name: 'amount', type: 'bytes' }, { name: 'at', type: 'long' }, { name: 'ref', type: 'string' }] };
    const sr = client(broker);
    const logicalId = await sr.register('pay-value', { schemaType: 'AVRO', schema: JSON.stringify(pay) });
    const plainId = await sr.register('plain-pay-value', { schemaType: 'AVRO', schema: JSON.stringify(plain) });
    expect(plainId).to.not.equal(logicalId);
    expect(JSON.parse((await raw(broker, 'GET', `/schemas/ids/${logicalId}`)).json.schema)).to.deep.equal(pay);
    // The same schema written differently (key order, spacing, {"type":"string"} for "string") is the same schema.
    const reordered = { fields: pay.fields.map((f) => ({ type: f.type, name: f.name })), 'connect.name': 'com.acme.Pay', namespace: 'com.acme', name: 'Pay', type: 'record' };
    expect(await sr.register('pay-value', { schemaType: 'AVRO', schema: JSON.stringify(reordered, null, 2) })).to.equal(logicalId);
    // The JS serializer builds its avsc type from the served schema: with the logical type gone a Date is "not a long".
    const ser = new AvroSerializer(client(broker), SerdeType.VALUE, { useLatestVersion: true, logicalTypes } as never);
    const at = new Date(1_700_000_000_000);
    const bytes = await ser.serialize('pay', { amount: Buffer.from([0x04, 0xd2]), at, ref: '6f1c1f2e-4a8e-4a53-9a2b-1d1d7f0c1b22' });
    const back = (await new AvroDeserializer(client(broker), SerdeType.VALUE, { logicalTypes } as never).deserialize('pay', bytes)) as { at: Date };
    expect(back.at.getTime()).to.equal(at.getTime());
  });

  it('Avro with references: stores the text as sent, so it can be looked up, re-registered and evolved', async () => {
    const address = { type: 'record', name: 'Address', namespace: 'com.acme', fields: [{ name: 'street', type: 'string' }] };
    const person = { type: 'record', name: 'Person', namespace: 'com.acme', fields: [{ name: 'home', type: 'com.acme.Address' }] };
    const person2 = { ...person, fields: [...person.fields, { name: 'n', type: 'int', default: 1 }] };
    const references = [{ name: 'com.acme.Address', subject: 'address', version: 1 }];
    const sr = client(broker);
    await sr.register('address', { schemaType: 'AVRO', schema: JSON.stringify(address) });
    const id = await sr.register('person-value', { schemaType: 'AVRO', schema: JSON.stringify(person), references });
    const stored = await raw(broker, 'GET', '/subjects/person-value/versions/1');
    expect(JSON.parse(stored.json.schema)).to.deep.equal(person);
    expect(stored.json.references).to.deep.equal(references);
    const lookup = await raw(broker, 'POST', '/subjects/person-value', { schema: JSON.stringify(person), references });
    expect(lookup.status).to.equal(200);
    expect(lookup.json.id).to.equal(id);
    expect((await raw(broker, 'POST', '/subjects/person-value/versions', { schema: JSON.stringify(person), references })).json.id).to.equal(id);
    const v2 = await raw(broker, 'POST', '/subjects/person-value/versions', { schema: JSON.stringify(person2), references });
    expect(v2.status).to.equal(200);
    expect(v2.json.version).to.equal(2);
    const ser = new AvroSerializer(client(broker), SerdeType.VALUE, { useLatestVersion: true });
    const bytes = await ser.serialize('person', { home: { street: 'Main St' }, n: 3 });
    expect(JSON.parse(JSON.stringify(await new AvroDeserializer(client(broker), SerdeType.VALUE, {}).deserialize('person', bytes)))).to.deep.equal({ home: { street: 'Main St' }, n: 3 });
  });

  it('JSON Schema: accepts a schema with thousands of properties (was a stack overflow in Ajv code generation)', async () => {
    const properties = Object.fromEntries(Array.from({ length: 5000 }, (_, i) => [`p${i}`, { type: 'string' }]));
    const res = await raw(broker, 'POST', '/subjects/wide-value/versions', { schemaType: 'JSON', schema: JSON.stringify({ type: 'object', properties }) });
    expect(res.json).to.include({ version: 1 });
    // Still checked against the meta-schema.
    expect((await raw(broker, 'POST', '/subjects/wide-value/versions', { schemaType: 'JSON', schema: JSON.stringify({ type: 'object', properties: { a: { type: 12 } } }) })).json.error_code).to.equal(42201);
  });

  it('answers /schema endpoints with the schema text itself, not a JSON string', async () => {
    const text = '{"type":"record","name":"Raw","fields":[{"name":"x","type":"string"}]}';
    const id = await client(broker).register('raw-value', { schemaType: 'AVRO', schema: text });
    for (const path of [`/schemas/ids/${id}/schema`, '/subjects/raw-value/versions/1/schema', '/subjects/raw-value/versions/latest/schema']) {
      const res = await raw(broker, 'GET', path);
      expect(res.status, path).to.equal(200);
      expect(res.text, path).to.equal(text);
    }
  });

  it('JSON Schema: accepts drafts 04 and 06 as Confluent does, each checked against its meta-schema', async () => {
    for (const draft of ['draft-04', 'draft-06', 'draft-07']) {
      const schema = JSON.stringify({ $schema: `http://json-schema.org/${draft}/schema#`, type: 'object', properties: { n: { type: 'integer', minimum: 0 } } });
      const res = await raw(broker, 'POST', `/subjects/${draft}/versions`, { schemaType: 'JSON', schema });
      expect(res.json, draft).to.include({ version: 1 });
    }
    const bad06 = JSON.stringify({ $schema: 'http://json-schema.org/draft-06/schema#', type: 'object', properties: { n: { type: 'integer', minimum: 'zero' } } });
    expect((await raw(broker, 'POST', '/subjects/draft-06/versions', { schemaType: 'JSON', schema: bad06 })).json.error_code).to.equal(42201);
    const bad04 = JSON.stringify({ $schema: 'http://json-schema.org/draft-04/schema#', type: 'object', properties: { n: { type: 'integer', minimum: 'zero' } } });
    expect((await raw(broker, 'POST', '/subjects/draft-04/versions', { schemaType: 'JSON', schema: bad04 })).json.error_code).to.equal(42201);
  });

  it('Protobuf: the official serializer registers schemas importing well-known types and references, and the deserializer reads them', async () => {
    // As @confluentinc/schemaregistry's ProtobufSerializer does: base64 FileDescriptorProtos, dependencies as references.
    const msg = protoFiles({ 'event.proto': 'syntax = "proto3";\npackage ev;\nimport "google/protobuf/timestamp.proto";\nmessage Event { string id = 1; google.protobuf.Timestamp at = 2; }\n' }, ['google/protobuf/timestamp.proto']);
    const Event = msg('ev.Event');
    const ser = new ProtobufSerializer(client(broker), SerdeType.VALUE, { autoRegisterSchemas: true, registry: createMutableRegistry(Event) });
    const bytes = await ser.serialize('events', create(Event, { id: 'e1', at: create(TimestampSchema, { seconds: 5n }) } as never));
    const back = (await new ProtobufDeserializer(client(broker), SerdeType.VALUE, {}).deserialize('events', bytes)) as { id: string; at: { seconds: bigint } };
    expect(back.id).to.equal('e1');
    expect(back.at.seconds).to.equal(5n);

    const common = 'syntax = "proto3";\npackage c;\nmessage Money { int64 cents = 1; string cur = 2; }\n';
    const order = 'syntax = "proto3";\npackage o;\nimport "common.proto";\nmessage Order { string id = 1; c.Money total = 2; }\n';
    const files = protoFiles({ 'common.proto': common, 'order.proto': order });
    const [Order, Money] = [files('o.Order'), files('c.Money')];
    const orderSer = new ProtobufSerializer(client(broker), SerdeType.VALUE, { autoRegisterSchemas: true, registry: createMutableRegistry(Order, Money) });
    const orderBytes = await orderSer.serialize('orders', create(Order, { id: 'o1', total: create(Money, { cents: 250n, cur: 'EUR' }) } as never));
    const orderBack = (await new ProtobufDeserializer(client(broker), SerdeType.VALUE, {}).deserialize('orders', orderBytes)) as { total: { cents: bigint } };
    expect(orderBack.total.cents).to.equal(250n);
  });

  it('Protobuf: a text schema importing a well-known type is served ?format=serialized with the import as a dependency', async () => {
    const text = 'syntax = "proto3";\npackage wk;\nimport "google/protobuf/timestamp.proto";\nmessage Ev { string id = 1; google.protobuf.Timestamp at = 2; Inner inner = 3; message Inner { int32 n = 1; } }\n';
    const reg = await raw(broker, 'POST', '/subjects/wk-value/versions', { schemaType: 'PROTOBUF', schema: text });
    expect(reg.status).to.equal(200);
    const served = await raw(broker, 'GET', '/subjects/wk-value/versions/latest?format=serialized');
    expect(served.status).to.equal(200);
    const file = fromBinary(FileDescriptorProtoSchema, Buffer.from(served.json.schema, 'base64'));
    expect(file.dependency).to.deep.equal(['google/protobuf/timestamp.proto']);
    const registry = createFileRegistry(file, (name) => (name === 'google/protobuf/timestamp.proto' ? file_google_protobuf_timestamp : undefined));
    const ev = registry.getMessage('wk.Ev')!;
    expect(ev.fields.map((f) => f.message?.typeName)).to.deep.equal([undefined, 'google.protobuf.Timestamp', 'wk.Ev.Inner']);
  });

  it('Protobuf: the same schema written differently (spacing, comments) is the same schema', async () => {
    const v1 = 'syntax = "proto3";\npackage t;\nmessage M {\n  string a = 1;\n}\n';
    const same = '// the same\nsyntax = "proto3"; package t;\nmessage M { string a = 1; }';
    const first = await raw(broker, 'POST', '/subjects/pbcanon/versions', { schemaType: 'PROTOBUF', schema: v1 });
    const again = await raw(broker, 'POST', '/subjects/pbcanon/versions', { schemaType: 'PROTOBUF', schema: same });
    expect(again.json).to.deep.equal(first.json);
    expect((await raw(broker, 'POST', '/subjects/pbcanon', { schemaType: 'PROTOBUF', schema: same })).json).to.include({ id: first.json.id, version: 1 });
    const other = await raw(broker, 'POST', '/subjects/pbcanon/versions', { schemaType: 'PROTOBUF', schema: v1.replace('string a = 1;', 'string a = 1;\n  int32 b = 2;') });
    expect(other.json.version).to.equal(2);
  });
});
