import { expect } from 'chai';
import { Admin, ClientQuotaMatchTypes } from '@platformatic/kafka';
import { startTestBroker, type TestBroker } from '../helpers/broker';

/** A real admin client that speaks DescribeClientQuotas / AlterClientQuotas (kafkajs has neither). */
describe('client quotas: @platformatic/kafka Admin', () => {
  let broker: TestBroker;
  let admin: Admin;

  before(async () => {
    broker = await startTestBroker();
    admin = new Admin({ clientId: 'brook-quota-admin', bootstrapBrokers: [broker.bootstrap] });
  });
  after(async () => {
    await admin?.close();
    await broker?.destroy();
  });

  it('alters, describes and removes quotas', async () => {
    const altered = await admin.alterClientQuotas({
      entries: [
        { entities: [{ entityType: 'user', entityName: 'carol' }], ops: [{ key: 'producer_byte_rate', value: 65536, remove: false }] },
        { entities: [{ entityType: 'client-id', entityName: null }], ops: [{ key: 'consumer_byte_rate', value: 131072, remove: false }] },
      ],
    });
    expect(altered.map((e) => e.errorCode)).to.deep.equal([0, 0]);

    const carol = await admin.describeClientQuotas({ components: [{ entityType: 'user', matchType: ClientQuotaMatchTypes.EXACT, match: 'carol' }], strict: true });
    expect(carol).to.have.length(1);
    expect(carol[0].entity).to.deep.equal([{ entityType: 'user', entityName: 'carol' }]);
    expect(carol[0].values).to.deep.equal([{ key: 'producer_byte_rate', value: 65536 }]);

    const defaults = await admin.describeClientQuotas({ components: [{ entityType: 'client-id', matchType: ClientQuotaMatchTypes.DEFAULT }] });
    expect(defaults.map((e) => e.values)).to.deep.equal([[{ key: 'consumer_byte_rate', value: 131072 }]]);
    expect(broker.services.quotas!.fetch.match('User:anyone', 'any-client')?.limit).to.equal(131072);

    await admin.alterClientQuotas({ entries: [{ entities: [{ entityType: 'user', entityName: 'carol' }], ops: [{ key: 'producer_byte_rate', remove: true }] }] });
    expect(await admin.describeClientQuotas({ components: [{ entityType: 'user', matchType: ClientQuotaMatchTypes.ANY }] })).to.deep.equal([]);
  });
});
