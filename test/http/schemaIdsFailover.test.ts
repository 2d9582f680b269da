import { expect } from 'chai';
import { MemoryCluster } from '../helpers/memoryCluster';
import { eventually } from '../helpers/eventually';
import type { PartitionLog } from '../../storage';

const json = { 'content-type': 'application/json' };

async function call(port: number, method: string, path: string, body?: unknown): Promise<{ status: number; json: any }> {
  const res = await fetch(`http://127.0.0.1:${port}${path}`, { method, headers: json, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  return { status: res.status, json: text ? JSON.parse(text) : null };
}

const schema = (name: string) => JSON.stringify({ type: 'record', name, fields: [{ name: 'f', type: 'string' }] });

/** Keeps a follower's high watermark where it is: it has fetched records but not yet heard they are committed. */
function holdHighWatermark(log: PartitionLog): () => void {
  const original = log.setHighWatermark.bind(log);
  log.setHighWatermark = () => undefined;
  return () => {
    log.setHighWatermark = original;
  };
}

describe('schema registry ids across a _schemas leader failover', function () {
  this.timeout(90_000);
  let c: MemoryCluster | undefined;

  afterEach(async () => {
    await c?.stop();
    c = undefined;
  });

  it('a new leader whose high watermark lags its log reads the old leader\'s acknowledged registration before handing out the next id', async () => {
    c = await MemoryCluster.start({ brokers: 3, http: true });
    const cluster = c;
    const http = (id: number) => cluster.broker(id).httpPort!;
    await call(http(1), 'GET', '/subjects');
    await c.settled();
    const st = c.state('_schemas', 0);
    const leader = st.leader;
    // The controller elects the first live ISR replica in assignment order.
    const next = st.replicas.find((r) => r !== leader)!;
    const other = st.replicas.find((r) => r !== leader && r !== next)!;

    const a = await call(http(leader), 'POST', '/subjects/a-value/versions', { schema: schema('A') });
    expect(a.status, JSON.stringify(a.json)).to.equal(200);
    for (const id of [next, other]) await eventually(async () => (await call(http(id), 'GET', '/subjects/a-value/versions/1')).json?.id === a.json.id, `broker ${id} serves a-value`);

    // B is acknowledged (acks=all: both followers have it), but `next` has not learnt it is committed.
    const nextLog = c.broker(next).services.logs.get('_schemas', 0)!;
    const release = holdHighWatermark(nextLog);
    let b: { status: number; json: any };
    try {
      b = await call(http(leader), 'POST', '/subjects/b-value/versions', { schema: schema('B') });
      expect(b.status, JSON.stringify(b.json)).to.equal(200);
      expect(b.json.id).to.be.greaterThan(a.json.id);
      const leaderEnd = c.broker(leader).services.logs.get('_schemas', 0)!.logEndOffset;
      await eventually(() => nextLog.logEndOffset === leaderEnd, `broker ${next} holding B`);
      // The third broker hears nothing more for now, so it cannot move the new leader's high watermark either.
      c.view(other).holdEvents();
      await c.killBroker(leader);
    } finally {
      release();
    }
    expect(c.leaderOf('_schemas', 0)).to.equal(next);
    expect(nextLog.highWatermark).to.be.lessThan(nextLog.logEndOffset);

    const pending = call(http(next), 'POST', '/subjects/c-value/versions', { schema: schema('C') });
    // The new leader wrote something that waits for the ISR (its marker, or without the fix C itself).
    await eventually(() => (cluster.replication(next).replica('_schemas', 0)?.pendingAcks ?? 0) > 0, 'a write on the new leader waiting for the ISR');
    await c.view(other).resumeEvents();
    const r = await pending;
    expect(r.status, JSON.stringify(r.json)).to.equal(200);
    expect(r.json.id, 'C must not get B\'s id').to.not.equal(b.json.id);
    expect(r.json.id).to.be.greaterThan(b.json.id);
    // Every id resolves to the schema registered with it, on every broker.
    for (const id of [next, other]) {
      await eventually(async () => (await call(http(id), 'GET', `/schemas/ids/${r.json.id}`)).json?.schema === schema('C'), `broker ${id} serves C's id`);
      expect((await call(http(id), 'GET', `/schemas/ids/${b.json.id}`)).json.schema).to.equal(schema('B'));
      expect((await call(http(id), 'GET', '/subjects/c-value/versions/1')).json.id).to.equal(r.json.id);
    }
  });
});
