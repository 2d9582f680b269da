import { expect } from 'chai';
import * as http from 'node:http';
import { AclOperationTypes, AclPermissionTypes, AclResourceTypes, Kafka, logLevel, ResourcePatternTypes } from 'kafkajs';
import { startSecureTestBroker, type SecureTestBroker } from '../helpers/secureBroker';
import { eventually } from '../helpers/eventually';

const USERS = { alice: 'alice-secret', bob: 'bob-secret' };

/** A REST call as `user` (curl's way: Basic credentials, a JSON body), answered with its status and parsed JSON. */
function call(base: string, method: string, p: string, body?: unknown, user: keyof typeof USERS = 'alice'): Promise<{ status: number; json: any; text: string }> {
  return new Promise((resolve, reject) => {
    const text = body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body);
    const headers: Record<string, string> = { authorization: `Basic ${Buffer.from(`${user}:${USERS[user]}`).toString('base64')}` };
    if (text !== undefined) Object.assign(headers, { 'content-type': 'application/vnd.kafka.v2+json', 'content-length': String(Buffer.byteLength(text)) });
    const req = http.request(`${base}${p}`, { method, headers }, (res) => {
      let answer = '';
      res.on('data', (d) => (answer += d));
      res.on('end', () => {
        let json: any = null;
        try {
          json = answer ? JSON.parse(answer) : null;
        } catch {
          json = null;
        }
        resolve({ status: res.statusCode ?? 0, json, text: answer });
      });
    });
    req.on('error', reject);
    req.end(text);
  });
}

describe('REST proxy v2 consumer instances: expiry', function () {
  this.timeout(60_000);
  let broker: SecureTestBroker;
  let base: string;
  let kafka: Kafka;

  before(async () => {
    broker = await startSecureTestBroker(USERS, {
      metricsPort: 0,
      config: {
        'authorizer.class.name': 'brook',
        'super.users': 'User:alice',
        'brook.http.rate.limit.per.sec': '0',
        'group.initial.rebalance.delay.ms': '0',
        'group.consumer.heartbeat.interval.ms': '200',
        'brook.http.consumer.instance.timeout.ms': '1500',
      },
    });
    base = `http://127.0.0.1:${broker.httpPort}`;
    kafka = new Kafka({ brokers: [broker.saslBootstrap], sasl: { mechanism: 'plain', username: 'alice', password: USERS.alice }, logLevel: logLevel.NOTHING });
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 'exp', numPartitions: 2 }] });
    await admin.disconnect();
  });
  after(async () => {
    await broker?.destroy();
  });

  it('destroys an idle instance after consumer.instance.timeout.ms: it leaves its group and then answers 404 40403', async () => {
    expect((await call(base, 'POST', '/consumers/expiry-g', { name: 'idle', format: 'binary' })).status).to.equal(200);
    expect((await call(base, 'POST', '/consumers/expiry-g/instances/idle/subscription', { topics: ['exp'] })).status).to.equal(204);
    const admin = kafka.admin();
    await admin.connect();
    try {
      await eventually(async () => (await admin.describeGroups(['expiry-g'])).groups[0]!.members.length === 1, 'the instance joined its group');
      // no call from now on: its own heartbeats must not keep it alive
      await eventually(async () => (await admin.describeGroups(['expiry-g'])).groups[0]!.members.length === 0, 'the idle instance left its group', 15_000);
    } finally {
      await admin.disconnect();
    }
    const gone = await call(base, 'GET', '/consumers/expiry-g/instances/idle/assignments');
    expect(gone.status).to.equal(404);
    expect(gone.json.error_code).to.equal(40403);
  });
});

describe('REST proxy v2 consumer instances: what they deliver', function () {
  this.timeout(60_000);
  let broker: SecureTestBroker;
  let base: string;
  let kafka: Kafka;

  before(async () => {
    broker = await startSecureTestBroker(USERS, {
      metricsPort: 0,
      config: { 'authorizer.class.name': 'brook', 'super.users': 'User:alice', 'brook.http.rate.limit.per.sec': '0', 'group.initial.rebalance.delay.ms': '0', 'group.consumer.heartbeat.interval.ms': '200' },
    });
    base = `http://127.0.0.1:${broker.httpPort}`;
    kafka = new Kafka({ brokers: [broker.saslBootstrap], sasl: { mechanism: 'plain', username: 'alice', password: USERS.alice }, logLevel: logLevel.NOTHING });
  });
  after(async () => {
    await broker?.destroy();
  });

  it('a json instance answers 500 50002 for a non-JSON record without skipping the records of other partitions or committing past them', async () => {
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 'jx', numPartitions: 2 }] });
    await admin.disconnect();
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({ topic: 'jx', messages: [{ partition: 0, value: '{"a":1}' }, { partition: 0, value: '{"a":2}' }, { partition: 1, value: 'not json' }] });
    await producer.disconnect();
    const inst = '/consumers/gj/instances/j';
    expect((await call(base, 'POST', '/consumers/gj', { name: 'j', format: 'json', 'auto.offset.reset': 'earliest' })).status).to.equal(200);
    expect((await call(base, 'POST', `${inst}/subscription`, { topics: ['jx'] })).status).to.equal(204);
    const delivered: Array<{ partition: number; value: unknown }> = [];
    // until the fetch reaches the bad record (a first answer may hold partition 0 alone, which is fine)
    const failed = await eventually(async () => {
      const r = await call(base, 'GET', `${inst}/records?timeout=1000`);
      if (r.status === 200) delivered.push(...(r.json as Array<{ partition: number; value: unknown }>));
      return r.status === 500 && r.json;
    }, 'the non-JSON record answered with an error');
    expect(failed.error_code).to.equal(50002);
    // a plain commit now commits only what was delivered
    expect((await call(base, 'POST', `${inst}/offsets`)).status).to.equal(204);
    const committed = await call(base, 'GET', `${inst}/offsets`, { partitions: [{ topic: 'jx', partition: 0 }] });
    const p0 = delivered.filter((d) => d.partition === 0).length;
    expect(committed.json.offsets[0].offset).to.equal(p0);
    // past the bad record, partition 0's records all arrive
    expect((await call(base, 'POST', `${inst}/positions`, { offsets: [{ topic: 'jx', partition: 1, offset: 1 }] })).status).to.equal(204);
    await eventually(async () => {
      const r = await call(base, 'GET', `${inst}/records?timeout=500`);
      expect(r.status).to.equal(200);
      delivered.push(...(r.json as Array<{ partition: number; value: unknown }>));
      return delivered.filter((d) => d.partition === 0).length >= 2;
    }, 'the records of partition 0 were delivered');
    expect(delivered.map((d) => d.value)).to.deep.equal([{ a: 1 }, { a: 2 }]);
    expect((await call(base, 'DELETE', inst)).status).to.equal(204);
  });

  it('keeps JSON embedded data byte for byte: big integers and 1.10 survive produce (single, streamed, batch) and a json instance', async () => {
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 'bign', numPartitions: 1 }] });
    await admin.disconnect();
    const cluster = (await call(base, 'GET', '/v3/clusters')).json.data[0].cluster_id;
    const value = '{"id":9007199254740993,"amount":1.10,"big":123456789012345678901234567890}';
    const records = `/v3/clusters/${cluster}/topics/bign/records`;
    const one = `{"key":{"type":"JSON","data":9007199254740993},"value":{"type":"JSON","data":${value}}}`;
    expect((await call(base, 'POST', records, one)).status).to.equal(200);
    // streamed: two records on one line, and one spread over lines
    const streamed = await call(base, 'POST', records, `${one}${one}\n{"value":\n {"type":"JSON", "data": [1.50, 18446744073709551615]}}`);
    expect(streamed.status).to.equal(200);
    expect(streamed.text.trim().split('\n').map((l) => JSON.parse(l).error_code)).to.deep.equal([200, 200, 200]);
    expect((await call(base, 'POST', `${records}:batch`, `{"entries":[{"id":"a","value":{"type":"JSON","data":${value}}}]}`)).status).to.equal(207);
    const want = [
      ['9007199254740993', value],
      ['9007199254740993', value],
      ['9007199254740993', value],
      [null, '[1.50, 18446744073709551615]'],
      [null, value],
    ];
    // what a Kafka client reads
    const consumer = kafka.consumer({ groupId: 'bign-check', maxWaitTimeInMs: 100 });
    await consumer.connect();
    await consumer.subscribe({ topic: 'bign', fromBeginning: true });
    const seen: Array<[string | null, string | null]> = [];
    await new Promise<void>((resolve) => {
      void consumer.run({
        eachMessage: async ({ message }) => {
          seen.push([message.key?.toString() ?? null, message.value?.toString() ?? null]);
          if (seen.length >= want.length) resolve();
        },
      });
    });
    await consumer.disconnect();
    expect(seen).to.deep.equal(want);
    // what a json consumer instance answers: the records' text embedded as it is
    const inst = '/consumers/gbig/instances/j';
    expect((await call(base, 'POST', '/consumers/gbig', { name: 'j', format: 'json', 'auto.offset.reset': 'earliest' })).status).to.equal(200);
    expect((await call(base, 'POST', `${inst}/subscription`, { topics: ['bign'] })).status).to.equal(204);
    const texts: string[] = [];
    let count = 0;
    await eventually(async () => {
      const r = await call(base, 'GET', `${inst}/records?timeout=500`);
      expect(r.status).to.equal(200);
      texts.push(r.text);
      count += (r.json as unknown[]).length;
      return count >= want.length;
    }, 'the json instance delivered every record');
    const all = texts.join('');
    expect(all).to.include(`"key":9007199254740993,"value":${value}`);
    expect(all).to.include('"value":[1.50, 18446744073709551615]');
    expect((await call(base, 'DELETE', inst)).status).to.equal(204);
  });

  it('tells a caller without ACLs 403 40301 on subscribe and records, and the same for a topic that exists as for one that does not', async () => {
    const admin = kafka.admin();
    await admin.connect();
    try {
      await admin.createTopics({ topics: [{ topic: 'secret-topic', numPartitions: 1 }, { topic: 'bob-readable', numPartitions: 1 }] });
      // bob may describe and read bob-readable, but has no ACL on any group
      await admin.createAcls({
        acl: [AclOperationTypes.DESCRIBE, AclOperationTypes.READ].map((operation) => ({
          resourceType: AclResourceTypes.TOPIC, resourceName: 'bob-readable', resourcePatternType: ResourcePatternTypes.LITERAL, principal: 'User:bob', host: '*', operation, permissionType: AclPermissionTypes.ALLOW,
        })),
      });
    } finally {
      await admin.disconnect();
    }
    const inst = '/consumers/nogrp/instances/x';
    expect((await call(base, 'POST', '/consumers/nogrp', { name: 'x', format: 'binary', 'auto.offset.reset': 'earliest' }, 'bob')).status).to.equal(200);
    // a topic bob may not describe: the same answer whether it exists or not
    const secret = await call(base, 'POST', `${inst}/subscription`, { topics: ['secret-topic'] }, 'bob');
    const missing = await call(base, 'POST', `${inst}/subscription`, { topics: ['no-such-topic'] }, 'bob');
    expect([secret.status, secret.json.error_code, missing.status, missing.json.error_code]).to.deep.equal([403, 40301, 403, 40301]);
    const assigned = await call(base, 'POST', `${inst}/assignments`, { partitions: [{ topic: 'no-such-topic', partition: 0 }] }, 'bob');
    expect([assigned.status, assigned.json.error_code]).to.deep.equal([403, 40301]);
    // a topic he may read, in a group he may not: the coordinator's refusal, not an empty list forever
    const sub = await call(base, 'POST', `${inst}/subscription`, { topics: ['bob-readable'] }, 'bob');
    expect([sub.status, sub.json?.error_code]).to.deep.equal([403, 40301]);
    for (let n = 0; n < 2; n++) {
      const r = await call(base, 'GET', `${inst}/records?timeout=1000`, undefined, 'bob');
      expect([r.status, r.json.error_code]).to.deep.equal([403, 40301]);
    }
    expect((await call(base, 'DELETE', inst, undefined, 'bob')).status).to.equal(204);
  });
});
