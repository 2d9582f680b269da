import { expect } from 'chai';
import { readFileSync, rmSync, readdirSync } from 'node:fs';
import * as path from 'node:path';
import { ErrorCode } from '../../protocol/errors';
import { LocalMetadataService, METADATA_FILE } from '../../src/metadata/localMetadataService';
import { topicNameProblem } from '../../src/metadata/topicName';
import { MetadataError, type MetadataEvent } from '../../src/metadata/types';
import { tempDataDir } from '../helpers/tempDir';
import { eventually } from '../helpers/eventually';

const self = { nodeId: 3, host: '127.0.0.1', port: 9092, rack: null };

async function rejectsWith(p: Promise<unknown>, code: number): Promise<void> {
  try {
    await p;
  } catch (err) {
    expect(err).to.be.instanceOf(MetadataError);
    expect((err as MetadataError).errorCode).to.equal(code);
    return;
  }
  expect.fail(`expected MetadataError ${code}`);
}

describe('LocalMetadataService', () => {
  let dir: string;
  beforeEach(() => {
    dir = tempDataDir();
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('creates topics with ids and default partitions, and reloads them after a restart', async () => {
    const a = await LocalMetadataService.open({ dataDir: dir, self, defaultPartitions: 2 });
    expect(a.clusterId).to.match(/^[A-Za-z0-9_-]{22}$/);
    expect(a.controllerId).to.equal(3);
    const t = await a.createTopic('orders', { configs: { 'retention.ms': '1000' } });
    expect(t.partitions).to.equal(2);
    expect(t.id.length).to.equal(16);
    expect(t.id.equals(Buffer.alloc(16))).to.equal(false);
    await a.createTopic('__internal', { partitions: 1, internal: true });
    await a.createTopic('__user_topic', { partitions: 1 });
    await a.close();

    const b = await LocalMetadataService.open({ dataDir: dir, self, defaultPartitions: 5 });
    expect(b.clusterId).to.equal(a.clusterId);
    const again = b.topic('orders')!;
    expect(again.id.equals(t.id)).to.equal(true);
    expect(again.partitions).to.equal(2);
    expect(again.configs).to.deep.equal({ 'retention.ms': '1000' });
    expect(b.topicById(t.id)!.name).to.equal('orders');
    expect(b.topic('__internal')!.internal).to.equal(true);
    // Only the broker's own topics are internal; a user may name a topic with underscores.
    expect(b.topic('__user_topic')!.internal).to.equal(false);
    expect(b.topics().map((x) => x.name).sort()).to.deep.equal(['__internal', '__user_topic', 'orders']);
  });

  it('refuses duplicates, bad names and bad partition counts with Kafka error codes', async () => {
    const m = await LocalMetadataService.open({ dataDir: dir, self, defaultPartitions: 1 });
    await m.createTopic('t');
    await rejectsWith(m.createTopic('t'), ErrorCode.TOPIC_ALREADY_EXISTS);
    await rejectsWith(m.createTopic('bad name'), ErrorCode.INVALID_TOPIC_EXCEPTION);
    await rejectsWith(m.createTopic('..'), ErrorCode.INVALID_TOPIC_EXCEPTION);
    await rejectsWith(m.createTopic('z', { partitions: 0 }), ErrorCode.INVALID_PARTITIONS);
    await rejectsWith(m.addPartitions('t', 1), ErrorCode.INVALID_PARTITIONS);
    await rejectsWith(m.deleteTopic('nope'), ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
  });

  it('shares one creation among concurrent ensureTopic calls', async () => {
    const m = await LocalMetadataService.open({ dataDir: dir, self, defaultPartitions: 1 });
    const events: MetadataEvent[] = [];
    m.onChange((e) => {
      events.push(e);
    });
    const all = await Promise.all([m.ensureTopic('x'), m.ensureTopic('x'), m.ensureTopic('x'), m.createTopic('x').catch(() => null)]);
    const ids = new Set(all.filter((t) => t !== null).map((t) => t!.id.toString('hex')));
    expect(ids.size).to.equal(1);
    expect(events.filter((e) => e.type === 'topic-created')).to.have.length(1);
  });

  it('persists partition additions, config changes and deletions, and emits events', async () => {
    const m = await LocalMetadataService.open({ dataDir: dir, self, defaultPartitions: 1 });
    const events: string[] = [];
    m.onChange((e) => {
      events.push(e.type);
    });
    await m.createTopic('t', { configs: { a: '1', b: '2' } });
    await m.addPartitions('t', 4);
    await m.alterTopicConfigs('t', { a: null, c: '3' });
    await m.createTopic('gone');
    await m.deleteTopic('gone');
    expect(events).to.deep.equal(['topic-created', 'partitions-added', 'configs-altered', 'topic-created', 'topic-deleted']);
    const stored = JSON.parse(readFileSync(path.join(dir, METADATA_FILE), 'utf8'));
    expect(stored.topics).to.have.length(1);
    expect(stored.topics[0]).to.include({ name: 't', partitions: 4 });
    expect(stored.topics[0].configs).to.deep.equal({ b: '2', c: '3' });
    // Atomic writes leave no temp files behind.
    expect(readdirSync(dir).filter((n) => n.includes('.tmp'))).to.deep.equal([]);
  });

  it('resolves a change only after async listeners settled, and orders later changes after them', async () => {
    const m = await LocalMetadataService.open({ dataDir: dir, self, defaultPartitions: 1 });
    const trace: string[] = [];
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    m.onChange(async (e) => {
      trace.push(`start ${e.type}`);
      if (e.type === 'topic-created') await gate;
      trace.push(`end ${e.type}`);
    });
    // A failing listener does not fail the change.
    m.onChange(() => {
      throw new Error('listener bug');
    });
    const created = m.createTopic('slow').then(() => trace.push('created'));
    const deleted = m.deleteTopic('slow').then(() => trace.push('deleted'));
    await eventually(() => trace.length > 0, 'the listener called', { ms: 5000, intervalMs: 1 });
    // The creation is durable, but neither the create nor the queued delete has resolved while the listener works.
    expect(trace).to.deep.equal(['start topic-created']);
    release();
    await Promise.all([created, deleted]);
    expect(trace).to.deep.equal(['start topic-created', 'end topic-created', 'created', 'start topic-deleted', 'end topic-deleted', 'deleted']);
  });

  it('keeps a configured cluster id and refuses a data dir of another cluster', async () => {
    const m = await LocalMetadataService.open({ dataDir: dir, self, defaultPartitions: 1, clusterId: 'cluster-A' });
    expect(m.clusterId).to.equal('cluster-A');
    let failed = false;
    try {
      await LocalMetadataService.open({ dataDir: dir, self, defaultPartitions: 1, clusterId: 'cluster-B' });
    } catch (err) {
      failed = true;
      expect((err as Error).message).to.match(/cluster-A/);
    }
    expect(failed).to.equal(true);
  });

  it('applies Kafka topic name rules', () => {
    expect(topicNameProblem('a.b_c-1')).to.equal(null);
    expect(topicNameProblem('')).to.match(/empty/);
    expect(topicNameProblem('x'.repeat(250))).to.match(/249/);
    expect(topicNameProblem('x'.repeat(249))).to.equal(null);
    expect(topicNameProblem('a/b')).to.match(/only contain/);
  });
});
