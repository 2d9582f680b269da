import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import * as http from 'node:http';
import * as path from 'node:path';
import { Kafka, logLevel, Partitioners } from 'kafkajs';
import { startSecureTestBroker, type SecureTestBroker } from '../helpers/secureBroker';
import { eventually } from '../helpers/eventually';

const USERS = { alice: 'alice-secret', bob: 'bob-secret' };

/** The sh blocks after the README's rest-proxy-example marker: the script, then the 401/403 calls. */
function readmeScripts(): [string, string] {
  const readme = readFileSync(path.resolve(__dirname, '../../README.md'), 'utf8');
  const from = readme.indexOf('<!-- rest-proxy-example -->');
  const blocks = [...readme.slice(from).matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1]!);
  return [blocks[0]!, blocks[1]!];
}

function bash(script: string, env: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile('bash', ['-e', '-o', 'pipefail', '-c', script], { env: { ...process.env, ...env }, timeout: 30_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

describe('REST proxy (Confluent v3 + v2 consumer instances)', function () {
  this.timeout(60_000);
  let broker: SecureTestBroker;
  let base: string;
  let kafka: Kafka;
  let cluster: string;

  const call = async (method: string, p: string, body?: unknown, auth = `alice:${USERS.alice}`) => {
    const res = await fetch(`${base}${p}`, {
      method,
      headers: { authorization: `Basic ${Buffer.from(auth).toString('base64')}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
    const text = await res.text();
    let json: any = null;
    try {
      json = text ? JSON.parse(text) : null;
    } catch {
      json = text;
    }
    return { status: res.status, json };
  };

  /** A GET with a JSON body (fetch() refuses one; Confluent's v2 API uses it for GET offsets). */
  const getWithBody = (p: string, body: unknown): Promise<unknown> =>
    new Promise((resolve, reject) => {
      const text = JSON.stringify(body);
      const headers = { authorization: `Basic ${Buffer.from(`alice:${USERS.alice}`).toString('base64')}`, 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(text)) };
      const req = http.request(`${base}${p}`, { method: 'GET', headers }, (res) => {
        let answer = '';
        res.on('data', (d) => (answer += d));
        res.on('end', () => (res.statusCode === 200 ? resolve(JSON.parse(answer)) : reject(new Error(`${res.statusCode} ${answer}`))));
      });
      req.on('error', reject);
      req.end(text);
    });

  before(async () => {
    broker = await startSecureTestBroker(USERS, {
      metricsPort: 0,
      config: { 'authorizer.class.name': 'brook', 'super.users': 'User:alice', 'brook.http.rate.limit.per.sec': '0', 'group.initial.rebalance.delay.ms': '0', 'group.consumer.heartbeat.interval.ms': '500' },
    });
    base = `http://127.0.0.1:${broker.httpPort}`;
    kafka = new Kafka({ brokers: [broker.saslBootstrap], sasl: { mechanism: 'plain', username: 'alice', password: USERS.alice }, logLevel: logLevel.NOTHING });
    cluster = (await call('GET', '/v3/clusters')).json.data[0].cluster_id;
  });
  after(async () => {
    await broker?.destroy();
  });

  it('runs the README curl script: create a topic, produce JSON and binary records, consume them with a consumer instance', async () => {
    const [script, denied] = readmeScripts();
    const out = await bash(script, { BROOK_HTTP: base, BROOK_AUTH: `alice:${USERS.alice}` });
    expect(out.code, out.stderr).to.equal(0);
    const lines = out.stdout.trim().split('\n');
    expect(lines[0]).to.equal('orders');
    expect(lines[1]).to.equal('{"error_code":200,"offset":0}');
    expect(lines[2]).to.equal('{"error_code":200,"offset":1}');
    expect(lines[3]).to.equal('r1');
    const consumed = lines.slice(4).map((l) => JSON.parse(l) as { offset: number; value: string });
    expect(consumed.map((c) => c.offset)).to.deep.equal([0, 1]);
    expect(JSON.parse(Buffer.from(consumed[0]!.value, 'base64').toString())).to.deep.equal({ item: 'tea', qty: 2 });
    expect(Buffer.from(consumed[1]!.value, 'base64')).to.deep.equal(Buffer.from('raw\u0001bytes'));

    // A Kafka client sees the same records, and the instance's commit landed in the group.
    const admin = kafka.admin();
    await admin.connect();
    const offsets = await admin.fetchOffsets({ groupId: 'order-readers', topics: ['orders'] });
    expect(offsets[0]!.partitions[0]!.offset).to.equal('2');
    await admin.disconnect();
    const consumer = kafka.consumer({ groupId: 'rest-check' });
    await consumer.connect();
    await consumer.subscribe({ topic: 'orders', fromBeginning: true });
    const seen: Array<{ key: string | null; value: Buffer }> = [];
    await consumer.run({ eachMessage: async ({ message }) => void seen.push({ key: message.key?.toString() ?? null, value: message.value! }) });
    await eventually(() => seen.length >= 2, 'kafkajs reads the REST-produced records');
    await consumer.disconnect();
    expect(seen[0]!.key).to.equal('"o-1"');
    expect(JSON.parse(seen[0]!.value.toString())).to.deep.equal({ item: 'tea', qty: 2 });

    const no = await bash(`${script.split('\n').slice(0, 3).join('\n')}\n${denied}`, { BROOK_HTTP: base, BROOK_AUTH: `alice:${USERS.alice}` });
    const [wrongPassword, forbidden] = no.stdout.trim().split('\n');
    expect(wrongPassword).to.equal('401');
    expect(JSON.parse(forbidden!)).to.include({ error_code: 40301 });
  });

  it('lists, describes, alters and deletes topics with Confluent shapes; bob sees none of them', async () => {
    const created = await call('POST', `/v3/clusters/${cluster}/topics`, { topic_name: 'shapes', partitions_count: 3, configs: [{ name: 'retention.ms', value: '60000' }] });
    expect(created.status).to.equal(201);
    expect(created.json).to.include({ kind: 'KafkaTopic', topic_name: 'shapes', partitions_count: 3, cluster_id: cluster });
    expect((await call('POST', `/v3/clusters/${cluster}/topics`, { topic_name: 'shapes' })).json.error_code).to.equal(40002);
    const list = await call('GET', `/v3/clusters/${cluster}/topics`);
    expect(list.json.data.map((t: { topic_name: string }) => t.topic_name)).to.include('shapes');
    expect((await call('GET', `/v3/clusters/${cluster}/topics`, undefined, `bob:${USERS.bob}`)).json.data).to.deep.equal([]);
    expect((await call('GET', `/v3/clusters/${cluster}/topics/shapes/partitions`)).json.data).to.have.length(3);
    expect((await call('POST', `/v3/clusters/${cluster}/topics/shapes/configs:alter`, { data: [{ name: 'retention.ms', value: '120000' }] })).status).to.equal(204);
    const configs = await call('GET', `/v3/clusters/${cluster}/topics/shapes/configs`);
    expect(configs.json.data.find((c: { name: string }) => c.name === 'retention.ms').value).to.equal('120000');
    // every config is listed, defaults included, and each entry's self link serves GET, PUT and DELETE
    const cleanup = configs.json.data.find((c: { name: string }) => c.name === 'cleanup.policy');
    expect(cleanup).to.deep.include({ value: 'delete', is_default: true, source: 'DEFAULT_CONFIG' });
    const self = new URL(configs.json.data.find((c: { name: string }) => c.name === 'retention.ms').metadata.self).pathname;
    expect(self).to.equal(`/v3/clusters/${cluster}/topics/shapes/configs/retention.ms`);
    expect((await call('GET', self)).json).to.deep.include({ kind: 'KafkaTopicConfig', name: 'retention.ms', value: '120000', is_default: false, source: 'DYNAMIC_TOPIC_CONFIG' });
    expect((await call('PUT', self, { value: '180000' })).status).to.equal(204);
    expect((await call('GET', self)).json.value).to.equal('180000');
    expect((await call('PUT', self, { value: 'soon' })).status).to.equal(400);
    expect((await call('DELETE', self)).status).to.equal(204);
    expect((await call('GET', self)).json).to.deep.include({ value: '604800000', is_default: true });
    expect((await call('GET', `/v3/clusters/${cluster}/topics/shapes/configs/no.such.config`)).status).to.equal(404);
    // Found by a user: bob, without WRITE, could tell an existing topic and its partition count by the error
    for (const topic of ['shapes', 'no-such-topic']) {
      for (const partition of [0, 3]) {
        const r = await call('POST', `/v3/clusters/${cluster}/topics/${topic}/records`, { partition_id: partition, value: { type: 'STRING', data: 'x' } }, `bob:${USERS.bob}`);
        expect([r.status, r.json.error_code], `${topic}-${partition}`).to.deep.equal([403, 40301]);
      }
    }
    const deniedMessages = await Promise.all(['shapes', 'no-such-topic'].map((topic) => call('POST', `/v3/clusters/${cluster}/topics/${topic}/records`, { partition_id: 3, value: { type: 'STRING', data: 'x' } }, `bob:${USERS.bob}`).then((r) => String(r.json.message).replace(topic, 'T'))));
    expect(deniedMessages[0]).to.equal(deniedMessages[1]);
    expect((await call('DELETE', `/v3/clusters/${cluster}/topics/shapes`, undefined, `bob:${USERS.bob}`)).status).to.equal(403);
    expect((await call('DELETE', `/v3/clusters/${cluster}/topics/shapes`)).status).to.equal(204);
    expect((await call('GET', `/v3/clusters/${cluster}/topics/shapes`)).json.error_code).to.equal(404);
    expect((await call('GET', '/v3/clusters/not-this-one/topics')).status).to.equal(404);
  });

  it('produces a batch, keyed records on Kafka\'s default partition, and consumes JSON with a json-format instance', async () => {
    await call('POST', `/v3/clusters/${cluster}/topics`, { topic_name: 'batched', partitions_count: 4 });
    const entries = Array.from({ length: 100 }, (_, i) => ({ id: String(i), key: { type: 'JSON', data: `k${i % 7}` }, value: { type: 'JSON', data: { n: i } } }));
    const res = await call('POST', `/v3/clusters/${cluster}/topics/batched/records:batch`, { entries });
    expect(res.status).to.equal(207);
    expect(res.json.failures).to.deep.equal([]);
    expect(res.json.successes).to.have.length(100);
    // The same keys through kafkajs's Java-compatible partitioner land on the same partitions.
    const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
    await producer.connect();
    const sent = await producer.send({ topic: 'batched', messages: [{ key: '"k3"', value: '{"n":"kafkajs"}' }] });
    await producer.disconnect();
    const restPartition = res.json.successes.find((s: { id: string }) => s.id === '3').partition_id;
    expect(sent[0]!.partition).to.equal(restPartition);

    const inst = await call('POST', '/consumers/batch-readers', { name: 'j', format: 'json', 'auto.offset.reset': 'earliest' });
    expect(inst.json.base_uri).to.match(/\/consumers\/batch-readers\/instances\/j$/);
    expect((await call('POST', '/consumers/batch-readers/instances/j/subscription', { topics: ['batched'] })).status).to.equal(204);
    const got: Array<{ value: { n: unknown }; key: unknown }> = [];
    await eventually(async () => {
      const r = await call('GET', '/consumers/batch-readers/instances/j/records?timeout=500');
      expect(r.status, JSON.stringify(r.json)).to.equal(200);
      got.push(...r.json);
      return got.length >= 101;
    }, 'the json consumer instance reads every record');
    expect(new Set(got.map((g) => JSON.stringify(g.value.n))).size).to.equal(101);
    // Someone else's instance does not exist for them.
    expect((await call('GET', '/consumers/batch-readers/instances/j/records', undefined, `bob:${USERS.bob}`)).json.error_code).to.equal(40403);
    expect((await call('DELETE', '/consumers/batch-readers/instances/j')).status).to.equal(204);
    expect((await call('GET', '/consumers/batch-readers/instances/j/records')).json.error_code).to.equal(40403);
  });

  it('shares a group\'s partitions between its consumer instances (KIP-848 membership) and rebalances when one leaves', async () => {
    await call('POST', `/v3/clusters/${cluster}/topics`, { topic_name: 'shared', partitions_count: 2 });
    for (const name of ['a', 'b']) {
      await call('POST', '/consumers/sharers', { name, format: 'json', 'auto.offset.reset': 'earliest' });
      expect((await call('POST', `/consumers/sharers/instances/${name}/subscription`, { topics: ['shared'] })).status).to.equal(204);
    }
    const assigned = async (name: string) => ((await call('GET', `/consumers/sharers/instances/${name}/assignments`)).json.partitions as Array<{ partition: number }>).map((p) => p.partition);
    // Heartbeats run in the background; the coordinator moves one partition to b once a gives it up.
    let a: number[] = [];
    let b: number[] = [];
    await eventually(async () => {
      a = await assigned('a');
      b = await assigned('b');
      return a.length === 1 && b.length === 1 && a[0] !== b[0];
    }, 'each instance owns one of the two partitions');
    for (let p = 0; p < 2; p++) {
      const entries = Array.from({ length: 5 }, (_, i) => ({ id: String(i), partition_id: p, value: { type: 'JSON', data: { p, i } } }));
      expect((await call('POST', `/v3/clusters/${cluster}/topics/shared/records:batch`, { entries })).json.failures).to.deep.equal([]);
    }
    const got: Record<string, Array<{ partition: number; offset: number }>> = { a: [], b: [] };
    await eventually(async () => {
      for (const name of ['a', 'b']) {
        const r = await call('GET', `/consumers/sharers/instances/${name}/records?timeout=300`);
        expect(r.status, JSON.stringify(r.json)).to.equal(200);
        got[name]!.push(...r.json);
      }
      return got.a!.length + got.b!.length >= 10;
    }, 'the two instances read the ten records between them');
    expect(got.a!.map((r) => r.partition)).to.deep.equal([a[0], a[0], a[0], a[0], a[0]]);
    expect(got.b!.map((r) => r.partition)).to.deep.equal([b[0], b[0], b[0], b[0], b[0]]);
    // Both commit, b leaves: a takes over b's partition from b's committed offset, and sees only what is new there.
    for (const name of ['a', 'b']) expect((await call('POST', `/consumers/sharers/instances/${name}/offsets`, {})).status).to.equal(204);
    expect((await call('DELETE', '/consumers/sharers/instances/b')).status).to.equal(204);
    await eventually(async () => (await assigned('a')).length === 2, 'a is assigned both partitions after b left');
    await call('POST', `/v3/clusters/${cluster}/topics/shared/records`, { partition_id: b[0], value: { type: 'JSON', data: 'after-b-left' } });
    const later: Array<{ partition: number; value: unknown }> = [];
    await eventually(async () => {
      later.push(...(await call('GET', '/consumers/sharers/instances/a/records?timeout=300')).json);
      return later.some((r) => r.value === 'after-b-left');
    }, 'a reads the new record on b\'s old partition');
    expect(later.map((r) => r.value)).to.deep.equal(['after-b-left']);
  });

  it('v2 instances: assigned partitions without a group, offsets read back, seeks, and subscription shown and dropped', async () => {
    await call('POST', `/v3/clusters/${cluster}/topics`, { topic_name: 'manual', partitions_count: 2 });
    for (let i = 0; i < 6; i++) await call('POST', `/v3/clusters/${cluster}/topics/manual/records`, { partition_id: i % 2, value: { type: 'JSON', data: i } });
    const at = '/consumers/manual-readers/instances/m';
    await call('POST', '/consumers/manual-readers', { name: 'm', format: 'json', 'auto.offset.reset': 'earliest' });
    expect((await call('POST', `${at}/assignments`, { partitions: [{ topic: 'manual', partition: 1 }] })).status).to.equal(204);
    expect((await call('GET', `${at}/assignments`)).json.partitions).to.deep.equal([{ topic: 'manual', partition: 1 }]);
    expect((await call('POST', `${at}/subscription`, { topics: ['manual'] })).status).to.equal(409);
    const read = (await call('GET', `${at}/records?timeout=1000`)).json as Array<{ partition: number; value: number }>;
    expect(read.map((r) => [r.partition, r.value])).to.deep.equal([[1, 1], [1, 3], [1, 5]]);
    expect((await call('POST', `${at}/offsets`, {})).status).to.equal(204);
    // GET offsets takes its partitions in the body, as Confluent's API does (curl -X GET -d)
    const committed = await getWithBody(`${at}/offsets`, { partitions: [{ topic: 'manual', partition: 1 }] });
    expect(committed).to.deep.equal({ offsets: [{ topic: 'manual', partition: 1, offset: 3, metadata: '' }] });
    expect((await call('POST', `${at}/positions/beginning`, { partitions: [{ topic: 'manual', partition: 1 }] })).status).to.equal(204);
    expect(((await call('GET', `${at}/records?timeout=1000`)).json as unknown[]).length).to.equal(3);
    expect((await call('POST', `${at}/positions`, { offsets: [{ topic: 'manual', partition: 1, offset: 2 }] })).status).to.equal(204);
    expect(((await call('GET', `${at}/records?timeout=1000`)).json as Array<{ value: number }>).map((r) => r.value)).to.deep.equal([5]);
    expect((await call('POST', `${at}/positions`, { offsets: [{ topic: 'manual', partition: 0, offset: 0 }] })).status).to.equal(409);
    // DELETE subscription drops the manual assignment too (Kafka's unsubscribe()): the instance may subscribe again
    expect((await call('DELETE', `${at}/subscription`)).status).to.equal(204);
    expect((await call('GET', `${at}/assignments`)).json.partitions).to.deep.equal([]);
    expect((await call('POST', `${at}/subscription`, { topics: ['manual'] })).status).to.equal(204);
    expect((await call('DELETE', at)).status).to.equal(204);

    const sub = '/consumers/manual-subscribers/instances/s';
    await call('POST', '/consumers/manual-subscribers', { name: 's', format: 'json', 'auto.offset.reset': 'earliest' });
    expect((await call('POST', `${sub}/subscription`, { topics: ['manual'] })).status).to.equal(204);
    expect((await call('GET', `${sub}/subscription`)).json).to.deep.equal({ topics: ['manual'] });
    const admin = kafka.admin();
    await admin.connect();
    try {
      await eventually(async () => (await admin.describeGroups(['manual-subscribers'])).groups[0]!.members.length === 1, 'the instance in its group', { intervalMs: 100 });
      expect((await call('DELETE', `${sub}/subscription`)).status).to.equal(204);
      expect((await call('GET', `${sub}/subscription`)).json).to.deep.equal({ topics: [] });
      await eventually(async () => (await admin.describeGroups(['manual-subscribers'])).groups[0]!.members.length === 0, 'the instance gone from its group', { intervalMs: 100 });
    } finally {
      await admin.disconnect();
    }
    expect((await call('DELETE', sub)).status).to.equal(204);
  });

  it('streams several records in one request and answers each', async () => {
    await call('POST', `/v3/clusters/${cluster}/topics`, { topic_name: 'streamed', partitions_count: 1 });
    const body = [1, 2, 3].map((n) => JSON.stringify({ value: { type: 'JSON', data: n } })).join('\n');
    const res = await fetch(`${base}/v3/clusters/${cluster}/topics/streamed/records`, { method: 'POST', headers: { authorization: `Basic ${Buffer.from(`alice:${USERS.alice}`).toString('base64')}`, 'content-type': 'application/json' }, body });
    const answers = (await res.text()).trim().split('\n').map((l) => JSON.parse(l));
    expect(answers.map((a) => [a.error_code, a.offset])).to.deep.equal([[200, 0], [200, 1], [200, 2]]);
  });

  it('links only to resources it serves, and answers an unknown REST path with a JSON 404', async () => {
    expect((await call('POST', `/v3/clusters/${cluster}/topics`, { topic_name: 'linked', partitions_count: 2 })).status).to.equal(201);
    const seen = new Set<string>();
    const queue = [`${base}/v3/clusters/${cluster}`, `${base}/v3/clusters/${cluster}/topics/linked`, `${base}/v3/clusters/${cluster}/topics/linked/partitions`];
    const links = (v: unknown): string[] => {
      if (Array.isArray(v)) return v.flatMap(links);
      if (typeof v !== 'object' || v === null) return [];
      return Object.entries(v).flatMap(([k, x]) => ((k === 'related' || k === 'self') && typeof x === 'string' ? [x] : links(x)));
    };
    while (queue.length > 0) {
      const url = queue.shift()!;
      if (seen.has(url) || !url.includes('/linked') && url.includes('/topics/')) continue;
      seen.add(url);
      const r = await call('GET', url.slice(base.length));
      expect(r.status, url).to.equal(200);
      queue.push(...links(r.json));
    }
    for (const want of ['/brokers/1', '/topics/linked/partitions/1', '/topics/linked/partitions/1/replicas', '/topics/linked/partitions/1/replicas/1']) {
      expect([...seen].some((u) => u.endsWith(want)), want).to.equal(true);
    }
    const replica = (await call('GET', `/v3/clusters/${cluster}/topics/linked/partitions/0/replicas/1`)).json;
    expect(replica).to.include({ kind: 'KafkaReplica', broker_id: 1, is_leader: true, is_in_sync: true });
    for (const p of [`/v3/clusters/${cluster}/acls`, `/v3/clusters/${cluster}/topics/linked/partitions/9`, '/consumers/g/instances/i/nothing']) {
      const res = await fetch(`${base}${p}`, { headers: { authorization: `Basic ${Buffer.from(`alice:${USERS.alice}`).toString('base64')}` } });
      expect(res.status, p).to.equal(404);
      expect(res.headers.get('content-type'), p).to.match(/json/);
      expect(((await res.json()) as { error_code: number }).error_code, p).to.be.oneOf([404, 40402]);
    }
  });

  it('answers bad input with Confluent errors and keeps serving', async () => {
    const p = `/v3/clusters/${cluster}/topics/orders/records`;
    expect((await call('POST', p, '{"value": {')).status).to.equal(400);
    expect((await call('POST', p, { value: { type: 'AVRO', data: {} } })).json.error_code).to.equal(40002);
    expect((await call('POST', p, { value: { type: 'BINARY', data: 'not base64!' } })).json.error_code).to.equal(40002);
    // valid JSON nested deeper than a recursive serializer's stack: stored as sent (its source text), not a 500
    const deep = await call('POST', p, `{"value":{"type":"JSON","data":${'['.repeat(20_000)}${']'.repeat(20_000)}}}`);
    expect([deep.status, deep.json.value?.size], JSON.stringify(deep.json)).to.deep.equal([200, 40_000]);
    expect((await call('POST', p, { partition_id: 9, value: { type: 'JSON', data: 1 } })).json.error_code).to.equal(404);
    expect((await call('POST', `/v3/clusters/${cluster}/topics/nowhere/records`, { value: { type: 'JSON', data: 1 } })).json.error_code).to.equal(404);
    expect((await call('POST', p, JSON.stringify({ value: { type: 'STRING', data: 'x'.repeat(9 << 20) } }))).status).to.equal(413);
    expect((await call('PUT', p, {})).status).to.equal(405);
    // What a cross-site form could send with a browser's cached credentials is refused.
    const form = await fetch(`${base}${p}`, { method: 'POST', headers: { authorization: `Basic ${Buffer.from(`alice:${USERS.alice}`).toString('base64')}`, 'content-type': 'text/plain' }, body: '{"value":{"type":"JSON","data":1}}' });
    expect(form.status).to.equal(415);
    expect((await call('GET', `/v3/clusters/${cluster}/topics`, undefined, 'alice:nope')).status).to.equal(401);
    expect((await fetch(`${base}/v3/clusters`)).status).to.equal(401);
    expect((await call('GET', `/v3/clusters/${cluster}/topics/orders`)).status).to.equal(200);
  });
});

describe('HTTP request rate limit', function () {
  it('answers 429 past brook.http.rate.limit.per.sec from one address, and serves again later', async () => {
    const broker = await startSecureTestBroker(USERS, { metricsPort: 0, config: { 'brook.http.rate.limit.per.sec': '5' } });
    try {
      const auth = { authorization: `Basic ${Buffer.from(`alice:${USERS.alice}`).toString('base64')}` };
      const statuses = await Promise.all(Array.from({ length: 20 }, () => fetch(`http://127.0.0.1:${broker.httpPort}/v3/clusters`, { headers: auth }).then((r) => r.status)));
      expect(statuses.filter((s) => s === 429).length).to.be.greaterThan(0);
      expect(statuses.filter((s) => s === 200).length).to.be.greaterThan(0);
      await eventually(async () => (await fetch(`http://127.0.0.1:${broker.httpPort}/v3/clusters`, { headers: auth })).status === 200, 'the bucket refills');
    } finally {
      await broker.destroy();
    }
  });
});

describe('REST produce under a client quota', function () {
  it('counts against the user\'s producer_byte_rate like a Kafka client\'s produce', async () => {
    const broker = await startSecureTestBroker(USERS, { metricsPort: 0, config: { 'quota.window.num': '2', 'quota.window.size.seconds': '1' } });
    try {
      await broker.services.quotas!.store.alter([{ entity: { user: 'alice' }, set: { producer_byte_rate: 10_000 }, remove: [] }]);
      const base = `http://127.0.0.1:${broker.httpPort}`;
      const headers = { authorization: `Basic ${Buffer.from(`alice:${USERS.alice}`).toString('base64')}`, 'content-type': 'application/json' };
      const cluster = ((await (await fetch(`${base}/v3/clusters`, { headers })).json()) as any).data[0].cluster_id;
      await fetch(`${base}/v3/clusters/${cluster}/topics`, { method: 'POST', headers, body: '{"topic_name":"metered"}' });
      const res = await fetch(`${base}/v3/clusters/${cluster}/topics/metered/records`, { method: 'POST', headers, body: JSON.stringify({ value: { type: 'STRING', data: 'x'.repeat(30_000) } }) });
      expect(res.status).to.equal(200);
      await eventually(async () => {
        const text = await (await fetch(`${base}/metrics`)).text();
        return /brook_quota_throttled_requests_total\{type="produce"\} 1\b/.test(text);
      }, 'the REST produce is throttled by alice\'s quota');
    } finally {
      await broker.destroy();
    }
  });
});
