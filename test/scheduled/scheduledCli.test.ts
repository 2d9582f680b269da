import { expect } from 'chai';
import { Kafka, logLevel } from 'kafkajs';
import { startTestBroker, type TestBroker } from '../helpers/broker';
import { brook } from '../ops/cliHarness';
import { schedulerOf } from '../../src/scheduled/services';

/** `brook scheduled list|describe|cancel` against a broker with pending schedules. */
describe('brook scheduled (CLI)', function () {
  this.timeout(60_000);
  let broker: TestBroker;
  let conn: string[];

  before(async () => {
    broker = await startTestBroker();
    conn = ['--bootstrap-server', broker.bootstrap];
    const kafka = new Kafka({ brokers: [broker.bootstrap], logLevel: logLevel.NOTHING });
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 'reminders', numPartitions: 2 }, { topic: 'other', numPartitions: 1 }] });
    await admin.disconnect();
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({
      topic: 'reminders',
      messages: [
        { key: 'u1', value: 'call u1', partition: 1, headers: { 'brook-delay-ms': '600000', 'brook-schedule-id': 'r-1' } },
        { key: 'u2', value: 'call u2', partition: 1, headers: { 'brook-delay-ms': '300000' } },
        { key: 'u3', value: 'call u3', partition: 1, headers: { 'brook-delay-ms': '900000' } },
      ],
    });
    await producer.send({ topic: 'other', messages: [{ key: 'x', value: 'x', headers: { 'brook-delay-ms': '600000' } }] });
    await producer.disconnect();
  });

  after(() => broker.destroy());

  it('list shows pending records earliest due first, per topic', async () => {
    const all = await brook(['scheduled', 'list', ...conn, '--json']);
    expect(all.code, all.stderr).to.equal(0);
    const parsed = JSON.parse(all.stdout) as { pending: number; records: Array<{ id: number; key: string; topic: string; partition: number; scheduleId: string | null }> };
    expect(parsed.pending).to.equal(4);
    const mine = await brook(['scheduled', 'list', ...conn, '-t', 'reminders']);
    expect(mine.code).to.equal(0);
    const lines = mine.stdout.trim().split('\n');
    expect(lines[0]).to.match(/^ID\s+DUE\s+TOPIC\s+PARTITION\s+KEY\s+SCHEDULE-ID$/);
    expect(lines.slice(1, 4).map((l) => l.split(/\s+/)[4])).to.deep.equal(['u2', 'u1', 'u3']);
    expect(lines[4]).to.equal('3 pending');
  });

  it('describe shows one; an unknown id is a clear error', async () => {
    const listed = JSON.parse((await brook(['scheduled', 'list', ...conn, '--json', '-t', 'reminders'])).stdout) as { records: Array<{ id: number; key: string }> };
    const u1 = listed.records.find((r) => r.key === 'u1')!;
    const d = await brook(['scheduled', 'describe', ...conn, '--id', String(u1.id)]);
    expect(d.code, d.stderr).to.equal(0);
    const shown = JSON.parse(d.stdout) as { value: string; partition: number; scheduleId: string; headers: Record<string, string> };
    expect(shown).to.include({ value: 'call u1', partition: 1, scheduleId: 'r-1' });
    expect(shown.headers['brook-delay-ms']).to.equal('600000');
    const bad = await brook(['scheduled', 'describe', ...conn, '--id', '999999']);
    expect(bad.code).to.equal(1);
    expect(bad.stderr).to.match(/no pending scheduled record with id 999999/);
  });

  it('cancel by id and by key; cancelling what does not exist fails and changes nothing', async () => {
    const listed = JSON.parse((await brook(['scheduled', 'list', ...conn, '--json', '-t', 'reminders'])).stdout) as { records: Array<{ id: number; key: string }> };
    const u3 = listed.records.find((r) => r.key === 'u3')!;
    const byId = await brook(['scheduled', 'cancel', ...conn, '--id', String(u3.id)]);
    expect(byId.code, byId.stderr).to.equal(0);
    const byKey = await brook(['scheduled', 'cancel', ...conn, '-t', 'reminders', '--key', 'u1', '--schedule-id', 'r-1']);
    expect(byKey.code, byKey.stderr).to.equal(0);
    expect(schedulerOf(broker.services)!.pending).to.equal(2);
    const none = await brook(['scheduled', 'cancel', ...conn, '-t', 'reminders', '--key', 'nobody']);
    expect(none.code).to.equal(1);
    expect(none.stderr).to.match(/nothing cancelled/);
    const again = await brook(['scheduled', 'cancel', ...conn, '--id', String(u3.id)]);
    expect(again.code).to.equal(1);
    expect(schedulerOf(broker.services)!.pending).to.equal(2);
    const left = JSON.parse((await brook(['scheduled', 'list', ...conn, '--json'])).stdout) as { records: Array<{ key: string }> };
    expect(left.records.map((r) => r.key).sort()).to.deep.equal(['u2', 'x']);
  });
});

describe('brook scheduled (CLI) where nothing was ever scheduled', function () {
  this.timeout(60_000);
  let broker: TestBroker;

  before(async () => {
    broker = await startTestBroker();
  });
  after(() => broker.destroy());

  // no __brook_scheduled yet: kafkajs's retry error wraps the UNKNOWN_TOPIC_OR_PARTITION answer
  it('list prints 0 pending (exit 0); cancel says what is missing', async () => {
    const conn = ['--bootstrap-server', broker.bootstrap];
    const table = await brook(['scheduled', 'list', ...conn]);
    expect(table.code, table.stderr).to.equal(0);
    expect(table.stdout.trim().split('\n').pop()).to.equal('0 pending');
    const json = await brook(['scheduled', 'list', ...conn, '--json']);
    expect(json.code, json.stderr).to.equal(0);
    expect(JSON.parse(json.stdout)).to.deep.equal({ pending: 0, records: [] });
    const byId = await brook(['scheduled', 'describe', ...conn, '--id', '0']);
    expect(byId.code).to.equal(1);
    expect(byId.stderr).to.match(/no pending scheduled record with id 0/);
    const cancel = await brook(['scheduled', 'cancel', ...conn, '-t', 'orders', '--key', 'k1']);
    expect(cancel.code).to.equal(1);
    expect(cancel.stderr).to.match(/nothing cancelled: topic "orders" does not exist/);
  });
});
