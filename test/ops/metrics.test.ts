import { expect } from 'chai';
import * as net from 'node:net';
import { Kafka, logLevel, type Producer } from 'kafkajs';
import { startTestBroker, type TestBroker } from '../helpers/broker';
import { brook } from './cliHarness';
import { scrape } from './promText';
import { eventually } from '../helpers/eventually';
import { ErrorCode } from '../../protocol/errors';
import type { GroupStateLog } from '../../src/groups/stateLog';
import { CoordinatorWriteError } from '../../src/internalTopics/writeErrors';

describe('metrics endpoint', function () {
  let broker: TestBroker;
  let port: number;
  let producer: Producer;
  let b: string[];

  before(async () => {
    broker = await startTestBroker({
      metricsPort: 0,
      config: { 'group.initial.rebalance.delay.ms': '0', 'offsets.topic.num.partitions': '2', 'log.flush.interval.messages': '1' },
    });
    port = broker.httpPort!;
    b = ['--bootstrap-server', broker.bootstrap];
    const kafka = new Kafka({ clientId: 'metrics-test', brokers: [broker.bootstrap], logLevel: logLevel.NOTHING });
    producer = kafka.producer();
    await producer.connect();
  });
  after(async () => {
    await producer?.disconnect();
    await broker?.destroy();
  });

  const series = (name: string, labels: Record<string, string>) =>
    `${name}{${Object.entries(labels).sort(([a], [b]) => a.localeCompare(b)).map(([k, v]) => `${k}="${v}"`).join(',')}}`;

  it('serves Prometheus text, a health check, and no console unless asked', async () => {
    const res = await fetch(`http://127.0.0.1:${port}/metrics`);
    expect(res.status).to.equal(200);
    expect(res.headers.get('content-type')).to.match(/^text\/plain; version=0\.0\.4/);
    const text = await res.text();
    expect(text).to.include('# TYPE brook_request_duration_seconds histogram');
    expect((await fetch(`http://127.0.0.1:${port}/healthz`)).status).to.equal(200);
    const consoleRes = await fetch(`http://127.0.0.1:${port}/`);
    expect(consoleRes.status).to.equal(404);
    expect(await consoleRes.text()).to.include('--console');
  });

  it('counts bytes and messages in and out per partition from produce and fetch traffic', async () => {
    await brook(['topics', 'create', '-t', 'flow', '-p', '2', ...b]);
    const before = await scrape(port);
    const fsyncsBefore = before.get('brook_log_fsync_duration_seconds_count') ?? 0;
    await producer.send({ topic: 'flow', messages: Array.from({ length: 5 }, (_, i) => ({ partition: 0, value: `a${i}` })) });
    await producer.send({ topic: 'flow', messages: Array.from({ length: 3 }, (_, i) => ({ partition: 0, value: `b${i}` })) });
    await producer.send({ topic: 'flow', messages: [{ partition: 1, value: 'c' }] });

    const m = await scrape(port);
    const p0 = { topic: 'flow', partition: '0' };
    expect(m.get(series('brook_partition_messages_in_total', p0))).to.equal(8);
    expect(m.get(series('brook_partition_messages_in_total', { topic: 'flow', partition: '1' }))).to.equal(1);
    // Produced batches are stored as they came, so bytes in equal the log's size.
    const bytesIn = m.get(series('brook_partition_bytes_in_total', p0))!;
    expect(bytesIn).to.be.greaterThan(0);
    expect(m.get(series('brook_log_size_bytes', p0))).to.equal(bytesIn);
    expect(m.get(series('brook_log_end_offset', p0))).to.equal(8);
    expect(m.get(series('brook_log_high_watermark', p0))).to.equal(8);
    expect(m.get(series('brook_log_start_offset', p0))).to.equal(0);
    expect(m.get(series('brook_log_segments', p0))).to.equal(1);
    const producesBefore = before.get(series('brook_requests_total', { api: 'Produce' })) ?? 0;
    expect(m.get(series('brook_requests_total', { api: 'Produce' }))).to.equal(producesBefore + 3);
    expect(m.get(series('brook_request_duration_seconds_count', { api: 'Produce' }))).to.equal(producesBefore + 3);
    expect(m.get(series('brook_request_duration_seconds_bucket', { api: 'Produce', le: '+Inf' }))).to.equal(producesBefore + 3);
    // flush.messages=1: appends are followed by a (background) sync, and each sync is timed.
    await eventually(async () => {
      const x = await scrape(port);
      expect(x.get('brook_log_fsync_duration_seconds_count')!).to.be.at.least(fsyncsBefore + 1);
      return x;
    }, 'an fsync counted', 5000);
    expect(m.has(series('brook_partition_messages_out_total', p0))).to.equal(false);

    const r = await brook(['consume', '-t', 'flow', '--partition', '0', '--offset', 'earliest', '--max-messages', '8', ...b]);
    expect(r.code, r.stderr).to.equal(0);
    const after = await scrape(port);
    expect(after.get(series('brook_partition_messages_out_total', p0))).to.equal(8);
    expect(after.get(series('brook_partition_bytes_out_total', p0))).to.equal(bytesIn);
    expect(after.get(series('brook_requests_total', { api: 'Fetch' }))!).to.be.at.least(1);
  });

  it('tracks open connections', async () => {
    const base = (await scrape(port)).get('brook_connections')!;
    const accepted = (await scrape(port)).get('brook_connections_accepted_total')!;
    const sock = net.connect(broker.port, '127.0.0.1');
    await new Promise<void>((r) => sock.once('connect', () => r()));
    const open = await eventually(async () => {
      const m = await scrape(port);
      expect(m.get('brook_connections')).to.equal(base + 1);
      return m;
    }, 'the connection counted', 5000);
    expect(open.get('brook_connections_accepted_total')).to.equal(accepted + 1);
    sock.destroy();
    await eventually(async () => {
      const m = await scrape(port);
      expect(m.get('brook_connections')).to.equal(base);
      return m;
    }, 'the connection gone from the gauge', 5000);
  });

  it('reports consumer group lag and committed offsets', async () => {
    await brook(['topics', 'create', '-t', 'lagging', '-p', '1', ...b]);
    await producer.send({ topic: 'lagging', messages: Array.from({ length: 10 }, (_, i) => ({ value: `m${i}` })) });
    const r = await brook(['consume', '-t', 'lagging', '--group', 'slow', '--from-beginning', '--max-messages', '4', ...b]);
    expect(r.code, r.stderr).to.equal(0);
    const key = { group: 'slow', topic: 'lagging', partition: '0' };
    let m = await scrape(port);
    expect(m.get(series('brook_consumer_group_committed_offset', key))).to.equal(4);
    expect(m.get(series('brook_consumer_group_lag', key))).to.equal(6);
    expect(m.get(series('brook_consumer_group_members', { group: 'slow', state: 'Empty' }))).to.equal(0);

    await producer.send({ topic: 'lagging', messages: [{ value: 'more' }, { value: 'and more' }] });
    m = await scrape(port);
    expect(m.get(series('brook_consumer_group_lag', key))).to.equal(8);
  });

  it('exports process memory and event-loop lag', async () => {
    const m = await scrape(port);
    expect(m.get('process_resident_memory_bytes')!).to.be.greaterThan(1024 * 1024);
    expect(m.get(series('nodejs_heap_size_used_bytes', {}).replace('{}', ''))!).to.be.greaterThan(0);
    expect(m.has('nodejs_eventloop_lag_seconds')).to.equal(true);
    expect(m.has('nodejs_eventloop_lag_p99_seconds')).to.equal(true);
  });

  it('counts failed coordinator writes per coordinator and operation', async () => {
    const groups = broker.services.groups!;
    // Fault injection: the next append to __consumer_offsets fails as a lost leadership would.
    const log = (groups as unknown as { stateLog: GroupStateLog }).stateLog;
    const append = log.append.bind(log);
    log.append = () => {
      log.append = append;
      return Promise.reject(new CoordinatorWriteError(ErrorCode.NOT_LEADER_OR_FOLLOWER, 'injected'));
    };
    const commit = () => groups.commitOffsets({ groupId: 'failing', generationId: -1, memberId: '', groupInstanceId: null, retentionTimeMs: -1, offsets: [{ topic: 't', partition: 0, offset: 3, leaderEpoch: -1, metadata: null }] });
    expect((await commit())[0].errorCode).to.equal(ErrorCode.NOT_COORDINATOR);
    let m = await scrape(port);
    expect(m.get(series('brook_coordinator_write_failures_total', { coordinator: 'group', operation: 'offset-commit' }))).to.equal(1);
    expect((await commit())[0].errorCode).to.equal(ErrorCode.NONE);
    m = await scrape(port);
    expect(m.get(series('brook_coordinator_write_failures_total', { coordinator: 'group', operation: 'offset-commit' }))).to.equal(1);
  });

  it('drops the series of a deleted topic', async () => {
    await brook(['topics', 'create', '-t', 'doomed', '-p', '1', ...b]);
    await producer.send({ topic: 'doomed', messages: [{ value: 'x' }] });
    expect((await scrape(port)).get(series('brook_partition_messages_in_total', { topic: 'doomed', partition: '0' }))).to.equal(1);
    expect((await brook(['topics', 'delete', '-t', 'doomed', ...b])).code).to.equal(0);
    await eventually(async () => {
      const m = await scrape(port);
      expect(m.has(series('brook_partition_messages_in_total', { topic: 'doomed', partition: '0' }))).to.equal(false);
      expect(m.has(series('brook_log_size_bytes', { topic: 'doomed', partition: '0' }))).to.equal(false);
      return m;
    }, "the deleted topic's series gone", 5000);
  });
});

describe('metrics options', () => {
  it('refuses --console without a metrics port', async () => {
    let failed: unknown = null;
    try {
      const b = await startTestBroker({ console: true, config: { 'offsets.topic.num.partitions': '1' } });
      await b.destroy();
    } catch (err) {
      failed = err;
    }
    expect(String(failed)).to.include('--metrics-port');
  });

  it('has no HTTP server when metrics are off', async () => {
    const b = await startTestBroker({ config: { 'offsets.topic.num.partitions': '1' } });
    try {
      expect(b.httpPort).to.equal(null);
      expect(b.services.observer).to.equal(undefined);
    } finally {
      await b.destroy();
    }
  });
});
