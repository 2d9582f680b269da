import { expect } from 'chai';
import { MemoryCluster } from '../helpers/memoryCluster';
import { eventually } from '../helpers/eventually';

const json = { 'content-type': 'application/json' };

async function call(port: number, method: string, path: string, body?: unknown): Promise<{ status: number; json: any }> {
  const res = await fetch(`http://127.0.0.1:${port}${path}`, { method, headers: json, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  return { status: res.status, json: text ? JSON.parse(text) : null };
}

const schema = (fields: string[]) => JSON.stringify({ type: 'record', name: 'Evt', fields: fields.map((f) => ({ name: f, type: 'string', default: '' })) });

describe('HTTP side in cluster mode', function () {
  this.timeout(90_000);
  let c: MemoryCluster;

  before(async () => {
    c = await MemoryCluster.start({ brokers: 3, http: true });
  });
  after(async () => {
    await c?.stop();
  });

  const http = (id: number) => c.broker(id).httpPort!;

  it('replicates _schemas: registered on the leader, read on every broker, and kept through a leader failover', async () => {
    // The first registry request creates _schemas (replicated to all three brokers).
    await call(http(1), 'GET', '/subjects');
    await c.settled();
    const st = c.state('_schemas', 0);
    expect(st.replicas).to.have.length(3);
    const leader = st.leader;
    const follower = [1, 2, 3].find((id) => id !== leader)!;

    const v1 = await call(http(leader), 'POST', '/subjects/evt-value/versions', { schema: schema(['a']) });
    expect(v1.status, JSON.stringify(v1.json)).to.equal(200);
    // A broker that does not lead _schemas says where writes go.
    const refused = await call(http(follower), 'POST', '/subjects/evt-value/versions', { schema: schema(['a', 'b']) });
    expect(refused.status).to.equal(500);
    expect(refused.json.error_code).to.equal(50003);
    expect(refused.json.message).to.include(`broker ${leader} leads it`);
    // Followers read what the leader wrote once their replica has it.
    for (const id of [1, 2, 3]) {
      await eventually(async () => (await call(http(id), 'GET', '/subjects/evt-value/versions/1')).json?.id === v1.json.id, `broker ${id} serves version 1`);
    }

    await c.killBroker(leader);
    const next = c.leaderOf('_schemas', 0);
    expect(next).to.not.equal(leader);
    expect(next).to.be.greaterThan(0);
    const v2 = await call(http(next), 'POST', '/subjects/evt-value/versions', { schema: schema(['a', 'b']) });
    expect(v2.status, JSON.stringify(v2.json)).to.equal(200);
    expect(v2.json.version).to.equal(2);
    expect(v2.json.id).to.be.greaterThan(v1.json.id);
    expect((await call(http(next), 'GET', '/subjects/evt-value/versions')).json).to.deep.equal([1, 2]);
  });

  it('REST produce on a partition\'s leader with acks=all reaches the followers', async () => {
    await c.createTopic('rest-clustered', 1, 2);
    const leader = c.leaderOf('rest-clustered', 0);
    const cluster = (await call(http(leader), 'GET', '/v3/clusters')).json.data[0].cluster_id;
    const res = await call(http(leader), 'POST', `/v3/clusters/${cluster}/topics/rest-clustered/records`, { partition_id: 0, value: { type: 'JSON', data: { ok: true } } });
    expect(res.json).to.include({ error_code: 200, offset: 0 });
    const follower = c.state('rest-clustered', 0).replicas.find((id) => id !== leader)!;
    await eventually(() => (c.broker(follower).services.logs.get('rest-clustered', 0)?.logEndOffset ?? 0) === 1, 'the follower has the record');
  });

  it('the console\'s cluster view shows every broker and each partition\'s leader, replicas and ISR', async () => {
    const st = c.state('rest-clustered', 0);
    const anyBroker = [...c.brokers.keys()][0]!;
    await eventually(() => c.state('rest-clustered', 0).isr.length === 2, 'the ISR is full');
    const view = (await call(http(anyBroker), 'GET', '/api/cluster')).json;
    expect(view.brokers.map((b: { nodeId: number }) => b.nodeId)).to.deep.equal([...c.brokers.keys()].sort());
    const row = view.partitions.find((p: { topic: string; partition: number }) => p.topic === 'rest-clustered' && p.partition === 0);
    expect(row.leader).to.equal(st.leader);
    expect([...row.replicas].sort()).to.deep.equal([...st.replicas].sort());
    expect(row.isr).to.have.length(2);
  });
});
