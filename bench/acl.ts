/**
 * Cost of one authorization check, the price every request pays per resource
 * when authorizer.class.name is set. Prints ns per check for an index of
 * realistic size: N literal topic ACLs, N/10 prefixed ones, a few wildcards.
 *
 *   npx tsx bench/acl.ts [N=10000]
 */
import { AclAuthorizer } from '../src/security/acl/authorizer';
import type { AclStore } from '../src/security/acl/aclStore';
import { AclOperation as Op, AclPermission, PatternType, ResourceType as RT, type AclBinding } from '../src/security/acl/model';

const n = Number(process.argv[2] ?? 10_000);
const bindings: AclBinding[] = [];
const acl = (p: Partial<AclBinding>): AclBinding => ({ resourceType: RT.TOPIC, resourceName: 'x', patternType: PatternType.LITERAL, principal: 'User:u0', host: '*', operation: Op.READ, permission: AclPermission.ALLOW, ...p });
for (let i = 0; i < n; i++) bindings.push(acl({ resourceName: `topic-${i}`, principal: `User:u${i % 100}`, operation: i % 2 ? Op.READ : Op.WRITE }));
for (let i = 0; i < n / 10; i++) bindings.push(acl({ resourceName: `team-${i}.`, patternType: PatternType.PREFIXED, principal: `User:u${i % 100}` }));
bindings.push(acl({ resourceType: RT.GROUP, resourceName: '*', principal: 'User:*' }));
bindings.push(acl({ resourceName: 'topic-7', principal: 'User:*', permission: AclPermission.DENY, operation: Op.DELETE }));

const store: AclStore = { list: () => bindings, add: async () => undefined, remove: async () => undefined, onChange: () => () => undefined };
const authz = new AclAuthorizer(store, { superUsers: new Set(['User:admin']), allowEveryoneIfNoAclFound: false });

function bench(label: string, check: () => boolean, expected: boolean): void {
  if (check() !== expected) throw new Error(`${label}: wrong answer`);
  const rounds = 2_000_000;
  for (let i = 0; i < 200_000; i++) check(); // warm up
  const t0 = process.hrtime.bigint();
  let allowed = 0;
  for (let i = 0; i < rounds; i++) if (check()) allowed++;
  const ns = Number(process.hrtime.bigint() - t0) / rounds;
  console.log(`${label.padEnd(58)} ${ns.toFixed(0).padStart(5)} ns/check (${allowed === rounds ? 'allowed' : allowed === 0 ? 'denied' : 'mixed'})`);
}

const u5 = { principal: 'User:u5', remoteAddress: '10.0.0.5' };
console.log(`${bindings.length} ACLs (${n} literal, ${n / 10} prefixed)`);
bench('topic no ACL mentions (map misses, prefix lookups)', () => authz.authorize(u5, Op.WRITE, RT.TOPIC, 'unrelated-topic-name'), false);
bench('literal ALLOW hit', () => authz.authorize(u5, Op.WRITE, RT.TOPIC, 'topic-4'), false);
bench('literal ALLOW hit, right principal', () => authz.authorize({ principal: 'User:u4', remoteAddress: '1.1.1.1' }, Op.WRITE, RT.TOPIC, 'topic-4'), true);
bench('DESCRIBE implied by READ', () => authz.authorize({ principal: 'User:u5', remoteAddress: '1.1.1.1' }, Op.DESCRIBE, RT.TOPIC, 'topic-5'), true);
bench('prefixed ALLOW hit (team-5.orders)', () => authz.authorize(u5, Op.READ, RT.TOPIC, 'team-5.orders'), true);
bench('wildcard group for User:*', () => authz.authorize(u5, Op.READ, RT.GROUP, 'any-group'), true);
bench('super user', () => authz.authorize({ principal: 'User:admin', remoteAddress: '1.1.1.1' }, Op.ALTER, RT.CLUSTER, 'kafka-cluster'), true);
