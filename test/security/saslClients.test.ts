import { expect } from 'chai';
import * as path from 'node:path';
import { runPython } from '../helpers/python';
import { credentialFromPassword, SCRAM_MECHANISMS } from '../../src/security/scram/credential';
import { startSecureTestBroker, type SecureTestBroker } from '../helpers/secureBroker';
import { confluentRoundTrip, kafkajsRoundTrip, kcatRoundTrip, type ClientSecurity } from './drivers/secureClients';

const MECHANISMS = ['PLAIN', 'SCRAM-SHA-256', 'SCRAM-SHA-512'] as const;
const expected = (n: number) => Array.from({ length: n }, (_, i) => `m${i}`);

describe('SASL over SASL_PLAINTEXT with real clients (kafkajs, confluent-kafka, kcat, kafka-python)', function () {
  this.timeout(120_000);
  let broker: SecureTestBroker;
  before(async () => {
    broker = await startSecureTestBroker({ alice: 'alice-secret' });
    await broker.services.scram!.apply(SCRAM_MECHANISMS.map((m) => ({ user: 'alice', mechanism: m, credential: credentialFromPassword(m, 'alice-scram') })));
  });
  after(async () => broker.destroy());

  const sec = (mechanism: (typeof MECHANISMS)[number], password?: string): ClientSecurity => ({
    protocol: 'SASL_PLAINTEXT',
    sasl: { mechanism, username: 'alice', password: password ?? (mechanism === 'PLAIN' ? 'alice-secret' : 'alice-scram') },
  });

  for (const mech of MECHANISMS) {
    const slug = mech.toLowerCase().replace(/-/g, '');
    it(`kafkajs ${mech}: produces and consumes (group coordinator found on the SASL listener)`, async () => {
      expect(await kafkajsRoundTrip(broker.saslBootstrap, sec(mech), `kjs-${slug}`, 5)).to.deep.equal(expected(5));
    });

    it(`confluent-kafka ${mech}: produces and consumes`, async () => {
      const res = await confluentRoundTrip(broker.saslBootstrap, sec(mech), `ck-${slug}`, 5);
      expect(res.ok, JSON.stringify(res)).to.equal(true);
      expect(res.values).to.deep.equal(expected(5));
    });

    it(`kcat ${mech}: produces and consumes`, async () => {
      expect(await kcatRoundTrip(broker.saslBootstrap, sec(mech), `kcat-${slug}`, 5)).to.deep.equal(expected(5));
    });
  }

  const kafkaPython = async (mech: string, password: string, topic: string) => {
    const script = path.join(__dirname, 'drivers', 'kafka_python_secure.py');
    const { out, err } = await runPython([script, JSON.stringify({ bootstrap: broker.saslBootstrap, mech, user: 'alice', password, topic })]);
    const line = out.trim().split('\n').pop();
    if (!line) throw new Error(`kafka-python driver printed nothing: ${err}`);
    return JSON.parse(line) as { ok: boolean; values?: string[]; error?: string; logged?: string[] };
  };

  it('kafka-python (SaslHandshake with raw tokens) produces and consumes with PLAIN and both SCRAMs, and is refused with a wrong password', async () => {
    for (const mech of MECHANISMS) {
      const slug = mech.toLowerCase().replace(/-/g, '');
      const res = await kafkaPython(mech, mech === 'PLAIN' ? 'alice-secret' : 'alice-scram', `kp-${slug}`);
      expect(res, mech).to.deep.equal({ ok: true, values: expected(3) });
    }
    const bad = await kafkaPython('SCRAM-SHA-256', 'wrong', 'kp-never');
    expect(bad.ok).to.equal(false);
    // Raw SASL tokens (SaslHandshake v0) have no response to carry an error code: as Kafka does, the broker closes the
    // connection, which kafka-python logs while authenticating and then reports as NoBrokersAvailable.
    expect(bad.error).to.equal('NoBrokersAvailable: NoBrokersAvailable');
    expect(bad.logged?.join('\n'), bad.error).to.match(/<authenticating>.*: Error receiving reply from server/);
  });

  it('kafkajs with a wrong password is refused with a SASL authentication error', async () => {
    for (const mech of MECHANISMS) {
      const err = await kafkajsRoundTrip(broker.saslBootstrap, sec(mech, 'wrong'), 'never', 1).then(
        () => null,
        (e: Error) => e,
      );
      expect(err, mech).to.be.instanceOf(Error);
      expect(err!.name, mech).to.equal('KafkaJSSASLAuthenticationError');
    }
  });

  it('confluent-kafka with a wrong password reports an authentication failure and delivers nothing', async () => {
    for (const mech of MECHANISMS) {
      const res = await confluentRoundTrip(broker.saslBootstrap, sec(mech, 'wrong'), 'never-ck', 1);
      expect(res.ok, mech).to.equal(false);
      expect(res.errors.join('\n'), mech).to.match(/Authentication failed|SASL authentication error/i);
    }
  });

  it('kcat with a wrong password fails', async () => {
    const err = await kcatRoundTrip(broker.saslBootstrap, sec('SCRAM-SHA-256', 'wrong'), 'never-kcat', 1).then(
      () => null,
      (e: Error) => e,
    );
    expect(err).to.be.instanceOf(Error);
    expect(err!.message).to.match(/Authentication failed|SASL authentication error/i);
  });
});
