import { expect } from 'chai';
import { Kafka, logLevel, AclResourceTypes, AclOperationTypes, AclPermissionTypes, ResourcePatternTypes } from 'kafkajs';
import { clusterConfig } from '../../src/metadata/etcd/clusterConfig';
import { EtcdMetadataService } from '../../src/metadata/etcd/etcdMetadataService';
import { AclOperation, AclPermission, PatternType, ResourceType, type AclBinding } from '../../src/security/acl/model';
import { SCRAM_SHA_256, SCRAM_SHA_512 } from '../../src/security/scram/credential';
import type { ScramCredentialChange } from '../../src/security/scram/store';
import { startEtcd, type TestEtcd } from '../helpers/etcd';
import { memoryLogger } from '../helpers/memoryLogger';
import { EtcdTestCluster, eventually } from './helpers/etcdCluster';

const acl = (resourceName: string, principal: string): AclBinding => ({
  resourceType: ResourceType.TOPIC,
  resourceName,
  patternType: PatternType.LITERAL,
  principal,
  host: '*',
  operation: AclOperation.READ,
  permission: AclPermission.ALLOW,
});

const credential = (n: number) => ({ salt: Buffer.from([n, 1, 2]), iterations: 4096, storedKey: Buffer.alloc(32, n), serverKey: Buffer.alloc(32, n + 1) });

describe('ACLs, SCRAM credentials and quotas shared through etcd', function () {
  this.timeout(60_000);
  let etcd: TestEtcd;
  let seq = 0;
  const open: EtcdMetadataService[] = [];

  before(async () => {
    etcd = await startEtcd();
  });
  after(async () => {
    await etcd?.stop();
  });
  afterEach(async () => {
    await Promise.all(open.splice(0).map((s) => s.close()));
  });

  async function pair(): Promise<[EtcdMetadataService, EtcdMetadataService]> {
    const prefix = `/brook-sec-${++seq}`;
    const mk = async (nodeId: number) => {
      const s = await EtcdMetadataService.open({
        cluster: clusterConfig({ raw: { 'etcd.endpoints': etcd.endpoint, 'etcd.prefix': prefix } }),
        self: { nodeId, host: '127.0.0.1', port: 9000 + nodeId, rack: null },
        defaultPartitions: 1,
        defaultReplicationFactor: 1,
        logger: memoryLogger(),
      });
      open.push(s);
      return s;
    };
    return [await mk(1), await mk(2)];
  }

  it('ACLs added on two brokers at once all land and reach both, with change notifications', async () => {
    const [a, b] = await pair();
    const sa = (await a.securityStores()).acls;
    const sb = (await b.securityStores()).acls;
    const heard: number[] = [];
    sb.onChange((bindings) => heard.push(bindings.length));
    await Promise.all([sa.add([acl('t1', 'User:alice')]), sb.add([acl('t2', 'User:bob')]), sa.add([acl('t3', 'User:carol')])]);
    await eventually(() => sa.list().length === 3 && sb.list().length === 3, 'three ACLs on both');
    expect(sb.list().map((x) => x.resourceName).sort()).to.deep.equal(['t1', 't2', 't3']);
    expect(heard.at(-1)).to.equal(3);
    await sb.remove([acl('t1', 'User:alice')]);
    await eventually(() => sa.list().length === 2, 'removal seen on a');
    // Adding an existing binding changes nothing.
    await sa.add([acl('t2', 'User:bob')]);
    expect(sa.list()).to.have.length(2);
  });

  it('SCRAM credentials written on one broker authenticate on the other, and deletions propagate', async () => {
    const [a, b] = await pair();
    const sa = (await a.securityStores()).scram;
    const sb = (await b.securityStores()).scram;
    const changes: ScramCredentialChange[][] = [];
    sb.onChange((c) => changes.push(c));
    await sa.apply([
      { user: 'alice', mechanism: SCRAM_SHA_256, credential: credential(1) },
      { user: 'alice', mechanism: SCRAM_SHA_512, credential: credential(2) },
    ]);
    const got = await eventually(() => sb.get('alice', SCRAM_SHA_512) ?? undefined, 'credential on b');
    expect(got.storedKey.equals(Buffer.alloc(32, 2))).to.equal(true);
    expect(got.salt.equals(Buffer.from([2, 1, 2]))).to.equal(true);
    expect(sb.users()).to.deep.equal([{ user: 'alice', credentials: [{ mechanism: SCRAM_SHA_256, iterations: 4096 }, { mechanism: SCRAM_SHA_512, iterations: 4096 }] }]);
    expect(changes.flat().map((c) => c.mechanism.name).sort()).to.deep.equal(['SCRAM-SHA-256', 'SCRAM-SHA-512']);
    await sb.apply([{ user: 'alice', mechanism: SCRAM_SHA_256, credential: null }]);
    await eventually(() => sa.get('alice', SCRAM_SHA_256) === null, 'deleted on a');
    expect(sa.get('alice', SCRAM_SHA_512)).to.not.equal(null);
  });

  it('quota changes from two brokers merge', async () => {
    const [a, b] = await pair();
    const qa = (await a.securityStores()).quotas;
    const qb = (await b.securityStores()).quotas;
    let notified = 0;
    qa.onChange(() => notified++);
    await Promise.all([
      qa.alter([{ entity: { user: 'alice' }, set: { producer_byte_rate: 1000 }, remove: [] }]),
      qb.alter([{ entity: { user: 'alice' }, set: { consumer_byte_rate: 2000 }, remove: [] }]),
    ]);
    const both = (q: typeof qa) => q.entries().length === 1 && Object.keys(q.entries()[0].values).length === 2;
    await eventually(() => both(qa) && both(qb), 'both quota keys on both brokers');
    expect(qb.entries()).to.deep.equal([{ entity: { user: 'alice' }, values: { producer_byte_rate: 1000, consumer_byte_rate: 2000 } }]);
    expect(notified).to.be.greaterThan(0);
  });

  it('CreateAcls on one broker reaches the authorizer of another and DescribeAcls there', async () => {
    const cluster = await EtcdTestCluster.start([1, 2], {
      etcd,
      config: { 'authorizer.class.name': 'brook', 'super.users': 'User:ANONYMOUS' },
    });
    try {
      const admin1 = new Kafka({ brokers: [cluster.broker(1).bootstrap], logLevel: logLevel.NOTHING }).admin();
      await admin1.connect();
      await admin1.createAcls({
        acl: [
          {
            resourceType: AclResourceTypes.TOPIC,
            resourceName: 'shared-acl',
            resourcePatternType: ResourcePatternTypes.LITERAL,
            principal: 'User:alice',
            host: '*',
            operation: AclOperationTypes.WRITE,
            permissionType: AclPermissionTypes.ALLOW,
          },
        ],
      });
      await admin1.disconnect();
      const authorizer2 = cluster.broker(2).services.authorizer!;
      await eventually(() => authorizer2.store.list().length === 1, 'ACL on broker 2');
      const admin2 = new Kafka({ brokers: [cluster.broker(2).bootstrap], logLevel: logLevel.NOTHING }).admin();
      await admin2.connect();
      const described = await admin2.describeAcls({
        resourceType: AclResourceTypes.ANY,
        resourcePatternType: ResourcePatternTypes.ANY,
        operation: AclOperationTypes.ANY,
        permissionType: AclPermissionTypes.ANY,
      });
      await admin2.disconnect();
      expect(described.resources.map((r) => r.resourceName)).to.deep.equal(['shared-acl']);
      expect(described.resources[0].acls[0].principal).to.equal('User:alice');
    } finally {
      await cluster.stop();
    }
  });
});
