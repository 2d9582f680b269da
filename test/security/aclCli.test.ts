import { expect } from 'chai';
import { startTestBroker, type TestBroker } from '../helpers/broker';
import { brook } from '../ops/cliHarness';

describe('brook acls', function () {
  let broker: TestBroker;
  let b: string[];

  before(async () => {
    // The CLI connects over PLAINTEXT as User:ANONYMOUS, made a super user here so it may manage ACLs.
    broker = await startTestBroker({ config: { 'authorizer.class.name': 'brook', 'super.users': 'User:ANONYMOUS' } });
    b = ['--bootstrap-server', broker.bootstrap];
  });
  after(async () => {
    await broker?.destroy();
  });

  const listJson = async (...extra: string[]) => {
    const r = await brook(['acls', '--list', '--json', ...extra, ...b]);
    expect(r.code, r.stderr).to.equal(0);
    return JSON.parse(r.stdout) as Array<Record<string, string>>;
  };

  it('adds, lists and removes ACLs the way kafka-acls.sh does', async () => {
    let r = await brook(['acls', '--add', '--allow-principal', 'User:alice', '--operation', 'Write', '--operation', 'Describe', '--topic', 'orders', ...b]);
    expect(r.code, r.stderr).to.equal(0);
    expect(r.stdout).to.match(/TOPIC\s+orders\s+LITERAL\s+User:alice\s+\*\s+DESCRIBE\s+ALLOW/);
    r = await brook(['acls', '--add', '--deny-principal', 'User:bob', '--deny-host', '10.0.0.9', '--operation', 'Read', '--topic', 'team-a.', '--resource-pattern-type', 'prefixed', ...b]);
    expect(r.code, r.stderr).to.equal(0);

    const all = await listJson();
    expect(all).to.have.length(3);
    expect(all).to.deep.include({ resourceType: 'TOPIC', resourceName: 'team-a.', patternType: 'PREFIXED', principal: 'User:bob', host: '10.0.0.9', operation: 'READ', permission: 'DENY' });
    const authz = broker.services.authorizer!;
    expect(authz.authorize({ principal: 'User:alice', remoteAddress: '1.2.3.4' }, 4, 2, 'orders')).to.equal(true);

    // list a resource (literal by default), or everything that would apply to a name (match)
    expect((await listJson('--topic', 'orders')).map((a) => a.operation).sort()).to.deep.equal(['DESCRIBE', 'WRITE']);
    expect(await listJson('--topic', 'team-a.x')).to.deep.equal([]);
    expect((await listJson('--topic', 'team-a.x', '--resource-pattern-type', 'match')).map((a) => a.principal)).to.deep.equal(['User:bob']);
    expect((await listJson('--principal', 'User:bob')).map((a) => a.resourceName)).to.deep.equal(['team-a.']);

    r = await brook(['acls', '--remove', '--allow-principal', 'User:alice', '--operation', 'Write', '--topic', 'orders', '--json', ...b]);
    expect(r.code, r.stderr).to.equal(0);
    expect(JSON.parse(r.stdout).map((a: Record<string, string>) => a.operation)).to.deep.equal(['WRITE']);
    expect((await listJson('--topic', 'orders')).map((a) => a.operation)).to.deep.equal(['DESCRIBE']);
    // without principal/operation, --remove clears the resource
    r = await brook(['acls', '--remove', '--topic', 'orders', '--force', ...b]);
    expect(r.code, r.stderr).to.equal(0);
    expect(await listJson('--topic', 'orders')).to.deep.equal([]);
    r = await brook(['acls', '--remove', '--topic', 'team-a.', '--resource-pattern-type', 'prefixed', ...b]);
    expect(r.code, r.stderr).to.equal(0);
    expect(await listJson()).to.deep.equal([]);
  });

  it('grants what producers and consumers need with --producer / --consumer', async () => {
    let r = await brook(['acls', '--add', '--allow-principal', 'User:p', '--producer', '--idempotent', '--topic', 'out', '--transactional-id', 'tx', ...b]);
    expect(r.code, r.stderr).to.equal(0);
    r = await brook(['acls', '--add', '--allow-principal', 'User:c', '--consumer', '--topic', 'in', '--group', 'billing', ...b]);
    expect(r.code, r.stderr).to.equal(0);
    const rows = (await listJson()).map((a) => `${a.principal} ${a.resourceType}:${a.resourceName} ${a.operation}`).sort();
    expect(rows).to.deep.equal([
      'User:c GROUP:billing READ',
      'User:c TOPIC:in DESCRIBE',
      'User:c TOPIC:in READ',
      'User:p CLUSTER:kafka-cluster IDEMPOTENT_WRITE',
      'User:p TOPIC:out CREATE',
      'User:p TOPIC:out DESCRIBE',
      'User:p TOPIC:out WRITE',
      'User:p TRANSACTIONAL_ID:tx DESCRIBE',
      'User:p TRANSACTIONAL_ID:tx WRITE',
    ]);
  });

  it('refuses incomplete command lines before contacting the broker', async () => {
    const cases: string[][] = [
      ['acls', '--topic', 'x'],
      ['acls', '--add', '--list', '--topic', 'x'],
      ['acls', '--add', '--operation', 'Read', '--topic', 'x'],
      ['acls', '--add', '--allow-principal', 'User:a', '--topic', 'x'],
      ['acls', '--add', '--allow-principal', 'User:a', '--operation', 'Fly', '--topic', 'x'],
      ['acls', '--add', '--allow-principal', 'User:a', '--operation', 'Read'],
      ['acls', '--add', '--allow-principal', 'User:a', '--operation', 'Read', '--topic', 'x', '--resource-pattern-type', 'match'],
      ['acls', '--remove', '--allow-principal', 'User:a'],
    ];
    for (const argv of cases) {
      const r = await brook([...argv, '--bootstrap-server', '127.0.0.1:1']);
      expect(r.code, argv.join(' ')).to.equal(2);
    }
  });

  it('reports a broker without an authorizer as a failure', async () => {
    const plain = await startTestBroker();
    try {
      const r = await brook(['acls', '--add', '--allow-principal', 'User:a', '--operation', 'Read', '--topic', 'x', '--bootstrap-server', plain.bootstrap]);
      expect(r.code).to.equal(1);
      expect(r.stderr.toLowerCase()).to.include('security');
    } finally {
      await plain.destroy();
    }
  });
});
