import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { Admin, Producer, stringSerializers } from '@platformatic/kafka';
import { ErrorCode } from '../../protocol/errors';
import { credentialFromPassword, SCRAM_MECHANISMS } from '../../src/security/scram/credential';
import { startTestBroker, type TestBroker } from '../helpers/broker';
import { makeTestCerts, type TestCerts } from '../helpers/certs';
import { fetchRaw, fetchRequest, recordsOf } from '../helpers/dataPath';
import { RawClient } from '../helpers/rawClient';
import { plainJaas } from '../helpers/secureBroker';

const MECHANISMS = ['PLAIN', 'SCRAM-SHA-256', 'SCRAM-SHA-512'] as const;

/** The Kafka error @platformatic/kafka nests under its connection errors (network -> authentication -> response -> protocol). */
function kafkaErrorIn(err: unknown): { apiId?: string; apiCode?: number } | undefined {
  const e = err as { apiId?: string; apiCode?: number; errors?: unknown[]; cause?: unknown } | null | undefined;
  if (!e || typeof e !== 'object') return undefined;
  if (e.apiId) return e;
  for (const inner of [...(e.errors ?? []), e.cause]) {
    const found = kafkaErrorIn(inner);
    if (found) return found;
  }
  return undefined;
}

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

  /** Partition 0 of `topic` as the PLAINTEXT listener serves it: offsets and values. */
  async function readBack(topic: string): Promise<Array<{ offset: number; value: string | null }>> {
    const client = await RawClient.connect(port('PLAINTEXT'));
    try {
      const res = await fetchRaw(client, fetchRequest([{ topic, partition: 0, offset: 0 }]));
      const p = res.responses[0]!.partitions[0]!;
      expect(p.errorCode, topic).to.equal(ErrorCode.NONE);
      return recordsOf(p.records as Buffer | null).map((r) => ({ offset: r.offset, value: r.value }));
    } finally {
      client.close();
    }
  }

  for (const listener of ['SASL_PLAINTEXT', 'SASL_SSL'] as const) {
    for (const mechanism of MECHANISMS) {
      it(`${listener} ${mechanism}: creates a topic and produces three messages, which read back intact`, async () => {
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
        expect(await readBack(topic)).to.deep.equal([{ offset: 0, value: 'm0' }, { offset: 1, value: 'm1' }, { offset: 2, value: 'm2' }]);
      });
    }
  }

  it('a wrong password is refused', async () => {
    const admin = new Admin({ clientId: 'brook-security', bootstrapBrokers: [`127.0.0.1:${port('SASL_PLAINTEXT')}`], sasl: { mechanism: 'SCRAM-SHA-256', username: 'alice', password: 'wrong' }, retries: 0 });
    try {
      const err = await admin.listTopics().then(
        () => null,
        (e: Error) => e,
      );
      expect(kafkaErrorIn(err), String(err)).to.include({ apiId: 'SASL_AUTHENTICATION_FAILED', apiCode: ErrorCode.SASL_AUTHENTICATION_FAILED });
    } finally {
      await admin.close();
    }
  });
});
