import { expect } from 'chai';
import { rmSync } from 'node:fs';
import * as path from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { ErrorCode } from '../../protocol/errors';
import { ApiKey } from '../../protocol/generated/apis';
import { startTestBroker, type TestBroker } from '../helpers/broker';
import { fetchRaw, fetchRequest, produceRaw, recordsOf } from '../helpers/dataPath';
import { RawClient } from '../helpers/rawClient';
import { tempDataDir } from '../helpers/tempDir';
import { startChildBroker } from './helpers/childBroker';
import { DropProxy } from './helpers/dropProxy';
import { idempotentBatch, initProducerId } from './helpers/wire';
import { pythonJsonStep } from '../helpers/python';

async function allValues(port: number, topic: string): Promise<string[]> {
  const c = await RawClient.connect(port);
  try {
    const out: string[] = [];
    for (let offset = 0; ; ) {
      const res = await fetchRaw(c, fetchRequest([{ topic, partition: 0, offset }]));
      const recs = recordsOf(res.responses[0].partitions[0].records).filter((r) => r.offset >= offset);
      if (recs.length === 0) return out;
      out.push(...recs.map((r) => r.value!));
      offset = recs[recs.length - 1].offset + 1;
    }
  } finally {
    c.close();
  }
}

function runPython(script: string, args: object): Promise<{ ok: boolean; error: string | null; delivered: number }> {
  return pythonJsonStep(path.join(__dirname, 'drivers', script), args, script);
}

describe('idempotent producers with real clients and lost responses', function () {
  this.timeout(90_000);
  let proxy: DropProxy;
  let broker: TestBroker;

  beforeEach(async () => {
    proxy = await DropProxy.start(1, ApiKey.Produce);
    // clients learn the broker's address from Metadata: it must be the proxy's
    broker = await startTestBroker({ config: { 'advertised.listeners': `PLAINTEXT://127.0.0.1:${proxy.port}`, 'num.partitions': '1' } });
    proxy.retarget(broker.port);
    await broker.services.metadata.createTopic('idem', { partitions: 1, configs: {} });
  });
  afterEach(async () => {
    await proxy.close();
    await broker.destroy();
  });

  it('kafkajs: every message once although produce answers were lost and retried', async () => {
    const kafka = new Kafka({ brokers: [`127.0.0.1:${proxy.port}`], clientId: 'idem', logLevel: logLevel.NOTHING, retry: { initialRetryTime: 20, retries: 10 } });
    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    proxy.dropsLeft = 3;
    const sent: string[] = [];
    for (let i = 0; i < 30; i++) {
      const batch = [0, 1, 2].map((j) => `k${i * 3 + j}`);
      sent.push(...batch);
      await producer.send({ topic: 'idem', messages: batch.map((value) => ({ value, partition: 0 })) });
    }
    await producer.disconnect();
    expect(proxy.dropped).to.equal(3);
    expect(await allValues(broker.port, 'idem')).to.deep.equal(sent);
  });

  it('confluent-kafka (librdkafka): every message once although produce answers were lost and retried', async () => {
    proxy.dropsLeft = 3;
    const res = await runPython('confluent_idempotent.py', { bootstrap: `127.0.0.1:${proxy.port}`, topic: 'idem', count: 500 });
    expect(res.error).to.equal(null);
    expect(res.delivered).to.equal(500);
    expect(proxy.dropped).to.equal(3);
    expect(await allValues(broker.port, 'idem')).to.deep.equal(Array.from({ length: 500 }, (_, i) => `m${i}`));
  });
});

describe('idempotent producer after a crash (kill -9)', function () {
  this.timeout(90_000);

  it('rebuilds producer state from the log: a retry after the crash is not written twice', async () => {
    const dataDir = tempDataDir();
    try {
      const first = await startChildBroker(dataDir, { 'auto.create.topics.enable': 'true', 'num.partitions': '1' });
      let pid: bigint;
      try {
        const c = await RawClient.connect(first.port);
        pid = (await initProducerId(c)).producerId;
        for (let seq = 0; seq < 3; seq++) expect((await produceRaw(c, 'crash', 0, idempotentBatch(pid, 0, seq, [`v${seq}`]))).errorCode).to.equal(0);
        c.close();
      } finally {
        await first.kill9();
      }
      const second = await startChildBroker(dataDir);
      try {
        const c = await RawClient.connect(second.port);
        expect((await initProducerId(c)).producerId > pid).to.equal(true);
        expect(await produceRaw(c, 'crash', 0, idempotentBatch(pid, 0, 2, ['v2']))).to.include({ errorCode: 0, baseOffset: 2n });
        expect((await produceRaw(c, 'crash', 0, idempotentBatch(pid, 0, 9, ['gap']))).errorCode).to.equal(ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER);
        expect(await produceRaw(c, 'crash', 0, idempotentBatch(pid, 0, 3, ['v3']))).to.include({ errorCode: 0, baseOffset: 3n });
        c.close();
        expect(await allValues(second.port, 'crash')).to.deep.equal(['v0', 'v1', 'v2', 'v3']);
      } finally {
        await second.stop();
      }
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
