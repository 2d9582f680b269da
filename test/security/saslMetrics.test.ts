/**
 * SASL exchanges show in /metrics: SaslHandshake and SaslAuthenticate in brook_requests_total (the connection's
 * SASL gate answers them itself, outside the handler path that counted every other API), and logins by
 * mechanism and result in brook_sasl_authentications_total. Found by an operator: failed logins were visible
 * in the log only.
 */
import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { startSecureTestBroker, type SecureTestBroker } from '../helpers/secureBroker';

const USERS = { alice: 'alice-secret' };

/** kcat -L over SASL/PLAIN in a child process; resolves with its exit code. */
function kcatLogin(bootstrap: string, password: string): Promise<number | null> {
  return new Promise((resolve) => {
    const child = execFile('kcat', ['-b', bootstrap, '-L', '-X', 'security.protocol=SASL_PLAINTEXT', '-X', 'sasl.mechanisms=PLAIN', '-X', 'sasl.username=alice', '-X', `sasl.password=${password}`, '-m', '5'], { timeout: 20_000 });
    child.on('exit', resolve);
  });
}

describe('SASL requests and logins in /metrics (kcat)', function () {
  this.timeout(60_000);
  let broker: SecureTestBroker;
  before(async () => {
    broker = await startSecureTestBroker(USERS, { metricsPort: 0, config: { 'connection.failed.authentication.delay.ms': '0' } });
  });
  after(async () => broker?.destroy());

  const sample = (text: string, name: string, labels: string): number => {
    const line = text.split('\n').find((l) => l.startsWith(`${name}{${labels}}`));
    return line === undefined ? 0 : Number(line.split(' ').pop());
  };

  it('counts SaslHandshake and SaslAuthenticate, and logins by result', async () => {
    expect(await kcatLogin(broker.saslBootstrap, USERS.alice)).to.equal(0);
    expect(await kcatLogin(broker.saslBootstrap, USERS.alice)).to.equal(0);
    expect(await kcatLogin(broker.saslBootstrap, 'wrong')).to.not.equal(0);
    const text = await (await fetch(`http://127.0.0.1:${broker.httpPort}/metrics`)).text();
    expect(sample(text, 'brook_sasl_authentications_total', 'mechanism="PLAIN",result="success"')).to.equal(2);
    // librdkafka reconnects with the wrong password until its metadata timeout: one failure per attempt
    expect(sample(text, 'brook_sasl_authentications_total', 'mechanism="PLAIN",result="failure"')).to.be.at.least(1);
    expect(sample(text, 'brook_requests_total', 'api="SaslHandshake"')).to.be.at.least(3);
    expect(sample(text, 'brook_requests_total', 'api="SaslAuthenticate"')).to.be.at.least(3);
  });
});
