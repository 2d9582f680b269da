import { expect } from 'chai';
import { ApiKey } from '../../protocol/generated/apis';
import type { AlterClientQuotasResponse } from '../../protocol/generated/messages/AlterClientQuotasResponse';
import type { ApiVersionsResponse } from '../../protocol/generated/messages/ApiVersionsResponse';
import type { Socket } from 'node:net';
import { ConnectionLimiter, normalizeAddress, parsePerIpOverrides, resolveOverrideHosts, UNLIMITED } from '../../src/security/quota/connectionLimits';
import { startTestBroker, type TestBroker } from '../helpers/broker';
import { memoryLogger, type LogEntry } from '../helpers/memoryLogger';
import { RawClient } from '../helpers/rawClient';
import { startSecureTestBroker } from '../helpers/secureBroker';
import { eventually } from '../helpers/eventually';

const apiVersions = (c: RawClient) => c.request<ApiVersionsResponse>(ApiKey.ApiVersions, 3, { clientSoftwareName: 't', clientSoftwareVersion: '1' });

/** Resolves true when the broker closed the connection, false if it still answers. */
async function refused(c: RawClient): Promise<boolean> {
  try {
    await apiVersions(c);
    return false;
  } catch {
    await c.closedPromise;
    return true;
  }
}

describe('connection limits', function () {
  const open: RawClient[] = [];
  const connect = async (port: number) => {
    const c = await RawClient.connect(port);
    open.push(c);
    return c;
  };
  afterEach(() => {
    for (const c of open.splice(0)) c.close();
  });

  it('parses max.connections.per.ip.overrides, IPv4 and IPv6', () => {
    expect([...parsePerIpOverrides('127.0.0.1:5, ::1:7,[fe80::2]:1')]).to.deep.equal([
      ['127.0.0.1', 5],
      ['::1', 7],
      ['fe80::2', 1],
    ]);
    expect(() => parsePerIpOverrides('127.0.0.1')).to.throw(/host:count/);
    expect(() => parsePerIpOverrides('127.0.0.1:x')).to.throw(/host:count/);
    expect(normalizeAddress('::ffff:10.0.0.1')).to.equal('10.0.0.1');
  });

  it('host names in the overrides stand for the addresses they resolve to', async () => {
    const resolved = await resolveOverrideHosts(new Map([['localhost', 4], ['10.0.0.1', 2]]));
    expect(resolved.get('127.0.0.1')).to.equal(4);
    expect(resolved.get('10.0.0.1')).to.equal(2);
    let failure: unknown;
    await resolveOverrideHosts(new Map([['no-such-host.invalid', 1]])).catch((err: unknown) => (failure = err));
    expect(String(failure)).to.match(/cannot resolve no-such-host.invalid/);
  });

  describe('max.connections.per.ip', () => {
    let broker: TestBroker;
    const entries: LogEntry[] = [];
    // a broker per test: the refusal log is rate-limited per address, so one test's refusals would hide the next one's
    beforeEach(async () => {
      entries.length = 0;
      broker = await startTestBroker({ logger: memoryLogger(entries), config: { 'max.connections.per.ip': '3' } });
    });
    afterEach(async () => broker?.destroy());

    it('closes the N+1th connection from an address; the others keep working; a freed slot is reusable', async () => {
      const ok = [await connect(broker.port), await connect(broker.port), await connect(broker.port)];
      for (const c of ok) expect((await apiVersions(c)).errorCode).to.equal(0);
      const extra = await connect(broker.port);
      expect(await refused(extra)).to.equal(true);
      for (const c of ok) expect((await apiVersions(c)).errorCode).to.equal(0);
      expect(broker.services.quotas!.connections.connectionsFrom('127.0.0.1')).to.equal(3);

      ok[0].close();
      await eventually(() => broker.services.quotas!.connections.connectionsFrom('127.0.0.1') === 2, 'the slot to be freed', 5000);
      const again = await connect(broker.port);
      expect(await refused(again)).to.equal(false);
      const refusals = entries.filter((e) => e.msg === 'connection refused');
      expect(refusals).to.have.length(1);
      expect(refusals[0].fields).to.include({ remote: '127.0.0.1' });
    });

    it('logs at most one refusal a second per address, however many are refused', async () => {
      const ok = [await connect(broker.port), await connect(broker.port), await connect(broker.port)];
      for (const c of ok) expect((await apiVersions(c)).errorCode).to.equal(0);
      const t0 = Date.now();
      const flood = await Promise.all(Array.from({ length: 50 }, () => connect(broker.port)));
      const results = await Promise.all(flood.map(refused));
      const seconds = Math.ceil((Date.now() - t0) / 1000) + 1;
      expect(results.every(Boolean)).to.equal(true);
      const logged = entries.filter((e) => e.msg === 'connection refused').length;
      expect(logged).to.be.within(1, seconds);
      for (const c of ok) expect((await apiVersions(c)).errorCode).to.equal(0);
    });
  });

  it('a flood of thousands of connections is refused at accept time while admitted clients keep working', async () => {
    const broker = await startTestBroker({ config: { 'max.connections.per.ip': '50' } });
    const flood: RawClient[] = [];
    try {
      const client = await connect(broker.port);
      expect((await apiVersions(client)).errorCode).to.equal(0);
      // In waves of 200: a burst beyond the kernel's accept backlog leaves half-open sockets no broker ever sees.
      let admitted = 0;
      for (let wave = 0; wave < 10; wave++) {
        const opened = await Promise.all(Array.from({ length: 200 }, () => RawClient.connect(broker.port)));
        flood.push(...opened);
        // The admitted client is served while the flood is going on.
        expect((await apiVersions(client)).errorCode).to.equal(0);
        await eventually(() => opened.filter((c) => !c.closed).length + admitted <= 49, 'the refused connections to be closed', 5000);
        admitted += opened.filter((c) => !c.closed).length;
      }
      expect(admitted).to.equal(49);
      expect(broker.services.quotas!.connections.connectionsFrom('127.0.0.1')).to.equal(50);
      expect((await apiVersions(client)).errorCode).to.equal(0);
    } finally {
      for (const c of flood) c.close();
      await broker.destroy();
    }
  });

  it('max.connections.per.ip.overrides raise or lower the cap for one address', async () => {
    const broker = await startTestBroker({ config: { 'max.connections.per.ip': '1', 'max.connections.per.ip.overrides': '127.0.0.1:2,10.9.9.9:100' } });
    try {
      const a = await connect(broker.port);
      const b = await connect(broker.port);
      expect(await refused(a)).to.equal(false);
      expect(await refused(b)).to.equal(false);
      expect(await refused(await connect(broker.port))).to.equal(true);
    } finally {
      await broker.destroy();
    }
  });

  it('max.connections caps the whole broker', async () => {
    const broker = await startTestBroker({ config: { 'max.connections': '2' } });
    try {
      const a = await connect(broker.port);
      const b = await connect(broker.port);
      expect(await refused(await connect(broker.port))).to.equal(true);
      expect(await refused(a)).to.equal(false);
      expect(await refused(b)).to.equal(false);
      expect(broker.services.quotas!.connections.connectionCount).to.equal(2);
    } finally {
      await broker.destroy();
    }
  });

  it('listener.name.<listener>.max.connections caps one listener only', async () => {
    const broker = await startSecureTestBroker({ alice: 'pw' }, { config: { 'listener.name.plaintext.max.connections': '1' } });
    try {
      const plainPort = Number(broker.plainBootstrap.split(':')[1]);
      const saslPort = Number(broker.saslBootstrap.split(':')[1]);
      const first = await connect(plainPort);
      expect(await refused(first)).to.equal(false);
      expect(await refused(await connect(plainPort))).to.equal(true);
      // The SASL listener has no cap: ApiVersions is allowed before authentication there.
      for (let i = 0; i < 3; i++) expect(await refused(await connect(saslPort))).to.equal(false);
      first.close();
      await eventually(() => broker.services.quotas!.connections.connectionCount === 3, 'the plaintext slot to be freed', 5000);
      expect(await refused(await connect(plainPort))).to.equal(false);
    } finally {
      await broker.destroy();
    }
  });

  it('an ip connection_creation_rate quota refuses connections opened faster than allowed', async () => {
    const broker = await startTestBroker({ config: { 'quota.window.num': '2', 'quota.window.size.seconds': '1' } });
    try {
      const admin = await connect(broker.port);
      const res = await admin.request<AlterClientQuotasResponse>(ApiKey.AlterClientQuotas, 1, {
        entries: [{ entity: [{ entityType: 'ip', entityName: null }], ops: [{ key: 'connection_creation_rate', value: 5, remove: false }] }],
        validateOnly: false,
      });
      expect(res.entries[0].errorCode).to.equal(0);
      // 5 per second over the padded 1 s window: five more are fine, then refusals start.
      const outcomes: boolean[] = [];
      for (let i = 0; i < 8; i++) outcomes.push(await refused(await connect(broker.port)));
      expect(outcomes.slice(0, 5)).to.deep.equal([false, false, false, false, false]);
      expect(outcomes.slice(5).some(Boolean)).to.equal(true);
      expect(await refused(admin)).to.equal(false);
    } finally {
      await broker.destroy();
    }
  });
});

describe('connection limiter (unit, injected clock)', () => {
  /** Just enough of a socket for admit(): an address, close listeners and destroy(). */
  class FakeSocket {
    destroyed = false;
    private onClose: (() => void) | null = null;
    constructor(readonly remoteAddress: string) {}
    once(_event: 'close', fn: () => void): void {
      this.onClose = fn;
    }
    destroy(): void {
      this.destroyed = true;
    }
    close(): void {
      this.onClose?.();
    }
  }

  it('measures connection creation per address and forgets quiet addresses', () => {
    let now = 1_000_000;
    const limiter = new ConnectionLimiter(
      { maxConnections: UNLIMITED, maxPerIp: UNLIMITED, perIpOverrides: new Map(), perListener: new Map() },
      { samples: 2, windowMs: 1000 },
      memoryLogger(),
      [{ entity: { ip: null }, values: { connection_creation_rate: 2 } }, { entity: { ip: '10.0.0.9' }, values: { connection_creation_rate: 100 } }],
      () => now,
    );
    const admit = (ip: string) => limiter.admit(new FakeSocket(ip) as unknown as Socket);
    expect([admit('10.0.0.1'), admit('10.0.0.1'), admit('10.0.0.1')]).to.deep.equal([true, true, false]);
    expect(admit('10.0.0.2')).to.equal(true); // its own rate
    for (let i = 0; i < 50; i++) expect(admit('10.0.0.9')).to.equal(true); // its own, higher quota
    now += 1500;
    expect(admit('10.0.0.1')).to.equal(true); // back under the rate
    for (let i = 0; i < 100; i++) admit(`10.1.0.${i}`);
    expect(limiter.trackedAddresses).to.equal(103);
    now += 2000;
    admit('10.2.0.1');
    expect(limiter.trackedAddresses).to.equal(1);
    // Without ip quotas nothing is measured at all.
    limiter.reload([]);
    expect(limiter.trackedAddresses).to.equal(0);
    for (let i = 0; i < 10; i++) expect(admit('10.0.0.1')).to.equal(true);
  });
});
