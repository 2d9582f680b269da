import { expect } from 'chai';
import { execFile } from 'node:child_process';
import * as path from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { startSecureTestBroker, type SecureTestBroker } from '../helpers/secureBroker';
import { runPython } from '../helpers/python';
import { allow, Op, RT } from './aclHarness';

const USERS = { admin: 'admin-secret', alice: 'alice-secret', bob: 'bob-secret' };
type User = keyof typeof USERS;
const SCRIPT = path.join(__dirname, 'acl_clients.py');

function kafkajsClient(bootstrap: string, user: User): Kafka {
  return new Kafka({ clientId: `acl-${user}`, brokers: [bootstrap], logLevel: logLevel.NOTHING, sasl: { mechanism: 'plain', username: user, password: USERS[user] }, retry: { retries: 1, initialRetryTime: 100 } });
}

/** librdkafka settings (confluent-kafka and kcat) for SASL PLAIN as `user`. */
function librdkafkaConf(bootstrap: string, user: User): Record<string, string> {
  return { 'bootstrap.servers': bootstrap, 'security.protocol': 'SASL_PLAINTEXT', 'sasl.mechanisms': 'PLAIN', 'sasl.username': user, 'sasl.password': USERS[user] };
}

/** Runs kcat as `user`; resolves with stdout, rejects with stderr on a non-zero exit. */
function kcat(bootstrap: string, user: User, args: string[], input = ''): Promise<string> {
  const x = Object.entries(librdkafkaConf(bootstrap, user)).flatMap(([k, v]) => ['-X', `${k}=${v}`]);
  return new Promise((resolve, reject) => {
    const child = execFile('kcat', [...x, ...args], { timeout: 30_000 }, (error, stdout, stderr) => (error ? reject(new Error(`kcat failed: ${stderr}`)) : resolve(stdout)));
    child.stdin!.end(input);
  });
}

/** Error a promise rejects with (its kafkajs `type` when it has one), or null when it resolves. */
async function failure(p: Promise<unknown>): Promise<string | null> {
  try {
    await p;
    return null;
  } catch (err) {
    // kafkajs wraps protocol errors (e.g. a refused metadata lookup) in errors whose cause has the Kafka error type
    for (let e = err as { type?: string; cause?: unknown } | undefined; e; e = e.cause as typeof e) if (e.type) return e.type;
    return (err as Error).name;
  }
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
async function confluent(broker: SecureTestBroker, user: User, args: Record<string, unknown>): Promise<any> {
  const r = await runPython([SCRIPT, JSON.stringify({ conf: librdkafkaConf(broker.saslBootstrap, user), ...args })]);
  if (r.code !== 0) throw new Error(`acl_clients.py failed: ${r.err}`);
  return JSON.parse(r.out.trim().split('\n').pop()!);
}

/**
 * Issue 7's ACL scenarios with real clients over SASL PLAIN: alice may write
 * topic A but not B (and sees only A), bob may read A but not join his group,
 * and transactional ids need their own WRITE.
 */
describe('ACLs with real clients (kafkajs, confluent-kafka, kafka-python, kcat)', function () {
  this.timeout(120_000);
  let broker: SecureTestBroker;
  let admin: Kafka;

  before(async () => {
    broker = await startSecureTestBroker(USERS, { config: { 'authorizer.class.name': 'kafka.security.authorizer.AclAuthorizer', 'super.users': 'User:admin', 'group.initial.rebalance.delay.ms': '0' } });
    admin = kafkajsClient(broker.saslBootstrap, 'admin');
    const a = admin.admin();
    await a.connect();
    try {
      await a.createTopics({ topics: ['topic-a', 'topic-b', 'topic-c'].map((topic) => ({ topic, numPartitions: 1 })) });
      // ACLs through the protocol, as an operator would
      await a.createAcls({
        acl: [
          allow('User:alice', Op.WRITE, RT.TOPIC, 'topic-a'),
          allow('User:alice', Op.DESCRIBE, RT.TOPIC, 'topic-c'),
          allow('User:alice', Op.WRITE, RT.TRANSACTIONAL_ID, 'tx-alice'),
          allow('User:bob', Op.READ, RT.TOPIC, 'topic-a'),
          allow('User:bob', Op.READ, RT.GROUP, 'bob-allowed'),
          allow('User:bob', Op.DESCRIBE, RT.GROUP, 'bob-describe-only'),
          allow('User:alice', Op.DESCRIBE, RT.TRANSACTIONAL_ID, 'tx-describe-only'),
        ].map((b) => ({ resourceType: b.resourceType, resourceName: b.resourceName, resourcePatternType: b.patternType, principal: b.principal, host: b.host, operation: b.operation, permissionType: b.permission })),
      });
    } finally {
      await a.disconnect();
    }
    const p = admin.producer();
    await p.connect();
    await p.send({ topic: 'topic-a', messages: [{ value: 'seed', partition: 0 }] });
    await p.disconnect();
  });
  after(async () => broker?.destroy());

  describe('kafkajs', () => {
    it('alice writes topic A, gets TOPIC_AUTHORIZATION_FAILED on B (and on C, which she may only describe), and sees only A and C', async () => {
      const kafka = kafkajsClient(broker.saslBootstrap, 'alice');
      const producer = kafka.producer({ allowAutoTopicCreation: false });
      await producer.connect();
      try {
        expect(await failure(producer.send({ topic: 'topic-a', messages: [{ value: 'ok', partition: 0 }] }))).to.equal(null);
        expect(await failure(producer.send({ topic: 'topic-b', messages: [{ value: 'no', partition: 0 }] }))).to.equal('TOPIC_AUTHORIZATION_FAILED');
        // C's metadata is visible, so this refusal comes from the Produce check itself
        expect(await failure(producer.send({ topic: 'topic-c', messages: [{ value: 'no', partition: 0 }] }))).to.equal('TOPIC_AUTHORIZATION_FAILED');
      } finally {
        await producer.disconnect();
      }
      const a = kafka.admin();
      await a.connect();
      try {
        expect((await a.listTopics()).filter((t) => t.startsWith('topic-')).sort()).to.deep.equal(['topic-a', 'topic-c']);
      } finally {
        await a.disconnect();
      }
    });

    it('bob may read topic A but not join a group he has no READ on (GROUP_AUTHORIZATION_FAILED); with it he consumes', async () => {
      const kafka = kafkajsClient(broker.saslBootstrap, 'bob');
      // DESCRIBE lets kafkajs find the coordinator; the JoinGroup is what READ on the group guards.
      // (Without even DESCRIBE, FindCoordinator is refused and kafkajs reports "coordinator not found".)
      for (const [groupId, expected] of [['bob-describe-only', 'GROUP_AUTHORIZATION_FAILED'], ['bob-nothing', 'KafkaJSGroupCoordinatorNotFound']]) {
        const refused = kafka.consumer({ groupId, retry: { retries: 0 } });
        await refused.connect();
        try {
          const crashed = new Promise<string>((resolve) => refused.on(refused.events.CRASH, (e) => resolve(failure(Promise.reject(e.payload.error)).then((t) => t!))));
          await refused.subscribe({ topic: 'topic-a', fromBeginning: true });
          await refused.run({ eachMessage: async () => undefined });
          expect(await crashed, groupId).to.equal(expected);
        } finally {
          await refused.disconnect();
        }
      }
      const consumer = kafka.consumer({ groupId: 'bob-allowed' });
      await consumer.connect();
      try {
        await consumer.subscribe({ topic: 'topic-a', fromBeginning: true });
        const first = await new Promise<string>((resolve, reject) => {
          consumer.run({ eachMessage: async ({ message }) => resolve(message.value!.toString()) }).catch(reject);
        });
        expect(first).to.equal('seed');
      } finally {
        await consumer.disconnect();
      }
    });

    it('a transactional producer needs WRITE on its transactional id', async () => {
      const kafka = kafkajsClient(broker.saslBootstrap, 'alice');
      for (const [transactionalId, expected] of [['tx-describe-only', 'TRANSACTIONAL_ID_AUTHORIZATION_FAILED'], ['tx-other', 'KafkaJSGroupCoordinatorNotFound']]) {
        const denied = kafka.producer({ transactionalId, idempotent: true, maxInFlightRequests: 1 });
        await denied.connect();
        expect(await failure(denied.transaction()), transactionalId).to.equal(expected);
        await denied.disconnect();
      }
      const producer = kafka.producer({ transactionalId: 'tx-alice', idempotent: true, maxInFlightRequests: 1 });
      await producer.connect();
      try {
        const txn = await producer.transaction();
        await txn.send({ topic: 'topic-a', messages: [{ value: 'in-txn', partition: 0 }] });
        await txn.commit();
      } finally {
        await producer.disconnect();
      }
      const a = admin.admin();
      await a.connect();
      try {
        const offsets = await a.fetchTopicOffsets('topic-a');
        // seed + alice's write + the transactional record + its commit marker
        expect(Number(offsets[0]!.high)).to.be.at.least(4);
      } finally {
        await a.disconnect();
      }
    });
  });

  describe('confluent-kafka', () => {
    it('alice writes topic A, gets TOPIC_AUTHORIZATION_FAILED on B and sees only A and C', async () => {
      expect(await confluent(broker, 'alice', { action: 'produce', topic: 'topic-a' })).to.deep.include({ delivered: true });
      const b = await confluent(broker, 'alice', { action: 'produce', topic: 'topic-b' });
      expect(b.delivered).to.equal(false);
      expect(b.errors).to.include('TOPIC_AUTHORIZATION_FAILED');
      const md = await confluent(broker, 'alice', { action: 'metadata' });
      expect(Object.keys(md.topics).filter((t) => t.startsWith('topic-')).sort()).to.deep.equal(['topic-a', 'topic-c']);
    });

    it('bob gets GROUP_AUTHORIZATION_FAILED without READ on the group and consumes with it', async () => {
      const denied = await confluent(broker, 'bob', { action: 'group', topic: 'topic-a', group: 'bob-denied' });
      expect(denied.messages).to.equal(0);
      expect(denied.errors).to.include('GROUP_AUTHORIZATION_FAILED');
      const allowed = await confluent(broker, 'bob', { action: 'group', topic: 'topic-a', group: 'bob-allowed' });
      expect(allowed).to.deep.include({ errors: [] });
      expect(allowed.messages).to.be.greaterThan(0);
    });

    it('init_transactions needs WRITE on the transactional id', async () => {
      expect(await confluent(broker, 'alice', { action: 'transaction', topic: 'topic-a', txn_id: 'tx-other' })).to.deep.equal({ ok: false, error: 'TRANSACTIONAL_ID_AUTHORIZATION_FAILED' });
      expect(await confluent(broker, 'alice', { action: 'transaction', topic: 'topic-a', txn_id: 'tx-alice' })).to.deep.equal({ ok: true, error: null });
    });
  });

  describe('kafka-python', () => {
    it('KafkaAdminClient creates, describes and deletes ACLs that decide what alice may write (TopicAuthorizationFailedError)', async () => {
      for (const t of ['kp-orders', 'other-orders']) await broker.services.metadata.createTopic(t, { partitions: 1 });
      const args = { bootstrap: broker.saslBootstrap, admin: ['admin', USERS.admin], alice: ['alice', USERS.alice] };
      const r = await runPython([path.join(__dirname, 'acl_kafka_python.py'), JSON.stringify(args)]);
      expect(r.code, r.err).to.equal(0);
      const obs = JSON.parse(r.out.trim().split('\n').pop()!);
      const row = ['User:alice', 'WRITE', 'ALLOW', 'TOPIC', 'kp-', 'PREFIXED'];
      expect(obs).to.deep.include({ created: 2, create_failed: 0, produce_allowed: 'ok', produce_denied: 'TopicAuthorizationFailedError' });
      expect(obs.described).to.deep.include(row);
      expect(obs.deleted).to.deep.equal([[row]]);
      expect(obs.after_delete).to.not.deep.include(row);
      expect(obs.after_delete).to.deep.include(['User:alice', 'DESCRIBE', 'ALLOW', 'TOPIC', 'other-orders', 'LITERAL']);
    });
  });

  describe('kcat', () => {
    it('lists only the topics alice may describe and cannot produce to B', async () => {
      const listing = await kcat(broker.saslBootstrap, 'alice', ['-L', '-J']);
      const topics = (JSON.parse(listing) as { topics: Array<{ topic: string }> }).topics.map((t) => t.topic).filter((t) => t.startsWith('topic-')).sort();
      expect(topics).to.deep.equal(['topic-a', 'topic-c']);
      await kcat(broker.saslBootstrap, 'alice', ['-P', '-t', 'topic-a', '-p', '0'], 'from-kcat\n');
      const err = await kcat(broker.saslBootstrap, 'alice', ['-P', '-t', 'topic-b', '-p', '0'], 'never\n').then(
        () => null,
        (e: Error) => e.message,
      );
      expect(err).to.match(/authoriz/i);
    });
  });
});
