import { expect } from 'chai';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { makeTestCerts } from '../helpers/certs';
import { plainJaas } from '../helpers/secureBroker';
import { startTestBroker, tempDataDir } from '../helpers/broker';
import { startSecureTestBroker } from '../helpers/secureBroker';
import { brook } from '../ops/cliHarness';
import { kafkajsRoundTrip } from './drivers/secureClients';

describe('brook users scram (CLI)', function () {
  this.timeout(60_000);

  it('adds, lists and deletes users on a running broker; the added user logs in with kafkajs', async () => {
    const b = await startSecureTestBroker({});
    try {
      const add = await brook(['users', 'scram', '-b', b.plainBootstrap, '--add', 'carol', '--password', 'carol-pw', '--mechanism', 'SCRAM-SHA-512', '--iterations', '8192']);
      expect(add, add.stderr).to.include({ code: 0 });
      expect(add.stdout).to.equal('Set SCRAM-SHA-512 credentials for user carol.\n');
      await brook(['users', 'scram', '-b', b.plainBootstrap, '--add', 'dave', '--password', 'dave-pw']);
      const list = await brook(['users', 'scram', '-b', b.plainBootstrap, '--list', '--json']);
      expect(JSON.parse(list.stdout)).to.deep.equal([
        { user: 'carol', mechanism: 'SCRAM-SHA-512', iterations: 8192 },
        { user: 'dave', mechanism: 'SCRAM-SHA-256', iterations: 4096 },
        { user: 'dave', mechanism: 'SCRAM-SHA-512', iterations: 4096 },
      ]);
      const values = await kafkajsRoundTrip(b.saslBootstrap, { protocol: 'SASL_PLAINTEXT', sasl: { mechanism: 'SCRAM-SHA-512', username: 'carol', password: 'carol-pw' } }, 'cli-scram', 2);
      expect(values).to.deep.equal(['m0', 'm1']);
      const del = await brook(['users', 'scram', '-b', b.plainBootstrap, '--delete', 'dave', '--mechanism', 'SCRAM-SHA-256']);
      expect(del.code, del.stderr).to.equal(0);
      const again = await brook(['users', 'scram', '-b', b.plainBootstrap, '--delete', 'dave', '--mechanism', 'SCRAM-SHA-256']);
      expect(again.code).to.equal(1);
      expect(again.stderr).to.match(/dave: RESOURCE_NOT_FOUND/);
      const table = await brook(['users', 'scram', '-b', b.plainBootstrap, '--list']);
      expect(table.stdout).to.equal('USER   MECHANISM      ITERATIONS\ncarol  SCRAM-SHA-512  8192\ndave   SCRAM-SHA-512  4096\n');
    } finally {
      await b.destroy();
    }
  });

  it('seeds users into a stopped broker\'s data dir (never the password), and refuses while the broker runs', async () => {
    // before the broker's first start its data dir may not exist: --add makes it, --list says there is none
    const parent = tempDataDir();
    const dataDir = path.join(parent, 'not-yet');
    const none = await brook(['users', 'scram', '--data-dir', dataDir, '--list']);
    expect(none.code).to.equal(1);
    expect(none.stderr).to.include(`no broker data at --data-dir ${dataDir}`);
    const seeded = await brook(['users', 'scram', '--data-dir', dataDir, '--add', 'admin', '--password', 'admin-pw']);
    expect(seeded.code, seeded.stderr).to.equal(0);
    expect(readFileSync(`${dataDir}/scram-credentials.json`, 'utf8')).to.include('"admin"').and.not.include('admin-pw');
    const b = await startTestBroker({ dataDir, config: { listeners: 'INTERNAL://127.0.0.1:0', 'listener.security.protocol.map': 'INTERNAL:SASL_PLAINTEXT' } });
    try {
      const busy = await brook(['users', 'scram', '--data-dir', dataDir, '--list']);
      expect(busy.code).to.equal(1);
      expect(busy.stderr).to.match(/stop the broker/);
      const values = await kafkajsRoundTrip(b.bootstrap, { protocol: 'SASL_PLAINTEXT', sasl: { mechanism: 'SCRAM-SHA-256', username: 'admin', password: 'admin-pw' } }, 'seeded', 1);
      expect(values).to.deep.equal(['m0']);
    } finally {
      await b.destroy();
      rmSync(parent, { recursive: true, force: true });
    }
  });

  it('reaches SASL and SASL_SSL listeners with --command-config (Kafka client properties), for raw-protocol and kafkajs commands', async () => {
    const certs = makeTestCerts();
    const b = await startTestBroker({
      config: {
        listeners: 'SASL_PLAINTEXT://127.0.0.1:0,SASL_SSL://127.0.0.1:0',
        'sasl.jaas.config': plainJaas({ admin: 'admin-secret' }),
        'ssl.key.location': certs.serverKey,
        'ssl.certificate.location': certs.serverCert,
      },
    });
    const file = (name: string, lines: string[]) => {
      const f = path.join(certs.dir, name);
      writeFileSync(f, `${lines.join('\n')}\n`);
      return f;
    };
    try {
      const [saslPort, sslPort] = b.listeners.map((l) => `127.0.0.1:${l.port}`);
      const plain = file('plain.properties', [
        'security.protocol=SASL_PLAINTEXT',
        'sasl.mechanism=PLAIN',
        'sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required username="admin" password="admin-secret";',
      ]);
      const add = await brook(['users', 'scram', '-b', saslPort, '--command-config', plain, '--add', 'ops', '--password', 'ops-pw', '--mechanism', 'SCRAM-SHA-512']);
      expect(add.code, add.stderr).to.equal(0);
      const scramTls = file('scram-tls.properties', [
        'security.protocol=SASL_SSL',
        'sasl.mechanism=SCRAM-SHA-512',
        'sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required \\',
        '  username="ops" password="ops-pw";',
        `ssl.truststore.location=${certs.caCert}`,
      ]);
      const list = await brook(['users', 'scram', '-b', sslPort, '--command-config', scramTls, '--list', '--json']);
      expect(list.code, list.stderr).to.equal(0);
      expect(JSON.parse(list.stdout)).to.deep.equal([{ user: 'ops', mechanism: 'SCRAM-SHA-512', iterations: 4096 }]);
      const created = await brook(['topics', 'create', '-b', sslPort, '--command-config', scramTls, '-t', 'via-tls', '-p', '2']);
      expect(created.code, created.stderr).to.equal(0);
      const topics = await brook(['topics', 'list', '-b', saslPort, '--command-config', plain]);
      expect(topics.stdout).to.equal('via-tls\n');
      const wrong = file('wrong.properties', ['security.protocol=SASL_PLAINTEXT', 'sasl.mechanism=SCRAM-SHA-512', 'sasl.username=ops', 'sasl.password=nope']);
      const refused = await brook(['users', 'scram', '-b', saslPort, '--command-config', wrong, '--list']);
      expect(refused.code).to.equal(1);
      expect(refused.stderr).to.match(/SASL authentication failed: Authentication failed during authentication due to invalid credentials/);
      const none = await brook(['users', 'scram', '-b', saslPort, '--list']);
      expect(none.code).to.equal(3);
      expect(none.stderr).to.match(/closed the connection \(does this listener need TLS or SASL\?\)/);
    } finally {
      await b.destroy();
      certs.remove();
    }
  });

  it('rejects bad command lines', async () => {
    expect((await brook(['users', 'scram', '--add', 'x'])).stderr).to.match(/needs --password/);
    expect((await brook(['users', 'scram', '--list', '--add', 'x'])).code).to.equal(2);
    expect((await brook(['users', 'scram', '--add', 'x', '--password', 'p', '--mechanism', 'MD5'])).stderr).to.match(/SCRAM-SHA-256 or SCRAM-SHA-512/);
    expect((await brook(['users', 'scram', '--add', 'x', '--password', 'p', '--iterations', '10'])).code).to.equal(2);
  });
});
