import { expect } from 'chai';
import { incompatibilities, type CompatibilityLevel } from '../../src/http/registry/compatibility';
import { parseSchema, type SchemaType } from '../../src/http/registry/schemaTypes';

const avro = (fields: unknown[]) => parseSchema('AVRO', JSON.stringify({ type: 'record', name: 'R', fields }));
const json = (s: unknown) => parseSchema('JSON', JSON.stringify(s));
const proto = (body: string) => parseSchema('PROTOBUF', `syntax = "proto3"; package p; ${body}`);
const ok = (level: CompatibilityLevel, next: ReturnType<typeof parseSchema>, ...prev: Array<ReturnType<typeof parseSchema>>) =>
  incompatibilities(level, next, prev.map((schema, i) => ({ version: i + 1, schema })));

describe('schema compatibility rules', () => {
  it('Avro: a field added with a default is BACKWARD and FORWARD compatible, without a default only FORWARD', () => {
    const v1 = avro([{ name: 'a', type: 'string' }]);
    const withDefault = avro([{ name: 'a', type: 'string' }, { name: 'b', type: 'int', default: 0 }]);
    const noDefault = avro([{ name: 'a', type: 'string' }, { name: 'b', type: 'int' }]);
    expect(ok('FULL', withDefault, v1)).to.deep.equal([]);
    expect(ok('BACKWARD', noDefault, v1)).to.have.length(1);
    expect(ok('FORWARD', noDefault, v1)).to.deep.equal([]);
    // int -> long is a promotion for readers of the new schema only.
    const long = avro([{ name: 'a', type: 'string' }, { name: 'b', type: 'long', default: 0 }]);
    expect(ok('BACKWARD', long, withDefault)).to.deep.equal([]);
    expect(ok('FORWARD', long, withDefault)).to.have.length(1);
    expect(ok('NONE', parseSchema('AVRO', '"string"'), v1)).to.deep.equal([]);
  });

  it('_TRANSITIVE compares with every earlier version, the plain level with the latest only', () => {
    const v1 = avro([{ name: 'a', type: 'string' }]);
    const v2 = avro([{ name: 'a', type: 'string', default: '' }]);
    const v3 = avro([{ name: 'c', type: 'string', default: '' }]);
    // v3 drops a: v1 readers (a without default) cannot read v3 data; v2 readers can (default).
    expect(ok('FORWARD', v3, v1, v2)).to.deep.equal([]);
    expect(ok('FORWARD_TRANSITIVE', v3, v1, v2).join()).to.include('version 1');
  });

  it('JSON Schema: widening is backward compatible, narrowing and new required properties are not', () => {
    const v1 = json({ type: 'object', properties: { n: { type: 'integer' }, s: { type: 'string', maxLength: 10 } }, required: ['n'] });
    expect(ok('BACKWARD', json({ type: 'object', properties: { n: { type: 'number' }, s: { type: 'string', maxLength: 20 } }, required: ['n'] }), v1)).to.deep.equal([]);
    expect(ok('BACKWARD', json({ type: 'object', properties: { n: { type: 'string' }, s: { type: 'string' } }, required: ['n'] }), v1).join()).to.include('TYPE_CHANGED');
    expect(ok('BACKWARD', json({ type: 'object', properties: { n: { type: 'integer' }, s: { type: 'string', maxLength: 10 } }, required: ['n', 's'] }), v1).join()).to.include('REQUIRED_ATTRIBUTE_ADDED');
    expect(ok('BACKWARD', json({ type: 'object', properties: { n: { type: 'integer' }, s: { type: 'string', maxLength: 5 } }, required: ['n'] }), v1).join()).to.include('MAXLENGTH_DECREASED');
    const closed = json({ type: 'object', properties: { n: { type: 'integer' } }, additionalProperties: false });
    expect(ok('BACKWARD', closed, v1).join()).to.include('PROPERTY_REMOVED_FROM_CLOSED_CONTENT_MODEL');
    expect(ok('BACKWARD', json({ enum: ['a', 'b'] }), json({ enum: ['a', 'b', 'c'] })).join()).to.include('ENUM_ARRAY_NARROWED');
    expect(ok('BACKWARD', json({ enum: ['a', 'b', 'c'] }), json({ enum: ['a', 'b'] }))).to.deep.equal([]);
  });

  it('Protobuf: numbers keep wire-compatible types; removed messages and cardinality changes are incompatible', () => {
    const v1 = proto('message M { int32 a = 1; string s = 2; } message N { bool f = 1; }');
    expect(ok('FULL', proto('message M { int64 a = 1; bytes s = 2; string extra = 3; } message N { bool f = 1; }'), v1)).to.deep.equal([]);
    expect(ok('BACKWARD', proto('message M { double a = 1; string s = 2; } message N { bool f = 1; }'), v1).join()).to.include('FIELD_KIND_CHANGED');
    expect(ok('BACKWARD', proto('message M { int32 a = 1; string s = 2; }'), v1).join()).to.include('MESSAGE_REMOVED');
    expect(ok('BACKWARD', proto('message M { repeated int32 a = 1; string s = 2; } message N { bool f = 1; }'), v1).join()).to.include('FIELD_CARDINALITY_CHANGED');
  });

  it('a change of schema type is never compatible', () => {
    const t: SchemaType = 'JSON';
    expect(ok('BACKWARD', parseSchema(t, '{"type":"string"}'), parseSchema('AVRO', '"string"')).join()).to.include('schema type changed');
  });
});
