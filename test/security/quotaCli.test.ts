import { expect } from 'chai';
import { startTestBroker, type TestBroker } from '../helpers/broker';
import { brook } from '../ops/cliHarness';

describe('brook quotas (CLI)', function () {
  let broker: TestBroker;
  const b = () => ['--bootstrap-server', broker.bootstrap];
  before(async () => {
    broker = await startTestBroker();
  });
  after(async () => broker?.destroy());

  it('alters and describes quotas like kafka-configs.sh', async () => {
    let r = await brook(['quotas', '--alter', '--entity-type', 'users', '--entity-name', 'alice', '--add', 'producer_byte_rate=1048576,consumer_byte_rate=2097152', ...b()]);
    expect(r.code, r.stderr).to.equal(0);
    expect(r.stdout).to.match(/Altered quotas of user=alice/);
    r = await brook(['quotas', '--alter', '--entity-type', 'users', '--entity-name', 'alice', '--entity-type', 'clients', '--entity-default', '--add-config', 'request_percentage=25.5', ...b()]);
    expect(r.code, r.stderr).to.equal(0);
    r = await brook(['quotas', '--alter', '--client-defaults', '--add', 'producer_byte_rate=1000', ...b()]);
    expect(r.code, r.stderr).to.equal(0);
    r = await brook(['quotas', '--alter', '--ip', '10.0.0.7', '--add', 'connection_creation_rate=3', ...b()]);
    expect(r.code, r.stderr).to.equal(0);

    r = await brook(['quotas', '--describe', '--json', ...b()]);
    expect(r.code, r.stderr).to.equal(0);
    expect(JSON.parse(r.stdout)).to.deep.equal([
      { entity: [{ entityType: 'client-id', entityName: null }], quotas: { producer_byte_rate: 1000 } },
      { entity: [{ entityType: 'ip', entityName: '10.0.0.7' }], quotas: { connection_creation_rate: 3 } },
      { entity: [{ entityType: 'user', entityName: 'alice' }], quotas: { producer_byte_rate: 1048576, consumer_byte_rate: 2097152 } },
      { entity: [{ entityType: 'user', entityName: 'alice' }, { entityType: 'client-id', entityName: null }], quotas: { request_percentage: 25.5 } },
    ]);

    // A type without a name lists that type's named entities only (strict, as kafka-configs.sh).
    r = await brook(['quotas', '--describe', '--entity-type', 'users', ...b()]);
    expect(r.code, r.stderr).to.equal(0);
    expect(r.stdout).to.match(/user=alice\s+producer_byte_rate=1048576,consumer_byte_rate=2097152/);
    expect(r.stdout).to.not.match(/client-id/);

    r = await brook(['quotas', '--alter', '--user', 'alice', '--delete', 'consumer_byte_rate', ...b()]);
    expect(r.code, r.stderr).to.equal(0);
    r = await brook(['quotas', '--describe', '--user', 'alice', '--json', ...b()]);
    expect(JSON.parse(r.stdout)).to.deep.equal([{ entity: [{ entityType: 'user', entityName: 'alice' }], quotas: { producer_byte_rate: 1048576 } }]);
  });

  it('--dry-run validates without storing', async () => {
    const r = await brook(['quotas', '--alter', '--client', 'dry', '--add', 'producer_byte_rate=5', '--dry-run', ...b()]);
    expect(r.code, r.stderr).to.equal(0);
    expect(r.stdout).to.match(/Would alter/);
    const d = await brook(['quotas', '--describe', '--client', 'dry', '--json', ...b()]);
    expect(JSON.parse(d.stdout)).to.deep.equal([]);
  });

  it('reports refusals and usage errors with distinct exit codes', async () => {
    let r = await brook(['quotas', '--alter', '--user', 'bob', '--add', 'made_up_rate=5', ...b()]);
    expect(r.code).to.equal(1);
    expect(r.stderr).to.match(/INVALID_REQUEST/);
    r = await brook(['quotas', '--alter', '--user', 'bob', ...b()]);
    expect(r.code).to.equal(2);
    r = await brook(['quotas', '--describe', '--alter', ...b()]);
    expect(r.code).to.equal(2);
    r = await brook(['quotas', '--alter', '--entity-type', 'topics', '--entity-name', 'x', '--add', 'producer_byte_rate=1', ...b()]);
    expect(r.code).to.equal(2);
    r = await brook(['quotas', '--alter', '--user', 'bob', '--add', 'producer_byte_rate=lots', ...b()]);
    expect(r.code).to.equal(2);
  });

  it('says when no broker is reachable', async () => {
    const r = await brook(['quotas', '--describe', '--bootstrap-server', '127.0.0.1:1', '--timeout-ms', '1000']);
    expect(r.code).to.equal(3);
  });
});
