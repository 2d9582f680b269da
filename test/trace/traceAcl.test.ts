import { expect } from 'chai';
import { AclOperationTypes, AclPermissionTypes, AclResourceTypes, Kafka, logLevel, ResourcePatternTypes } from 'kafkajs';
import { startSecureTestBroker, type SecureTestBroker } from '../helpers/secureBroker';

/* eslint-disable @typescript-eslint/no-explicit-any */

const USERS = { admin: 'admin-secret', alice: 'alice-secret' };
const basic = (u: keyof typeof USERS) => ({ authorization: `Basic ${Buffer.from(`${u}:${USERS[u]}`).toString('base64')}` });

describe('trace under ACLs: groups a caller may not describe stay out of the timeline too (kafkajs over SASL/PLAIN)', function () {
  this.timeout(60_000);
  let broker: SecureTestBroker;

  before(async () => {
    broker = await startSecureTestBroker(USERS, { metricsPort: 0, console: true, config: { 'authorizer.class.name': 'brook', 'super.users': 'User:admin', 'brook.http.rate.limit.per.sec': '0', 'offsets.topic.num.partitions': '1' } });
    const kafka = new Kafka({ clientId: 'ADMIN-PROD', brokers: [broker.saslBootstrap], sasl: { mechanism: 'plain', username: 'admin', password: USERS.admin }, logLevel: logLevel.NOTHING });
    const admin = kafka.admin();
    await admin.connect();
    try {
      await admin.createTopics({ topics: [{ topic: 'payroll', numPartitions: 1, configEntries: [{ name: 'brook.trace.enable', value: 'true' }] }] });
      const acl = (resourceType: number, resourceName: string, operation: number) => ({ resourceType, resourceName, resourcePatternType: ResourcePatternTypes.LITERAL, principal: 'User:alice', host: '*', operation, permissionType: AclPermissionTypes.ALLOW });
      await admin.createAcls({ acl: [acl(AclResourceTypes.TOPIC, 'payroll', AclOperationTypes.READ), acl(AclResourceTypes.GROUP, 'public-readers', AclOperationTypes.DESCRIBE)] });
      const producer = kafka.producer();
      await producer.connect();
      await producer.send({ topic: 'payroll', messages: Array.from({ length: 10 }, (_, i) => ({ value: `salary-${i}` })) });
      await producer.disconnect();
      await admin.setOffsets({ groupId: 'secret-payroll-group', topic: 'payroll', partitions: [{ partition: 0, offset: '10' }] });
      await admin.setOffsets({ groupId: 'public-readers', topic: 'payroll', partitions: [{ partition: 0, offset: '8' }] });
    } finally {
      await admin.disconnect();
    }
  });

  after(async () => broker?.destroy());

  const trace = async (user: keyof typeof USERS): Promise<any> => {
    const r = await fetch(`http://127.0.0.1:${broker.httpPort}/api/topics/payroll/trace?partition=0&offset=3`, { headers: basic(user) });
    expect(r.status).to.equal(200);
    return ((await r.json()) as any).traces[0];
  };

  it('shows a caller with READ on the topic only the groups it may describe, in the group list and in the timeline', async () => {
    const all = await trace('admin');
    expect(all.groups.map((g: any) => g.group)).to.deep.equal(['public-readers', 'secret-payroll-group']);
    expect(all.timeline.filter((e: any) => e.kind === 'committed-past').map((e: any) => e.group).sort()).to.deep.equal(['public-readers', 'secret-payroll-group']);
    const alice = await trace('alice');
    expect(alice.groups.map((g: any) => g.group)).to.deep.equal(['public-readers']);
    expect(alice.timeline.filter((e: any) => e.kind === 'committed-past').map((e: any) => e.detail)).to.deep.equal(['group public-readers committed offset 8 (past this record)']);
    expect(JSON.stringify(alice)).not.to.include('secret-payroll-group');
    expect(alice.producer.clientId).to.equal('ADMIN-PROD');
  });
});
