import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { iterateBatches } from '../../protocol/records';
import { LogManager } from '../../storage';
import { GroupCoordinator } from '../../src/groups/coordinator';
import { OFFSETS_TOPIC } from '../../src/groups/offsetsTopicRecords';
import { OffsetsTopicLog } from '../../src/groups/offsetsTopicLog';
import { PartitionWriter } from '../../src/replication/partitionWriter';
import type { CreateTopicOptions, TopicInfo } from '../../src/metadata/types';

function fakeMetadata() {
  const topics = new Map<string, TopicInfo>();
  return {
    created: [] as string[],
    topic: (name: string) => topics.get(name),
    // single broker: no partition states, this broker leads everything
    partitionState: () => undefined,
    self: () => ({ nodeId: 0, host: '127.0.0.1', port: 0, rack: null }),
    async ensureTopic(name: string, opts?: CreateTopicOptions): Promise<TopicInfo> {
      let t = topics.get(name);
      if (!t) {
        t = { name, id: Buffer.alloc(16, 1), partitions: opts?.partitions ?? 1, configs: opts?.configs ?? {}, internal: !!opts?.internal };
        topics.set(name, t);
        this.created.push(name);
      }
      return t;
    },
  };
}

describe('__consumer_offsets on the storage engine', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'brook-groups-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  async function open(metadata = fakeMetadata()) {
    const logs = new LogManager({ dataDir: dir });
    await logs.open();
    const log = new OffsetsTopicLog({ metadata, logs, partitions: 4, writer: new PartitionWriter({ metadata }), writeTimeoutMs: 5000 });
    await log.open();
    const coord = new GroupCoordinator({ log });
    await coord.start();
    return { logs, log, coord, metadata };
  }

  it('creates the compacted internal topic on first use and resumes committed offsets after a restart', async () => {
    const metadata = fakeMetadata();
    const first = await open(metadata);
    expect(metadata.created).to.deep.equal([]);
    for (const [group, offset] of [['g1', 10], ['g2', 20], ['g1', 11], ['g3', 30]] as const) {
      const r = await first.coord.commitOffsets({
        groupId: group, generationId: -1, memberId: '', groupInstanceId: null, retentionTimeMs: -1,
        offsets: [{ topic: 't', partition: 0, offset, leaderEpoch: 0, metadata: `m${offset}` }],
      });
      expect(r[0].errorCode).to.equal(0);
      expect(metadata.created).to.deep.equal([OFFSETS_TOPIC]);
      expect(first.log.partitionCount).to.equal(4);
    }
    await first.coord.deleteGroup('g3');
    first.coord.stop();
    await first.logs.close();

    const second = await open(metadata);
    const read = (g: string) => second.coord.fetchOffsets(g, [{ topic: 't', partitions: [0] }]).topics[0].partitions[0];
    expect(read('g1')).to.include({ offset: 11, metadata: 'm11' });
    expect(read('g2')).to.include({ offset: 20, metadata: 'm20' });
    expect(read('g3').offset).to.equal(-1);
    second.coord.stop();
    await second.logs.close();
  });

  it('coalesces concurrent commits into few appends, all acknowledged and all reloaded', async () => {
    const metadata = fakeMetadata();
    const first = await open(metadata);
    const commits = [];
    for (let i = 0; i < 500; i++) {
      commits.push(first.coord.commitOffsets({
        groupId: 'busy', generationId: -1, memberId: '', groupInstanceId: null, retentionTimeMs: -1,
        offsets: [{ topic: 't', partition: i % 10, offset: i, leaderEpoch: -1, metadata: null }],
      }));
    }
    const results = await Promise.all(commits);
    expect(results.every((r) => r[0].errorCode === 0)).to.equal(true);
    let total = 0;
    for (const { topic, log } of first.logs.partitions()) if (topic === OFFSETS_TOPIC) total += log.logEndOffset;
    expect(total).to.equal(500);
    let batches = 0;
    for (const { topic, log } of first.logs.partitions()) {
      if (topic !== OFFSETS_TOPIC || log.logEndOffset === 0) continue;
      const res = await log.read(0, 1 << 24);
      batches += [...iterateBatches(Buffer.concat(res.chunks))].length;
    }
    // The first commit goes alone; the 499 queued behind it share a handful of batches.
    expect(batches).to.be.within(1, 10);
    first.coord.stop();
    await first.logs.close();
    const second = await open(metadata);
    const offsets = second.coord.fetchOffsets('busy', null).topics[0].partitions.map((p) => [p.partition, p.offset]).sort((a, b) => a[0] - b[0]);
    expect(offsets).to.deep.equal(Array.from({ length: 10 }, (_, p) => [p, 490 + p]));
    second.coord.stop();
    await second.logs.close();
  });
});
