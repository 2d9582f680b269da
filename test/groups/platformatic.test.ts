import { expect } from 'chai';
import { Consumer, Producer, stringDeserializers, stringSerializers, type ConsumerOptions } from '@platformatic/kafka';
import { startTestBroker, type TestBroker } from '../helpers/broker';
import { eventually } from '../helpers/eventually';

type StringConsumer = Consumer<string, string, string, string>;
interface Member {
  consumer: StringConsumer;
  values: string[];
  /** Completed fetches of the member's stream. */
  fetches: () => number;
  close(): Promise<void>;
}

describe('consumer groups with @platformatic/kafka', function () {
  this.timeout(90_000);
  let broker: TestBroker;
  let producer: Producer<string, string, string, string>;
  const members: Member[] = [];

  beforeEach(async () => {
    broker = await startTestBroker({
      config: {
        'num.partitions': '6',
        'group.initial.rebalance.delay.ms': '0',
        'group.min.session.timeout.ms': '1000',
        'group.consumer.heartbeat.interval.ms': '300',
        'group.consumer.session.timeout.ms': '3000',
      },
    });
    producer = new Producer({ clientId: 'producer', bootstrapBrokers: [broker.bootstrap], serializers: stringSerializers, autocreateTopics: true });
  });

  afterEach(async () => {
    await Promise.all(members.splice(0).map((m) => m.close().catch(() => undefined)));
    await producer.close();
    await broker.destroy();
  });

  async function send(topic: string, values: string[]): Promise<void> {
    await producer.send({ messages: values.map((v, i) => ({ topic, key: `k${i}`, value: v })) });
  }

  async function join(groupId: string, topic: string, extra: Partial<ConsumerOptions<string, string, string, string>> = {}): Promise<Member> {
    const consumer: StringConsumer = new Consumer({
      groupId, clientId: `${groupId}-${members.length}`, bootstrapBrokers: [broker.bootstrap],
      deserializers: stringDeserializers, maxWaitTime: 200, ...extra,
    });
    const values: string[] = [];
    const stream = await consumer.consume({ topics: [topic], mode: 'committed', fallbackMode: 'earliest', autocommit: 100 });
    stream.on('data', (m) => void values.push(m.value));
    let fetches = 0;
    stream.on('fetch', () => void fetches++);
    const member = {
      consumer, values, fetches: () => fetches,
      async close() {
        await stream.close();
        await consumer.close(true);
      },
    };
    members.push(member);
    return member;
  }

  it('KIP-848: two members get a 3/3 server-side split and read each message once', async () => {
    await send('k848', ['first']);
    const a = await join('new-protocol', 'k848', { groupProtocol: 'consumer' });
    const b = await join('new-protocol', 'k848', { groupProtocol: 'consumer' });
    const coord = () => broker.services.groups!;
    await eventually(() => {
      const d = coord().describeConsumerGroup('new-protocol');
      return d.state === 'Stable' && d.members.length === 2 &&
        d.members.every((m) => m.assignment.reduce((n, tp) => n + tp.partitions.length, 0) === 3);
    }, 'a stable 3/3 group', 30_000);
    // The client applies the split on its side; a fetch it sent before the revocation may still be in
    // flight (the client does not drop its records), so wait until each member completed two fetches since.
    await eventually(() =>
      [a, b].every((m) => (m.consumer.assignments ?? []).reduce((n, t) => n + t.partitions.length, 0) === 3), 'clients to apply the split', 30_000);
    const since = [a.fetches(), b.fetches()];
    await eventually(() => a.fetches() >= since[0] + 2 && b.fetches() >= since[1] + 2, 'fresh fetches', 30_000);
    const values = Array.from({ length: 60 }, (_, i) => `n-${i}`);
    await send('k848', values);
    await eventually(() => values.every((v) => a.values.includes(v) || b.values.includes(v)), 'all 60 read', 30_000);
    const all = [...a.values, ...b.values].filter((v) => v !== 'first');
    expect(all.sort()).to.deep.equal([...values].sort());
    expect(a.values.length).to.be.greaterThan(0);
    expect(b.values.length).to.be.greaterThan(0);
  });

  it('KIP-848: when one member leaves, the other takes over its partitions and nothing is lost', async () => {
    await send('handover', ['first']);
    const a = await join('handover-group', 'handover', { groupProtocol: 'consumer' });
    const b = await join('handover-group', 'handover', { groupProtocol: 'consumer' });
    const coord = () => broker.services.groups!;
    await eventually(() => {
      const d = coord().describeConsumerGroup('handover-group');
      return d.state === 'Stable' && d.members.length === 2 && d.members.every((m) => m.assignment.length > 0);
    }, 'two members stable', 30_000);
    await b.close();
    members.splice(members.indexOf(b), 1);
    await eventually(() => {
      const d = coord().describeConsumerGroup('handover-group');
      return d.members.length === 1 && d.members[0].assignment.reduce((n, tp) => n + tp.partitions.length, 0) === 6;
    }, 'a alone owning all six partitions', 30_000);
    const values = Array.from({ length: 30 }, (_, i) => `h-${i}`);
    await send('handover', values);
    await eventually(() => values.every((v) => a.values.includes(v)), 'a to read everything sent after the handover', 30_000);
  });

  it('KIP-848: a member survives a Brook restart (same port) with its epoch and resumes after its commits', async () => {
    const before = Array.from({ length: 30 }, (_, i) => `r-${i}`);
    await send('restart', before);
    const a = await join('restart-group', 'restart', { groupProtocol: 'consumer' });
    await eventually(() => before.every((v) => a.values.includes(v)), 'first 30 read', 30_000);
    const coord = () => broker.services.groups!;
    await eventually(() => {
      const t = coord().fetchOffsets('restart-group', null).topics[0];
      return !!t && t.partitions.reduce((n, p) => n + p.offset, 0) === 30;
    }, 'offsets committed', 30_000);
    const epoch = coord().describeConsumerGroup('restart-group').members[0].memberEpoch;
    await producer.close();
    const { dataDir, port } = broker;
    await broker.close();
    broker = await startTestBroker({ dataDir, port, config: { 'num.partitions': '6', 'group.consumer.heartbeat.interval.ms': '300' } });
    producer = new Producer({ clientId: 'producer', bootstrapBrokers: [broker.bootstrap], serializers: stringSerializers });
    const d = coord().describeConsumerGroup('restart-group');
    expect(d.members.map((m) => m.memberEpoch)).to.deep.equal([epoch]);
    const after = Array.from({ length: 10 }, (_, i) => `s-${i}`);
    await send('restart', after);
    await eventually(() => after.every((v) => a.values.includes(v)), 'the 10 sent after the restart', 30_000);
    expect([...a.values].sort()).to.deep.equal([...before, ...after].sort());
    expect(coord().describeConsumerGroup('restart-group').members).to.have.length(1);
  });

  it('classic protocol: a new consumer in the group resumes after the committed offsets', async () => {
    const first = Array.from({ length: 30 }, (_, i) => `c-${i}`);
    await send('classic-resume', first);
    const a = await join('classic-group', 'classic-resume', { sessionTimeout: 6000, heartbeatInterval: 500 });
    await eventually(() => first.every((v) => a.values.includes(v)), 'first 30 read', 30_000);
    // autocommit every 100 ms: wait until the committed offsets cover everything read.
    const coord = () => broker.services.groups!;
    await eventually(() => {
      const t = coord().fetchOffsets('classic-group', null).topics[0];
      return !!t && t.partitions.reduce((n, p) => n + p.offset, 0) === 30;
    }, 'offsets committed', 30_000);
    await a.close();
    members.splice(members.indexOf(a), 1);
    const more = Array.from({ length: 20 }, (_, i) => `d-${i}`);
    await send('classic-resume', more);
    const b = await join('classic-group', 'classic-resume', { sessionTimeout: 6000, heartbeatInterval: 500 });
    await eventually(() => more.every((v) => b.values.includes(v)), 'the next 20 read', 30_000);
    // One marker per partition: once b has read all six, it has read anything it would read again before them.
    const markers = Array.from({ length: 6 }, (_, partition) => `marker-${partition}`);
    await producer.send({ messages: markers.map((value, partition) => ({ topic: 'classic-resume', partition, key: value, value })) });
    await eventually(() => markers.every((m) => b.values.includes(m)), 'the markers read', 30_000);
    expect(b.values.filter((v) => !markers.includes(v)).sort()).to.deep.equal([...more].sort());
  });
});
