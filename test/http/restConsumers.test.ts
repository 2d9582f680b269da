import { expect } from 'chai';
import * as http from 'node:http';
import { Kafka, logLevel } from 'kafkajs';
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
