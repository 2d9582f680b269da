import { expect } from 'chai';
import { Kafka, logLevel } from 'kafkajs';
import { rmSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import * as path from 'node:path';
import { LOCK_FILE } from '../../src/metadata/dataDirLock';
import { startTestBroker } from '../helpers/broker';
import { fetchRaw, fetchRequest, recordsOf } from '../helpers/dataPath';
import { RawClient } from '../helpers/rawClient';
import { tempDataDir } from '../helpers/tempDir';
import { eventually } from '../helpers/eventually';

describe('broker restart', () => {
  it('keeps topics, topic ids, configs, offsets and records across a restart', async () => {
    const dataDir = tempDataDir();
    try {
      const first = await startTestBroker({ dataDir, config: { 'num.partitions': '2' } });
      const kafka = new Kafka({ brokers: [first.bootstrap], clientId: 'restart', logLevel: logLevel.NOTHING });
      const producer = kafka.producer();
      await producer.connect();
      for (let i = 0; i < 20; i++) {
        await producer.send({ topic: 'durable', messages: [{ key: `k${i}`, value: `v${i}`, partition: i % 2, headers: { i: String(i) } }] });
      }
      await producer.disconnect();
      await first.services.metadata.createTopic('configured', { partitions: 1, configs: { 'max.message.bytes': '300' } });
      const topicId = first.services.metadata.topic('durable')!.id;
      const clusterId = first.services.metadata.clusterId;
      await first.close();

      const second = await startTestBroker({ dataDir });
      try {
        expect(second.services.metadata.clusterId).to.equal(clusterId);
        expect(second.services.metadata.topic('durable')!.id.equals(topicId)).to.equal(true);
        expect(second.services.metadata.topic('durable')!.partitions).to.equal(2);
        // Topic configs are applied to logs reloaded from disk.
        expect(second.services.logs.get('configured', 0)!.currentConfig().maxMessageBytes).to.equal(300);
        const c = await RawClient.connect(second.port);
        const res = await fetchRaw(c, fetchRequest([{ topic: 'durable', partition: 0, offset: 0 }, { topic: 'durable', partition: 1, offset: 0 }]));
        const got = res.responses[0].partitions.map((p) => recordsOf(p.records).map((r) => [r.offset, r.key, r.value, r.headers[0][1]]));
        expect(got[0]).to.deep.equal(Array.from({ length: 10 }, (_, j) => [j, `k${2 * j}`, `v${2 * j}`, String(2 * j)]));
        expect(got[1]).to.deep.equal(Array.from({ length: 10 }, (_, j) => [j, `k${2 * j + 1}`, `v${2 * j + 1}`, String(2 * j + 1)]));
        c.close();
      } finally {
        await second.close();
      }
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

describe('data dir lock', () => {
  it('refuses a second broker on the same data dir until the first one closed', async () => {
    const dataDir = tempDataDir();
    try {
      const first = await startTestBroker({ dataDir });
      let refused: Error | null = null;
      try {
        const second = await startTestBroker({ dataDir });
        await second.close();
      } catch (err) {
        refused = err as Error;
      }
      expect(refused?.message).to.match(/already used by a broker in this process/);
      await first.close();
      const third = await startTestBroker({ dataDir });
      await third.close();
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('takes over a lock left by a process that died, and refuses one held by a live process', async () => {
    const dataDir = tempDataDir();
    try {
      const { spawnSync, spawn } = await import('node:child_process');
      const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
      writeFileSync(path.join(dataDir, LOCK_FILE), `${dead.stdout}\n`);
      const b = await startTestBroker({ dataDir });
      await b.close();

      const live = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
      try {
        writeFileSync(path.join(dataDir, LOCK_FILE), `${live.pid}\n`);
        let refused: Error | null = null;
        try {
          await (await startTestBroker({ dataDir })).close();
        } catch (err) {
          refused = err as Error;
        }
        expect(refused?.message).to.match(new RegExp(`locked by running process ${live.pid}`));
      } finally {
        live.kill('SIGKILL');
      }

      // killed with -9 but not yet reaped by its parent (a zombie): dead, though signal 0 still reaches it
      const parent = spawn('/usr/bin/python3', ['-c', 'import os, time\npid = os.fork()\nif pid == 0: os._exit(0)\nprint(pid, flush=True)\ntime.sleep(60)'], { stdio: ['ignore', 'pipe', 'ignore'] });
      try {
        const zombie = Number((await new Promise<string>((resolve) => parent.stdout!.once('data', (d: Buffer) => resolve(d.toString())))).trim());
        await eventually(async () => (await readFile(`/proc/${zombie}/stat`, 'utf8')).includes(') Z '), 'the child a zombie');
        writeFileSync(path.join(dataDir, LOCK_FILE), `${zombie}\n`);
        await (await startTestBroker({ dataDir })).close();
      } finally {
        parent.kill('SIGKILL');
      }
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
