import { expect } from 'chai';
import { Kafka, logLevel, type SASLOptions } from 'kafkajs';
import { spawn } from 'node:child_process';
import * as path from 'node:path';
import { ApiKey } from '../../protocol/generated/apis';
import type { AlterClientQuotasResponse } from '../../protocol/generated/messages/AlterClientQuotasResponse';
import { startTestBroker, type TestBroker } from '../helpers/broker';
import { runPython } from '../helpers/python';
import { RawClient } from '../helpers/rawClient';
import { startSecureTestBroker, type SecureTestBroker } from '../helpers/secureBroker';

const SCRIPT = path.join(__dirname, 'quota_clients.py');
/** Two 1 s samples: a client may run ahead of its quota by at most about this much before being held back. */
const WINDOW = { 'quota.window.num': '2', 'quota.window.size.seconds': '1' };
const WINDOW_SPAN_S = 2;
const QUOTA = 400_000; // bytes per second
const MESSAGE = 10_000;
const COUNT = 250; // 2.5 MB: about 6 s at the quota

async function setQuota(port: number, entity: Array<{ entityType: string; entityName: string | null }>, key: string, value: number): Promise<void> {
  const c = await RawClient.connect(port);
  try {
    const res = await c.request<AlterClientQuotasResponse>(ApiKey.AlterClientQuotas, 1, { entries: [{ entity, ops: [{ key, value, remove: false }] }], validateOnly: false });
    expect(res.entries[0].errorCode).to.equal(0);
  } finally {
    c.close();
  }
}

/**
 * The lower bound a quota guarantees: over the run a client can get ahead by
 * at most the window span plus the request in flight (here at most 50
 * messages, kept well under a second of quota), so anything faster means
 * throttling did not happen. Only the lower bound is asserted: it is
 * behaviour, not speed.
 */
function minSeconds(bytes: number, lastRequestBytes: number): number {
  return bytes / QUOTA - WINDOW_SPAN_S - lastRequestBytes / QUOTA - 0.25;
}

/** Produces COUNT messages with kafkajs in sends of `perSend`; resolves with the elapsed seconds. */
async function kafkajsProduce(bootstrap: string, clientId: string, topic: string, sasl?: SASLOptions, perSend = 20): Promise<number> {
  const kafka = new Kafka({ clientId, brokers: [bootstrap], logLevel: logLevel.NOTHING, sasl, requestTimeout: 30_000 });
  const producer = kafka.producer({ allowAutoTopicCreation: true });
  await producer.connect();
  try {
    const value = Buffer.alloc(MESSAGE, 'k');
    const start = performance.now();
    for (let sent = 0; sent < COUNT; sent += perSend) {
      await producer.send({ topic, acks: -1, messages: Array.from({ length: Math.min(perSend, COUNT - sent) }, () => ({ value })) });
    }
    return (performance.now() - start) / 1000;
  } finally {
    await producer.disconnect();
  }
}

describe('quotas with real clients', function () {
  this.timeout(120_000);

  describe('client-id quotas', () => {
    let broker: TestBroker;
    before(async () => {
      broker = await startTestBroker({ config: WINDOW });
    });
    after(async () => broker?.destroy());

    it('a kafkajs producer with a producer_byte_rate quota slows to it', async () => {
      await setQuota(broker.port, [{ entityType: 'client-id', entityName: 'kjs-throttled' }], 'producer_byte_rate', QUOTA);
      const elapsed = await kafkajsProduce(broker.bootstrap, 'kjs-throttled', 'kjs-quota');
      expect(elapsed).to.be.at.least(minSeconds(COUNT * MESSAGE, 20 * MESSAGE));
    });

    it('a confluent-kafka producer with a producer_byte_rate quota slows to it and sees throttle_time_ms', async () => {
      await setQuota(broker.port, [{ entityType: 'client-id', entityName: 'rdk-throttled' }], 'producer_byte_rate', QUOTA);
      const run = await runPython([SCRIPT, JSON.stringify({ mode: 'produce', bootstrap: broker.bootstrap, client_id: 'rdk-throttled', topic: 'rdk-quota', count: COUNT, size: MESSAGE })]);
      expect(run.code, run.err).to.equal(0);
      const res = JSON.parse(run.out) as { ok: boolean; elapsed: number; maxThrottle: number; errors: string[] };
      expect(res.ok, res.errors.join('; ')).to.equal(true);
      expect(res.maxThrottle).to.be.greaterThan(0);
      expect(res.elapsed).to.be.at.least(minSeconds(COUNT * MESSAGE, 65_536));
    });

    it('kcat (librdkafka CLI) producing with a producer_byte_rate quota slows to it', async () => {
      await setQuota(broker.port, [{ entityType: 'client-id', entityName: 'kcat-throttled' }], 'producer_byte_rate', QUOTA);
      const line = 'c'.repeat(MESSAGE - 1);
      const input = `${Array.from({ length: COUNT }, () => line).join('\n')}\n`;
      const start = performance.now();
      await new Promise<void>((resolve, reject) => {
        const args = ['-P', '-b', broker.bootstrap, '-t', 'kcat-quota', '-p', '0', '-X', 'client.id=kcat-throttled', '-X', 'batch.size=65536', '-X', 'linger.ms=5'];
        const child = spawn('kcat', args, { stdio: ['pipe', 'ignore', 'pipe'] });
        let err = '';
        child.stderr.on('data', (d: Buffer) => (err += d.toString()));
        child.on('error', reject);
        child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`kcat exited ${code}: ${err.slice(-1000)}`))));
        child.stdin.end(input);
      });
      const elapsed = (performance.now() - start) / 1000;
      expect(elapsed).to.be.at.least(minSeconds(COUNT * MESSAGE, 65_536));
      expect(broker.services.logs.get('kcat-quota', 0)!.highWatermark).to.equal(COUNT);
    });

    it('a confluent-kafka consumer with a consumer_byte_rate quota slows to it', async () => {
      // The data is already there (written by the unthrottled client above); only reading is limited.
      await setQuota(broker.port, [{ entityType: 'client-id', entityName: 'rdk-reader' }], 'consumer_byte_rate', QUOTA);
      const run = await runPython([SCRIPT, JSON.stringify({ mode: 'consume', bootstrap: broker.bootstrap, client_id: 'rdk-reader', topic: 'kjs-quota', count: COUNT, size: MESSAGE })]);
      expect(run.code, run.err).to.equal(0);
      const res = JSON.parse(run.out) as { ok: boolean; got: number; elapsed: number; maxThrottle: number };
      expect(res.ok, `consumed ${res.got}`).to.equal(true);
      expect(res.maxThrottle).to.be.greaterThan(0);
      // A fetch carries at most one window's allowance (QUOTA bytes here).
      expect(res.elapsed).to.be.at.least(minSeconds(COUNT * MESSAGE, QUOTA));
    });
  });

  describe('user quotas over SASL PLAIN', () => {
    let broker: SecureTestBroker;
    before(async () => {
      broker = await startSecureTestBroker({ alice: 'alice-secret', bob: 'bob-secret' }, { config: WINDOW });
      await setQuota(Number(broker.plainBootstrap.split(':')[1]), [{ entityType: 'user', entityName: 'alice' }], 'producer_byte_rate', QUOTA);
    });
    after(async () => broker?.destroy());

    it('throttles the authenticated user whatever client id she uses, and not another user', async () => {
      const elapsed = await kafkajsProduce(broker.saslBootstrap, `alice-app-${Date.now()}`, 'user-quota', { mechanism: 'plain', username: 'alice', password: 'alice-secret' });
      expect(elapsed).to.be.at.least(minSeconds(COUNT * MESSAGE, 20 * MESSAGE));
      // The quota is hers: bob resolves to none, so his produce requests are never throttled.
      const q = broker.services.quotas!.produce;
      expect(q.match('User:alice', 'anything')?.limit).to.equal(QUOTA);
      expect(q.match('User:bob', 'anything')).to.equal(null);
      await kafkajsProduce(broker.saslBootstrap, 'bob-app', 'user-quota', { mechanism: 'plain', username: 'bob', password: 'bob-secret' }, 50);
    });
  });
});
