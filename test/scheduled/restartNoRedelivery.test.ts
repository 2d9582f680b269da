/**
 * A restart replays the `__brook_scheduled` journal before delivering anything. Found by a user: a transaction's
 * commit marker met early in the replay armed the delivery timer, which fired between the replay's reads and
 * delivered again schedules whose DELIVERED records lay further on in the journal (2,000 duplicates per restart).
 */
import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { Kafka, logLevel } from 'kafkajs';
import { startTestBroker, type TestBroker } from '../helpers/broker';
import { eventually } from '../helpers/eventually';

const run = promisify(execFile);

describe('scheduled delivery: a restart delivers nothing twice', function () {
  this.timeout(120_000);
  const N = 30_000;
  let broker: TestBroker;
  const kafka = () => new Kafka({ brokers: [broker.bootstrap], logLevel: logLevel.NOTHING });
  /** Keys of every record in `once`, as kcat reads them to the end of the partition. */
  const recordKeys = async (): Promise<string[]> => {
    const { stdout } = await run('kcat', ['-C', '-b', broker.bootstrap, '-t', 'once', '-e', '-q', '-f', '%k\\n'], { timeout: 30_000, maxBuffer: 16 << 20 });
    return stdout.split('\n').filter((k) => k !== '');
  };

  before(async () => {
    broker = await startTestBroker();
  });
  after(async () => broker?.destroy());

  it('a journal with a committed transaction early on and several reads of delivered schedules after it', async () => {
    const admin = kafka().admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 'once', numPartitions: 1 }] });
    await admin.disconnect();
    const producer = kafka().producer();
    await producer.connect();
    // far ahead: the journal cannot be trimmed past it, so the restart replays everything below
    await producer.send({ topic: 'once', messages: [{ key: 'far', value: 'far', headers: { 'brook-delay-ms': String(20 * 86_400_000) } }] });
    const txn = kafka().producer({ transactionalId: 'once-tx', idempotent: true, maxInFlightRequests: 1 });
    await txn.connect();
    const t = await txn.transaction();
    await t.send({ topic: 'once', messages: [{ key: 'tx', value: 'tx', headers: { 'brook-delay-ms': '0' } }] });
    await t.commit();
    await txn.disconnect();
    // 7 MB of schedules after the marker, all written before the first falls due: their DELIVERED records come
    // after more than one of the replay's 4 MB reads
    const value = Buffer.alloc(150, 'x');
    const sends: Array<Promise<unknown>> = [];
    for (let i = 0; i < N; i += 1000) {
      sends.push(producer.send({ topic: 'once', messages: Array.from({ length: 1000 }, (_, j) => ({ key: `k${i + j}`, value, headers: { 'brook-delay-ms': '3000' } })) }));
    }
    await Promise.all(sends);
    await producer.disconnect();
    await eventually(async () => (await recordKeys()).length === N + 1, 'every due schedule delivered', { intervalMs: 500 });

    const dataDir = broker.dataDir;
    await broker.close();
    broker = await startTestBroker({ dataDir });
    // a schedule due now, made after the restart: once it is delivered, any due schedule replayed was delivered too
    const after = kafka().producer();
    await after.connect();
    await after.send({ topic: 'once', messages: [{ key: 'sentinel', value: 'sentinel', headers: { 'brook-delay-ms': '0' } }] });
    await after.disconnect();
    const keys = await eventually(async () => {
      const k = await recordKeys();
      return k.includes('sentinel') && k;
    }, 'the sentinel delivered', { intervalMs: 500 });
    expect(keys).to.have.length(N + 2);
    expect(new Set(keys).size).to.equal(N + 2);
  });
});
