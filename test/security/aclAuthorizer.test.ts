import { expect } from 'chai';
import { AclAuthorizer } from '../../src/security/acl/authorizer';
import type { AclStore } from '../../src/security/acl/aclStore';
import { authorizerConfigFrom } from '../../src/security/acl/authorizerConfig';
import {
  AclOperation as Op,
  AclPermission as Perm,
  PatternType,
  ResourceType as RT,
  bindingProblem,
  filterMatches,
  filterProblem,
  operationCode,
  type AclBinding,
  type AclBindingFilter,
} from '../../src/security/acl/model';

/** An in-memory store: the authorizer only needs list() and onChange(). */
class MemoryStore implements AclStore {
  private all: AclBinding[] = [];
  private readonly listeners = new Set<(b: readonly AclBinding[]) => void>();
  list() {
    return this.all;
  }
  async add(bs: readonly AclBinding[]) {
    this.all = [...this.all, ...bs];
    for (const l of this.listeners) l(this.all);
  }
  async remove(bs: readonly AclBinding[]) {
    this.all = this.all.filter((b) => !bs.includes(b));
    for (const l of this.listeners) l(this.all);
  }
  onChange(l: (b: readonly AclBinding[]) => void) {
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  }
}

const acl = (p: Partial<AclBinding>): AclBinding => ({
  resourceType: RT.TOPIC,
  resourceName: 'orders',
  patternType: PatternType.LITERAL,
  principal: 'User:alice',
  host: '*',
  operation: Op.READ,
  permission: Perm.ALLOW,
  ...p,
});

const alice = { principal: 'User:alice', remoteAddress: '10.0.0.1' };
const bob = { principal: 'User:bob', remoteAddress: '10.0.0.2' };

function authorizer(bindings: AclBinding[], raw: Record<string, string> = {}): AclAuthorizer {
  const store = new MemoryStore();
  void store.add(bindings);
  return new AclAuthorizer(store, authorizerConfigFrom({ 'authorizer.class.name': 'brook', ...raw })!);
}

describe('ACL authorizer', () => {
  it('allows only the principal, operation and resource a literal ACL names', () => {
    const a = authorizer([acl({})]);
    expect(a.authorize(alice, Op.READ, RT.TOPIC, 'orders')).to.equal(true);
    expect(a.authorize(alice, Op.WRITE, RT.TOPIC, 'orders')).to.equal(false);
    expect(a.authorize(alice, Op.READ, RT.TOPIC, 'orders2')).to.equal(false);
    expect(a.authorize(alice, Op.READ, RT.GROUP, 'orders')).to.equal(false);
    expect(a.authorize(bob, Op.READ, RT.TOPIC, 'orders')).to.equal(false);
  });

  it('matches prefixed patterns by name prefix only', () => {
    const a = authorizer([acl({ resourceName: 'team-a.', patternType: PatternType.PREFIXED, operation: Op.WRITE })]);
    expect(a.authorize(alice, Op.WRITE, RT.TOPIC, 'team-a.orders')).to.equal(true);
    expect(a.authorize(alice, Op.WRITE, RT.TOPIC, 'team-a.')).to.equal(true);
    expect(a.authorize(alice, Op.WRITE, RT.TOPIC, 'team-b.orders')).to.equal(false);
    expect(a.authorize(alice, Op.WRITE, RT.TOPIC, 'team-a')).to.equal(false);
  });

  it('finds prefixes of every stored length, among many or few', () => {
    const many = Array.from({ length: 40 }, (_, i) => acl({ resourceName: `p${i}-`, patternType: PatternType.PREFIXED }));
    const a = authorizer([...many, acl({ resourceName: 'ab', patternType: PatternType.PREFIXED })]);
    expect(a.authorize(alice, Op.READ, RT.TOPIC, 'abc')).to.equal(true);
    expect(a.authorize(alice, Op.READ, RT.TOPIC, 'p7-x')).to.equal(true);
    expect(a.authorize(alice, Op.READ, RT.TOPIC, 'p7x')).to.equal(false);
    const few = authorizer([acl({ resourceName: 'ab', patternType: PatternType.PREFIXED })]);
    expect(few.authorize(alice, Op.READ, RT.TOPIC, 'abcdefgh')).to.equal(true);
    expect(few.authorize(alice, Op.READ, RT.TOPIC, 'a')).to.equal(false);
  });

  it('treats literal * as every resource, User:* as every principal and host * as every host', () => {
    const a = authorizer([
      acl({ resourceName: '*', principal: 'User:alice' }),
      acl({ resourceType: RT.GROUP, resourceName: 'g', principal: 'User:*' }),
      acl({ resourceName: 'hosted', principal: 'User:bob', host: '10.0.0.2', operation: Op.WRITE }),
    ]);
    expect(a.authorize(alice, Op.READ, RT.TOPIC, 'anything')).to.equal(true);
    expect(a.authorize(bob, Op.READ, RT.GROUP, 'g')).to.equal(true);
    expect(a.authorize(bob, Op.WRITE, RT.TOPIC, 'hosted')).to.equal(true);
    expect(a.authorize({ principal: 'User:bob', remoteAddress: '10.0.0.3' }, Op.WRITE, RT.TOPIC, 'hosted')).to.equal(false);
    // an IPv4 client seen through a dual-stack socket still matches its plain address
    expect(a.authorize({ principal: 'User:bob', remoteAddress: '::ffff:10.0.0.2' }, Op.WRITE, RT.TOPIC, 'hosted')).to.equal(true);
  });

  it('lets a DENY win over any ALLOW, including one from a wildcard or prefix', () => {
    const a = authorizer([
      acl({ resourceName: '*', operation: Op.ALL }),
      acl({ resourceName: 'secret', patternType: PatternType.PREFIXED, operation: Op.READ, permission: Perm.DENY }),
      acl({ resourceName: 'locked', principal: 'User:*', operation: Op.ALL, permission: Perm.DENY }),
    ]);
    expect(a.authorize(alice, Op.READ, RT.TOPIC, 'public')).to.equal(true);
    expect(a.authorize(alice, Op.READ, RT.TOPIC, 'secret-plans')).to.equal(false);
    expect(a.authorize(alice, Op.WRITE, RT.TOPIC, 'secret-plans')).to.equal(true);
    expect(a.authorize(alice, Op.DESCRIBE, RT.TOPIC, 'locked')).to.equal(false);
  });

  it('applies Kafka implications to ALLOW but not to DENY', () => {
    for (const op of [Op.READ, Op.WRITE, Op.DELETE, Op.ALTER, Op.ALL]) {
      expect(authorizer([acl({ operation: op })]).authorize(alice, Op.DESCRIBE, RT.TOPIC, 'orders'), `op ${op}`).to.equal(true);
    }
    expect(authorizer([acl({ operation: Op.CREATE })]).authorize(alice, Op.DESCRIBE, RT.TOPIC, 'orders')).to.equal(false);
    expect(authorizer([acl({ operation: Op.ALTER_CONFIGS })]).authorize(alice, Op.DESCRIBE_CONFIGS, RT.TOPIC, 'orders')).to.equal(true);
    expect(authorizer([acl({ operation: Op.DESCRIBE })]).authorize(alice, Op.READ, RT.TOPIC, 'orders')).to.equal(false);
    // DENY READ does not deny DESCRIBE, which READ would imply
    const a = authorizer([acl({ operation: Op.DESCRIBE }), acl({ operation: Op.READ, permission: Perm.DENY })]);
    expect(a.authorize(alice, Op.DESCRIBE, RT.TOPIC, 'orders')).to.equal(true);
    expect(a.authorize(alice, Op.READ, RT.TOPIC, 'orders')).to.equal(false);
  });

  it('lets super users do anything, even against a DENY', () => {
    const a = authorizer([acl({ principal: 'User:*', operation: Op.ALL, permission: Perm.DENY })], { 'super.users': 'User:admin; User:bob' });
    expect(a.authorize({ principal: 'User:admin', remoteAddress: '1.2.3.4' }, Op.ALTER, RT.CLUSTER, 'kafka-cluster')).to.equal(true);
    expect(a.authorize(bob, Op.READ, RT.TOPIC, 'orders')).to.equal(true);
    expect(a.authorize(alice, Op.READ, RT.TOPIC, 'orders')).to.equal(false);
  });

  it('opens resources no ACL mentions only with allow.everyone.if.no.acl.found', () => {
    const strict = authorizer([acl({})]);
    const open = authorizer([acl({})], { 'allow.everyone.if.no.acl.found': 'true' });
    expect(strict.authorize(bob, Op.WRITE, RT.TOPIC, 'unmentioned')).to.equal(false);
    expect(open.authorize(bob, Op.WRITE, RT.TOPIC, 'unmentioned')).to.equal(true);
    // once any ACL concerns the resource, only the ACLs decide
    expect(open.authorize(bob, Op.READ, RT.TOPIC, 'orders')).to.equal(false);
  });

  it('follows store changes', async () => {
    const store = new MemoryStore();
    const a = new AclAuthorizer(store, authorizerConfigFrom({ 'authorizer.class.name': 'kafka.security.authorizer.AclAuthorizer' })!);
    expect(a.authorize(alice, Op.READ, RT.TOPIC, 'orders')).to.equal(false);
    const b = acl({});
    await store.add([b]);
    expect(a.authorize(alice, Op.READ, RT.TOPIC, 'orders')).to.equal(true);
    await store.remove([b]);
    expect(a.authorize(alice, Op.READ, RT.TOPIC, 'orders')).to.equal(false);
  });

  it('answers "may write some topic" for idempotent producers', () => {
    expect(authorizer([acl({ resourceName: 'x', operation: Op.WRITE })]).authorizeAny(alice, Op.WRITE, RT.TOPIC)).to.equal(true);
    expect(authorizer([acl({ resourceName: 'x', operation: Op.READ })]).authorizeAny(alice, Op.WRITE, RT.TOPIC)).to.equal(false);
    const denied = authorizer([acl({ resourceName: 'x', operation: Op.WRITE }), acl({ resourceName: '*', operation: Op.WRITE, permission: Perm.DENY })]);
    expect(denied.authorizeAny(alice, Op.WRITE, RT.TOPIC)).to.equal(false);
  });

  it('reports authorized operations as a bit field', () => {
    const a = authorizer([acl({ operation: Op.WRITE })]);
    const bits = a.authorizedOperations(alice, RT.TOPIC, 'orders', [Op.READ, Op.WRITE, Op.DESCRIBE]);
    expect(bits).to.equal((1 << Op.WRITE) | (1 << Op.DESCRIBE));
  });
});

describe('ACL config', () => {
  it('is off without authorizer.class.name and refuses authorizers Brook does not have', () => {
    expect(authorizerConfigFrom({})).to.equal(null);
    expect(authorizerConfigFrom({ 'authorizer.class.name': 'org.apache.kafka.metadata.authorizer.StandardAuthorizer' })).to.not.equal(null);
    expect(() => authorizerConfigFrom({ 'authorizer.class.name': 'com.example.Custom' })).to.throw(/unsupported authorizer/);
    expect(() => authorizerConfigFrom({ 'authorizer.class.name': 'brook', 'allow.everyone.if.no.acl.found': 'yes' })).to.throw(/not a boolean/);
  });
});

describe('ACL model', () => {
  it('validates bindings the way CreateAcls must', () => {
    expect(bindingProblem(acl({}))).to.equal(null);
    expect(bindingProblem(acl({ patternType: PatternType.MATCH }))).to.match(/pattern type/);
    expect(bindingProblem(acl({ resourceType: RT.ANY }))).to.match(/resource type/);
    expect(bindingProblem(acl({ operation: Op.ANY }))).to.match(/operation/);
    expect(bindingProblem(acl({ permission: Perm.ANY }))).to.match(/permission/);
    expect(bindingProblem(acl({ principal: 'alice' }))).to.match(/principal/);
    expect(bindingProblem(acl({ resourceType: RT.CLUSTER, resourceName: 'other' }))).to.match(/kafka-cluster/);
    expect(bindingProblem(acl({ resourceName: '' }))).to.match(/empty/);
  });

  it('parses operation names the way kafka-acls writes them', () => {
    expect(operationCode('Write')).to.equal(Op.WRITE);
    expect(operationCode('DescribeConfigs')).to.equal(Op.DESCRIBE_CONFIGS);
    expect(operationCode('IDEMPOTENT_WRITE')).to.equal(Op.IDEMPOTENT_WRITE);
    expect(operationCode('Fly')).to.equal(undefined);
  });

  it('filters with ANY, MATCH, LITERAL and PREFIXED pattern semantics', () => {
    const literal = acl({});
    const wildcard = acl({ resourceName: '*' });
    const prefixed = acl({ resourceName: 'ord', patternType: PatternType.PREFIXED });
    const other = acl({ resourceName: 'x', patternType: PatternType.PREFIXED });
    const all = [literal, wildcard, prefixed, other];
    const f = (p: Partial<AclBindingFilter>): AclBinding[] => {
      const filter: AclBindingFilter = { resourceType: RT.ANY, resourceName: null, patternType: PatternType.ANY, principal: null, host: null, operation: Op.ANY, permission: Perm.ANY, ...p };
      expect(filterProblem(filter)).to.equal(null);
      return all.filter((b) => filterMatches(filter, b));
    };
    expect(f({})).to.deep.equal(all);
    expect(f({ resourceName: 'orders' })).to.deep.equal([literal]);
    expect(f({ resourceName: 'orders', patternType: PatternType.MATCH })).to.deep.equal([literal, wildcard, prefixed]);
    expect(f({ patternType: PatternType.PREFIXED })).to.deep.equal([prefixed, other]);
    expect(f({ patternType: PatternType.LITERAL, resourceName: 'ord' })).to.deep.equal([]);
    expect(f({ resourceType: RT.GROUP })).to.deep.equal([]);
    expect(f({ principal: 'User:bob' })).to.deep.equal([]);
    expect(f({ operation: Op.READ, permission: Perm.ALLOW, host: '*' })).to.deep.equal(all);
    expect(filterProblem({ resourceType: RT.UNKNOWN, resourceName: null, patternType: PatternType.ANY, principal: null, host: null, operation: Op.ANY, permission: Perm.ANY })).to.match(/resource type/);
  });
});
