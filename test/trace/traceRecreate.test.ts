import { expect } from 'chai';
import { rmSync } from 'node:fs';
import { Kafka, logLevel } from 'kafkajs';
import { startTestBroker, tempDataDir, type TestBroker } from '../helpers/broker';
import { eventually } from '../helpers/eventually';
import { traceServicesOf } from '../../src/trace/services';
import { kcatWithInput } from '../helpers/kcat';

/* eslint-disable @typescript-eslint/no-explicit-any */

describe('trace of a topic deleted and created again under its name (kcat producers, a restart)', function () {
  this.timeout(120_000);
  const dataDir = tempDataDir();
  let broker: TestBroker | null = null;
  const start = async (): Promise<TestBroker> => (broker = await startTestBroker({ dataDir, metricsPort: 0, console: true }));
  const trace = async (offset: number): Promise<any> => {
    const r = await fetch(`http://127.0.0.1:${broker!.httpPort}/api/topics/rt/trace?partition=0&offset=${offset}`);
    expect(r.status).to.equal(200);
    return ((await r.json()) as any).traces[0];
  };
  const admin = async <T>(f: (a: ReturnType<Kafka['admin']>) => Promise<T>): Promise<T> => {
    const a = new Kafka({ clientId: 'admin', brokers: [broker!.bootstrap], logLevel: logLevel.NOTHING }).admin();
    await a.connect();
    try {
      return await f(a);
    } finally {
      await a.disconnect();
    }
  };

  after(async () => {
    await broker?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('shows none of the deleted topic\'s producers, before and after a restart replays __brook_trace', async () => {
    await start();
    await admin((a) => a.createTopics({ topics: [{ topic: 'rt', numPartitions: 1, configEntries: [{ name: 'brook.trace.enable', value: 'true' }] }] }));
    await kcatWithInput(['-P', '-b', broker!.bootstrap, '-t', 'rt', '-X', 'client.id=OLD-PRODUCER', '-X', 'enable.idempotence=true'], 'old-1\nold-2\nold-3\nold-4\nold-5\n');
    expect((await trace(3)).producer.clientId).to.equal('OLD-PRODUCER');
    await traceServicesOf(broker!.services)!.flushed();
    await admin((a) => a.deleteTopics({ topics: ['rt'] }));
    // created again without brook.trace.enable: its producers are not recorded
    await eventually(() => admin((a) => a.createTopics({ topics: [{ topic: 'rt', numPartitions: 1 }] })), 'rt created again');
    await kcatWithInput(['-P', '-b', broker!.bootstrap, '-t', 'rt', '-X', 'client.id=NEW-PRODUCER'], 'new-1\nnew-2\nnew-3\nnew-4\nnew-5\n');
    const now = await trace(3);
    expect(now.valuePreview).to.equal('new-4');
    expect(now.traceEnabled).to.equal(false);
    expect(now.producer).to.equal(null);
    expect(now.timeline.map((e: any) => e.kind)).not.to.include('appended');

    await broker!.close();
    await start();
    const replayed = await trace(3);
    expect(replayed.valuePreview).to.equal('new-4');
    expect(replayed.producer).to.equal(null);

    // switched on for the new topic: its own producers, never the old one's
    await admin((a) => a.alterConfigs({ validateOnly: false, resources: [{ type: 2, name: 'rt', configEntries: [{ name: 'brook.trace.enable', value: 'true' }] }] }));
    await kcatWithInput(['-P', '-b', broker!.bootstrap, '-t', 'rt', '-X', 'client.id=NEW-PRODUCER'], 'new-6\n');
    expect((await trace(5)).producer.clientId).to.equal('NEW-PRODUCER');
    expect((await trace(3)).producer).to.equal(null);
  });
});
