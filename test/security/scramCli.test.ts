import { expect } from 'chai';
import { readFileSync } from 'node:fs';
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
    const dataDir = tempDataDir();
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
    }
  });

  it('rejects bad command lines', async () => {
    expect((await brook(['users', 'scram', '--add', 'x'])).stderr).to.match(/needs --password/);
    expect((await brook(['users', 'scram', '--list', '--add', 'x'])).code).to.equal(2);
    expect((await brook(['users', 'scram', '--add', 'x', '--password', 'p', '--mechanism', 'MD5'])).stderr).to.match(/SCRAM-SHA-256 or SCRAM-SHA-512/);
    expect((await brook(['users', 'scram', '--add', 'x', '--password', 'p', '--iterations', '10'])).code).to.equal(2);
  });
});
