import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { Admin, Producer, stringSerializers } from '@platformatic/kafka';
import { credentialFromPassword, SCRAM_MECHANISMS } from '../../src/security/scram/credential';
import { startTestBroker, type TestBroker } from '../helpers/broker';
import { makeTestCerts, type TestCerts } from '../helpers/certs';
import { plainJaas } from '../helpers/secureBroker';
import { kafkajsClient } from './drivers/secureClients';

const MECHANISMS = ['PLAIN', 'SCRAM-SHA-256', 'SCRAM-SHA-512'] as const;

describe('@platformatic/kafka over SASL_PLAINTEXT and SASL_SSL', function () {
  this.timeout(60_000);
  let certs: TestCerts;
  let broker: TestBroker;
  const port = (name: string) => broker.listeners.find((l) => l.name === name)!.port;

  before(async () => {
    certs = makeTestCerts();
    broker = await startTestBroker({
      config: {
        listeners: 'SASL_PLAINTEXT://127.0.0.1:0,SASL_SSL://127.0.0.1:0,PLAINTEXT://127.0.0.1:0',
        'sasl.jaas.config': plainJaas({ alice: 'alice-secret' }),
        'ssl.key.location': certs.serverKey,
        'ssl.certificate.location': certs.serverCert,
      },
    });
    await broker.services.scram!.apply(SCRAM_MECHANISMS.map((m) => ({ user: 'alice', mechanism: m, credential: credentialFromPassword(m, 'alice-scram') })));
  });
  after(async () => {
    await broker?.destroy();
    certs?.remove();
  });

  /** Every message of the given topics, read back over the PLAINTEXT listener with one kafkajs consumer. */
  async function readBack(topics: string[], count: number): Promise<Map<string, string[]>> {
    const consumer = kafkajsClient(`127.0.0.1:${port('PLAINTEXT')}`, { protocol: 'PLAINTEXT' }).consumer({ groupId: 'check-platformatic' });
    await consumer.connect();
    const values = new Map<string, string[]>();
    let seen = 0;
    try {
      await consumer.subscribe({ topics, fromBeginning: true });
      await new Promise<void>((resolve, reject) => {
        const t = setTimeout(() => reject(new Error(`read ${seen}/${count}`)), 20_000);
        void consumer.run({
          eachMessage: async ({ topic, message }) => {
            values.set(topic, [...(values.get(topic) ?? []), message.value!.toString()]);
            if (++seen >= count) {
              clearTimeout(t);
              resolve();
            }
          },
        });
      });
    } finally {
      await consumer.disconnect();
    }
    return values;
  }

  const produced: string[] = [];

  for (const listener of ['SASL_PLAINTEXT', 'SASL_SSL'] as const) {
    for (const mechanism of MECHANISMS) {
      it(`${listener} ${mechanism}: creates a topic and produces three messages`, async () => {
        const topic = `pk-${listener}-${mechanism}`.toLowerCase();
        const common = {
          clientId: 'brook-security',
          bootstrapBrokers: [`127.0.0.1:${port(listener)}`],
          sasl: { mechanism, username: 'alice', password: mechanism === 'PLAIN' ? 'alice-secret' : 'alice-scram' },
          ...(listener === 'SASL_SSL' ? { tls: { ca: readFileSync(certs.caCert), servername: 'localhost' } } : {}),
        };
        const admin = new Admin(common);
        try {
          await admin.createTopics({ topics: [topic], partitions: 1, replicas: 1 });
        } finally {
          await admin.close();
        }
        const producer = new Producer({ ...common, serializers: stringSerializers, autocreateTopics: false });
        try {
          await producer.send({ acks: -1, messages: [0, 1, 2].map((i) => ({ topic, partition: 0, value: `m${i}` })) });
        } finally {
          await producer.close();
        }
        produced.push(topic);
      });
    }
  }

  it('what was produced over every listener and mechanism reads back intact', async () => {
    expect(produced).to.have.length(6);
    const values = await readBack(produced, 18);
    for (const topic of produced) expect(values.get(topic), topic).to.deep.equal(['m0', 'm1', 'm2']);
  });

  it('a wrong password is refused', async () => {
    const admin = new Admin({ clientId: 'brook-security', bootstrapBrokers: [`127.0.0.1:${port('SASL_PLAINTEXT')}`], sasl: { mechanism: 'SCRAM-SHA-256', username: 'alice', password: 'wrong' }, retries: 0 });
    try {
      const err = await admin.listTopics().then(
        () => null,
        (e: Error) => e,
      );
      expect(err).to.be.instanceOf(Error);
    } finally {
      await admin.close();
    }
  });
});
