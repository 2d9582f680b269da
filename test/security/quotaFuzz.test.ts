import { expect } from 'chai';
import { ApiKey } from '../../protocol/generated/apis';
import type { DescribeClientQuotasResponse } from '../../protocol/generated/messages/DescribeClientQuotasResponse';
import { startTestBroker, tempDataDir, type TestBroker } from '../helpers/broker';
import { memoryLogger, type LogEntry } from '../helpers/memoryLogger';
import { RawClient } from '../helpers/rawClient';
import { seededRandom } from '../helpers/seededRandom';

/** Valid quota requests of every version, to be corrupted. */
function templates(c: RawClient): Buffer[] {
  const out: Buffer[] = [];
  for (const v of [0, 1]) {
    out.push(
      c.encode(ApiKey.AlterClientQuotas, v, {
        entries: [
          { entity: [{ entityType: 'user', entityName: 'fuzz' }, { entityType: 'client-id', entityName: null }], ops: [{ key: 'producer_byte_rate', value: 1024, remove: false }] },
          { entity: [{ entityType: 'ip', entityName: '10.0.0.1' }], ops: [{ key: 'connection_creation_rate', value: 5, remove: false }] },
          { entity: [{ entityType: 'client-id', entityName: 'x' }], ops: [{ key: 'request_percentage', value: 12.5, remove: false }, { key: 'consumer_byte_rate', value: 0, remove: true }] },
        ],
        validateOnly: false,
      }),
    );
    out.push(
      c.encode(ApiKey.DescribeClientQuotas, v, {
        components: [
          { entityType: 'user', matchType: 0, match: 'fuzz' },
          { entityType: 'client-id', matchType: 1, match: null },
        ],
        strict: false,
      }),
    );
  }
  return out;
}

function mutate(frame: Buffer, next: () => number): Buffer {
  const b = Buffer.from(frame);
  const edits = 1 + Math.floor(next() * 3);
  for (let i = 0; i < edits; i++) {
    // Past the size prefix and the api key/version, so the quota decoders and handlers get the garbage.
    const pos = 8 + Math.floor(next() * (b.length - 8));
    const kind = next();
    if (kind < 0.5) b[pos] = Math.floor(next() * 256);
    else b[pos] ^= 1 << Math.floor(next() * 8);
  }
  return b;
}

describe('quota APIs under corrupted requests', function () {
  this.timeout(120_000);
  let broker: TestBroker;
  const log: LogEntry[] = [];
  const dataDir = tempDataDir();
  after(async () => broker?.destroy());

  it('never crash a handler, never store something that cannot be loaded again', async () => {
    broker = await startTestBroker({ dataDir, logger: memoryLogger(log) });
    const next = seededRandom(7_2026);
    let c = await RawClient.connect(broker.port);
    const base = templates(c);
    let answered = 0;
    for (let i = 0; i < 1500; i++) {
      if (c.closed) c = await RawClient.connect(broker.port);
      c.send(mutate(base[Math.floor(next() * base.length)], next));
      try {
        await c.nextFrame(5000);
        answered++;
      } catch {
        if (!c.closed) c.close();
        await c.closedPromise;
      }
    }
    c.close();
    expect(log.filter((e) => e.msg === 'request handler failed; closing connection').map((e) => e.fields)).to.deep.equal([]);
    expect(answered).to.be.greaterThan(100);

    // Whatever was stored survives a restart unchanged and is still valid.
    const describeAll = async () => {
      const d = await RawClient.connect(broker.port);
      try {
        const res = await d.request<DescribeClientQuotasResponse>(ApiKey.DescribeClientQuotas, 1, { components: [], strict: false });
        expect(res.errorCode).to.equal(0);
        return res.entries;
      } finally {
        d.close();
      }
    };
    const before = await describeAll();
    expect(before!.length).to.be.greaterThan(0);
    for (const e of before!) for (const v of e.values) expect(v.value, v.key).to.be.greaterThan(0);
    await broker.close();
    broker = await startTestBroker({ dataDir, logger: memoryLogger(log) });
    expect(await describeAll()).to.deep.equal(before);
  });
});
