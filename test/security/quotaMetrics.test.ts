import { expect } from 'chai';
import { ApiKey } from '../../protocol/generated/apis';
import type { AlterClientQuotasResponse } from '../../protocol/generated/messages/AlterClientQuotasResponse';
import type { ApiVersionsResponse } from '../../protocol/generated/messages/ApiVersionsResponse';
import type { ProduceResponse } from '../../protocol/generated/messages/ProduceResponse';
import { startTestBroker, type TestBroker } from '../helpers/broker';
import { batchOf } from '../helpers/dataPath';
import { RawClient } from '../helpers/rawClient';
import { scrape } from '../ops/promText';
import { eventually } from '../helpers/eventually';

describe('quota metrics', function () {
  let broker: TestBroker;
  const clients: RawClient[] = [];
  before(async () => {
    broker = await startTestBroker({ metricsPort: 0, config: { 'quota.window.num': '2', 'quota.window.size.seconds': '1', 'max.connections.per.ip': '3' } });
  });
  after(async () => {
    for (const c of clients) c.close();
    await broker?.destroy();
  });

  it('count throttled requests, their throttle time, and refused connections by reason', async () => {
    const port = broker.httpPort!;
    const before = await scrape(port);
    expect(before.get('brook_quota_throttled_requests_total{type="produce"}')).to.equal(0);
    expect(before.get('brook_quota_throttle_seconds_total{type="fetch"}')).to.equal(0);

    const admin = await RawClient.connect(broker.port);
    clients.push(admin);
    const altered = await admin.request<AlterClientQuotasResponse>(ApiKey.AlterClientQuotas, 1, {
      entries: [{ entity: [{ entityType: 'client-id', entityName: 'raw-test' }], ops: [{ key: 'producer_byte_rate', value: 10_000, remove: false }] }],
      validateOnly: false,
    });
    expect(altered.entries[0].errorCode).to.equal(0);
    const produced = await admin.request<ProduceResponse>(ApiKey.Produce, 9, {
      transactionalId: null,
      acks: -1,
      timeoutMs: 5000,
      topicData: [{ name: 'metered', partitionData: [{ index: 0, records: batchOf([{ value: Buffer.alloc(30_000) }]) }] }],
    });
    expect(produced.throttleTimeMs).to.be.greaterThan(0);

    for (let i = 0; i < 2; i++) {
      const c = await RawClient.connect(broker.port);
      clients.push(c);
      await c.request<ApiVersionsResponse>(ApiKey.ApiVersions, 3, { clientSoftwareName: 't', clientSoftwareVersion: '1' });
    }
    const refused = await RawClient.connect(broker.port);
    clients.push(refused);
    await refused.closedPromise;

    await eventually(async () => {
      const m = await scrape(port);
      expect(m.get('brook_quota_throttled_requests_total{type="produce"}')).to.equal(1);
      expect(m.get('brook_quota_throttle_seconds_total{type="produce"}')).to.be.closeTo(produced.throttleTimeMs / 1000, 0.001);
      expect(m.get('brook_connections_refused_total{reason="max_connections_per_ip"}')).to.equal(1);
      return m;
    }, 'the throttle and refusal counted', 5000);
  });
});
