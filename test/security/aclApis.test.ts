import { expect } from 'chai';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { ErrorCode } from '../../protocol/errors';
import { ApiKey } from '../../protocol/generated/apis';
import type { CreateAclsResponse } from '../../protocol/generated/messages/CreateAclsResponse';
import type { DescribeAclsResponse } from '../../protocol/generated/messages/DescribeAclsResponse';
import type { DeleteAclsResponse } from '../../protocol/generated/messages/DeleteAclsResponse';
import { RawClient } from '../helpers/rawClient';
import { startTestBroker, tempDataDir, type TestBroker } from '../helpers/broker';
import { callAs, Op, RT, PatternType, AclPermission } from './aclHarness';
import { FileAclStore } from '../../src/security/acl/aclStore';

const ANY = 1;
const anyFilter = { resourceTypeFilter: ANY, resourceNameFilter: null, patternTypeFilter: ANY, principalFilter: null, hostFilter: null, operation: ANY, permissionType: ANY };

const creation = (p: Record<string, unknown>) => ({
  resourceType: RT.TOPIC,
  resourceName: 'orders',
  resourcePatternType: PatternType.LITERAL,
  principal: 'User:alice',
  host: '*',
  operation: Op.WRITE,
  permissionType: AclPermission.ALLOW,
  ...p,
});

describe('ACL admin APIs', function () {
  let broker: TestBroker;
  let client: RawClient;
  const dataDir = tempDataDir();
  const config = { 'authorizer.class.name': 'kafka.security.authorizer.AclAuthorizer', 'super.users': 'User:ANONYMOUS' };

  before(async () => {
    broker = await startTestBroker({ dataDir, config });
    client = await RawClient.connect(broker.port);
  });
  after(async () => {
    client?.close();
    await broker?.destroy();
  });

  it('creates, describes with every filter kind and deletes ACLs, at every version', async () => {
    for (let v = 0; v <= 3; v++) {
      const prefixedOk = v >= 1;
      const created = await client.request<CreateAclsResponse>(ApiKey.CreateAcls, v, {
        creations: [
          creation({ resourceName: `orders-${v}` }),
          creation({ resourceName: `*` , operation: Op.READ, principal: 'User:bob' }),
          ...(prefixedOk ? [creation({ resourceName: `team-${v}.`, resourcePatternType: PatternType.PREFIXED, operation: Op.ALL, permissionType: AclPermission.DENY, principal: 'User:carol' })] : []),
          creation({ resourceType: RT.CLUSTER, resourceName: 'not-the-cluster' }),
        ],
      });
      expect(created.results.map((r) => r.errorCode), `v${v}`).to.deep.equal([0, 0, ...(prefixedOk ? [0] : []), ErrorCode.INVALID_REQUEST]);
      expect(created.results.at(-1)!.errorMessage).to.match(/kafka-cluster/);

      const literal = await client.request<DescribeAclsResponse>(ApiKey.DescribeAcls, v, { ...anyFilter, patternTypeFilter: v >= 1 ? ANY : PatternType.LITERAL, resourceNameFilter: `orders-${v}` });
      expect(literal.errorCode).to.equal(0);
      expect(literal.resources).to.have.length(1);
      expect(literal.resources[0]).to.deep.include({ resourceType: RT.TOPIC, resourceName: `orders-${v}` });
      expect(literal.resources[0].acls).to.deep.equal([{ principal: 'User:alice', host: '*', operation: Op.WRITE, permissionType: AclPermission.ALLOW }]);

      if (prefixedOk) {
        // MATCH: everything that applies to a topic named team-v.x: the * wildcard and the prefix
        const match = await client.request<DescribeAclsResponse>(ApiKey.DescribeAcls, v, { ...anyFilter, resourceTypeFilter: RT.TOPIC, patternTypeFilter: PatternType.MATCH, resourceNameFilter: `team-${v}.x` });
        expect(match.resources.map((r) => [r.resourceName, r.patternType]).sort()).to.deep.equal([['*', PatternType.LITERAL], [`team-${v}.`, PatternType.PREFIXED]]);
      }

      const deleted = await client.request<DeleteAclsResponse>(ApiKey.DeleteAcls, v, {
        filters: [
          { ...anyFilter, patternTypeFilter: v >= 1 ? ANY : PatternType.LITERAL, principalFilter: 'User:alice' },
          { ...anyFilter, patternTypeFilter: v >= 1 ? ANY : PatternType.LITERAL, principalFilter: 'User:bob', operation: Op.READ },
          ...(prefixedOk ? [{ ...anyFilter, patternTypeFilter: PatternType.PREFIXED }] : []),
        ],
      });
      expect(deleted.filterResults.map((r) => r.errorCode)).to.deep.equal([0, 0, ...(prefixedOk ? [0] : [])]);
      expect(deleted.filterResults[0].matchingAcls.map((a) => a.resourceName)).to.deep.equal([`orders-${v}`]);
      expect(deleted.filterResults[1].matchingAcls.map((a) => a.resourceName)).to.deep.equal(['*']);
      const left = await client.request<DescribeAclsResponse>(ApiKey.DescribeAcls, v, { ...anyFilter, patternTypeFilter: v >= 1 ? ANY : PatternType.LITERAL });
      expect(left.resources, `v${v}`).to.deep.equal([]);
    }
  });

  it('refuses invalid bindings and filters with INVALID_REQUEST', async () => {
    const created = await client.request<CreateAclsResponse>(ApiKey.CreateAcls, 3, {
      creations: [
        creation({ resourcePatternType: PatternType.MATCH }),
        creation({ principal: 'alice' }),
        creation({ operation: Op.ANY }),
        creation({ permissionType: AclPermission.ANY }),
        creation({ resourceType: RT.ANY }),
      ],
    });
    expect(created.results.map((r) => r.errorCode)).to.deep.equal(Array(5).fill(ErrorCode.INVALID_REQUEST));
    const described = await client.request<DescribeAclsResponse>(ApiKey.DescribeAcls, 3, { ...anyFilter, patternTypeFilter: 0 });
    expect(described.errorCode).to.equal(ErrorCode.INVALID_REQUEST);
    const deleted = await client.request<DeleteAclsResponse>(ApiKey.DeleteAcls, 3, { filters: [{ ...anyFilter, resourceTypeFilter: 0 }] });
    expect(deleted.filterResults[0].errorCode).to.equal(ErrorCode.INVALID_REQUEST);
  });

  it('keeps ACLs across a restart', async () => {
    await client.request<CreateAclsResponse>(ApiKey.CreateAcls, 3, {
      creations: [creation({ resourceName: 'kept' }), creation({ resourceType: RT.GROUP, resourceName: 'g-', resourcePatternType: PatternType.PREFIXED, operation: Op.READ })],
    });
    client.close();
    await broker.close();
    broker = await startTestBroker({ dataDir, config });
    client = await RawClient.connect(broker.port);
    const all = await client.request<DescribeAclsResponse>(ApiKey.DescribeAcls, 3, anyFilter);
    expect(all.resources.map((r) => [r.resourceType, r.resourceName, r.patternType])).to.deep.equal([
      [RT.TOPIC, 'kept', PatternType.LITERAL],
      [RT.GROUP, 'g-', PatternType.PREFIXED],
    ]);
    expect(broker.services.authorizer!.authorize({ principal: 'User:alice', remoteAddress: '1.1.1.1' }, Op.READ, RT.GROUP, 'g-1')).to.equal(true);
  });

  it('needs ALTER on the cluster to change ACLs and DESCRIBE to list them', async () => {
    const s = broker.services;
    const c = await callAs<CreateAclsResponse>(s, 'User:mallory', ApiKey.CreateAcls, 3, { creations: [creation({})] });
    expect(c.results[0].errorCode).to.equal(ErrorCode.CLUSTER_AUTHORIZATION_FAILED);
    const d = await callAs<DescribeAclsResponse>(s, 'User:mallory', ApiKey.DescribeAcls, 3, anyFilter);
    expect(d.errorCode).to.equal(ErrorCode.CLUSTER_AUTHORIZATION_FAILED);
    expect(d.resources).to.deep.equal([]);
    const x = await callAs<DeleteAclsResponse>(s, 'User:mallory', ApiKey.DeleteAcls, 3, { filters: [anyFilter] });
    expect(x.filterResults[0].errorCode).to.equal(ErrorCode.CLUSTER_AUTHORIZATION_FAILED);
    expect(s.authorizer!.store.list().length).to.be.greaterThan(0);

    // DESCRIBE on the cluster lets one list ACLs but not change them; ALTER implies DESCRIBE
    await s.authorizer!.store.add([{ resourceType: RT.CLUSTER, resourceName: 'kafka-cluster', patternType: PatternType.LITERAL, principal: 'User:auditor', host: '*', operation: Op.DESCRIBE, permission: AclPermission.ALLOW }]);
    expect((await callAs<DescribeAclsResponse>(s, 'User:auditor', ApiKey.DescribeAcls, 3, anyFilter)).errorCode).to.equal(0);
    expect((await callAs<CreateAclsResponse>(s, 'User:auditor', ApiKey.CreateAcls, 3, { creations: [creation({})] })).results[0].errorCode).to.equal(ErrorCode.CLUSTER_AUTHORIZATION_FAILED);
  });
});

describe('ACL admin APIs without an authorizer', () => {
  it('answer SECURITY_DISABLED', async () => {
    const broker = await startTestBroker();
    const client = await RawClient.connect(broker.port);
    try {
      const c = await client.request<CreateAclsResponse>(ApiKey.CreateAcls, 3, { creations: [creation({})] });
      expect(c.results[0].errorCode).to.equal(ErrorCode.SECURITY_DISABLED);
      const d = await client.request<DescribeAclsResponse>(ApiKey.DescribeAcls, 3, anyFilter);
      expect(d.errorCode).to.equal(ErrorCode.SECURITY_DISABLED);
      const x = await client.request<DeleteAclsResponse>(ApiKey.DeleteAcls, 3, { filters: [anyFilter] });
      expect(x.filterResults[0].errorCode).to.equal(ErrorCode.SECURITY_DISABLED);
    } finally {
      client.close();
      await broker.destroy();
    }
  });
});

describe('ACL store and broker configuration', () => {
  it('keeps concurrent changes and writes readable names to acls.json', async () => {
    const dir = tempDataDir();
    mkdirSync(dir, { recursive: true });
    try {
      const store = await FileAclStore.open(dir);
      const b = (name: string) => ({ resourceType: RT.TOPIC, resourceName: name, patternType: PatternType.LITERAL, principal: 'User:alice', host: '*', operation: Op.READ, permission: AclPermission.ALLOW });
      await Promise.all([store.add([b('t1')]), store.add([b('t2'), b('t1')]), store.remove([b('t3')]), store.add([b('t3')])]);
      const reopened = await FileAclStore.open(dir);
      expect(reopened.list().map((x) => x.resourceName)).to.deep.equal(['t1', 't2', 't3']);
      const file = JSON.parse(readFileSync(`${dir}/acls.json`, 'utf8'));
      expect(file.acls[0]).to.deep.equal({ resourceType: 'TOPIC', resourceName: 't1', patternType: 'LITERAL', principal: 'User:alice', host: '*', operation: 'READ', permission: 'ALLOW' });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses to start with a malformed acls.json or an unknown authorizer, instead of running open', async () => {
    const dir = tempDataDir();
    mkdirSync(dir, { recursive: true });
    try {
      writeFileSync(`${dir}/acls.json`, JSON.stringify({ version: 1, acls: [{ resourceType: 'TOPIC', resourceName: 't', patternType: 'LITERAL', principal: 'User:a', host: '*', operation: 'FLY', permission: 'ALLOW' }] }));
      const err = await startTestBroker({ dataDir: dir, config: { 'authorizer.class.name': 'brook' } }).then(
        (b) => b.destroy().then(() => null),
        (e: Error) => e,
      );
      expect(err?.message).to.match(/unknown operation FLY/);
      const err2 = await startTestBroker({ dataDir: dir, config: { 'authorizer.class.name': 'kafka.security.auth.SimpleAclAuthorizer' } }).then(
        (b) => b.destroy().then(() => null),
        (e: Error) => e,
      );
      expect(err2?.message).to.match(/unsupported authorizer/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('allow.everyone.if.no.acl.found opens only the resources no ACL mentions', async () => {
    const broker = await startTestBroker({ config: { 'authorizer.class.name': 'brook', 'allow.everyone.if.no.acl.found': 'true' } });
    try {
      const client = await RawClient.connect(broker.port);
      try {
        // Only the cluster has an ACL (for someone else), so ANONYMOUS may not describe ACLs, but may create topics that no ACL mentions
        await broker.services.authorizer!.store.add([{ resourceType: RT.CLUSTER, resourceName: 'kafka-cluster', patternType: PatternType.LITERAL, principal: 'User:admin', host: '*', operation: Op.ALL, permission: AclPermission.ALLOW }, { resourceType: RT.TOPIC, resourceName: 'guarded', patternType: PatternType.LITERAL, principal: 'User:admin', host: '*', operation: Op.ALL, permission: AclPermission.ALLOW }]);
        expect((await client.request<DescribeAclsResponse>(ApiKey.DescribeAcls, 3, anyFilter)).errorCode).to.equal(ErrorCode.CLUSTER_AUTHORIZATION_FAILED);
        const md = await client.request<{ topics: Array<{ name: string; errorCode: number }> }>(ApiKey.Metadata, 12, { topics: [{ name: 'open-topic' }, { name: 'guarded' }], allowAutoTopicCreation: true });
        expect(md.topics.map((t) => [t.name, t.errorCode])).to.deep.equal([['open-topic', 0], ['guarded', ErrorCode.TOPIC_AUTHORIZATION_FAILED]]);
      } finally {
        client.close();
      }
    } finally {
      await broker.destroy();
    }
  });
});
