/**
 * A topic's deletion reaches only the coordinator serving a group at that moment. Offsets loaded later for a topic
 * that no longer exists (deleted while their `__consumer_offsets` partition was loading or led by no one, or the
 * broker died between the deletion and the tombstones) are tombstoned once the load ends.
 */
import { expect } from 'chai';
import { ManualClock } from '../../src/groups/clock';
import type { CatalogTopic, TopicCatalog } from '../../src/groups/consumerCoordinator';
import { GroupCoordinator } from '../../src/groups/coordinator';
import { MemoryGroupStateLog, type GroupLogRecord } from '../../src/groups/stateLog';
import { decodeGroupRecord } from '../../src/groups/groupRecords';
import { flush } from './helpers';

function mutableCatalog(names: string[]): TopicCatalog & { drop(name: string): void } {
  const byName = new Map<string, CatalogTopic>();
  for (const name of names) {
    const id = Buffer.alloc(16);
    id.write(name.padEnd(16, '_').slice(0, 16));
    byName.set(name, { name, id, partitions: 2 });
  }
  return {
    byName: (n) => byName.get(n),
    byId: (id) => [...byName.values()].find((t) => t.id.equals(id)),
    names: () => [...byName.keys()],
    drop: (n) => void byName.delete(n),
  };
}

/** Groups named `pN-…` live in `__consumer_offsets` partition N. */
const partitionOf = (groupId: string) => Number(/^p(\d+)-/.exec(groupId)?.[1] ?? 0);

/** A log whose per-partition load can be held open, to act while a partition is loading. */
class GatedLog extends MemoryGroupStateLog {
  gate: Promise<void> | null = null;
  loading: (() => void) | null = null;
  override async *load(partitions?: ReadonlySet<number>): AsyncIterable<GroupLogRecord> {
    const snapshot = [...this.records];
    for (const [i, r] of snapshot.entries()) {
      if (i === 1 && this.gate) {
        this.loading?.();
        await this.gate;
      }
      const group = decodeGroupRecord(r, { idOf: () => undefined, nameOf: () => undefined })?.group ?? '';
      if (!partitions || partitions.has(partitionOf(group))) yield r;
    }
  }
}

async function commit(coord: GroupCoordinator, groupId: string, topic: string, offset: number): Promise<void> {
  const res = await coord.commitOffsets({ groupId, generationId: -1, memberId: '', groupInstanceId: null, retentionTimeMs: -1, offsets: [{ topic, partition: 0, offset, leaderEpoch: -1, metadata: null }] });
  expect(res.map((r) => r.errorCode)).to.deep.equal([0]);
}

const committedTopics = (coord: GroupCoordinator, groupId: string) => coord.fetchOffsets(groupId, null).topics.map((t) => t.topic).sort();

describe('groups: offsets of topics that vanished while their groups were not loaded', () => {
  it('a broker restarted after dying between a deletion and its tombstones drops the offsets at start, and writes that down', async () => {
    const log = new MemoryGroupStateLog();
    const before = new GroupCoordinator({ clock: new ManualClock(), log, topics: mutableCatalog(['kept', 'gone']) });
    await before.start();
    await commit(before, 'g', 'kept', 3);
    await commit(before, 'g', 'gone', 10);
    await commit(before, 'h', 'gone', 4);
    // The topic's deletion is in the metadata, but the broker died before forgetTopic ran.
    const after = new GroupCoordinator({ clock: new ManualClock(), log, topics: mutableCatalog(['kept']) });
    await after.start();
    expect(committedTopics(after, 'g')).to.deep.equal(['kept']);
    expect(committedTopics(after, 'h')).to.deep.equal([]);
    // the tombstones are in the log: a coordinator that (wrongly) still knew the topic would not see the offsets
    const third = new GroupCoordinator({ clock: new ManualClock(), log, topics: mutableCatalog(['kept', 'gone']) });
    await third.start();
    expect(committedTopics(third, 'g')).to.deep.equal(['kept']);
    expect(committedTopics(third, 'h')).to.deep.equal([]);
  });

  it('cluster mode: a topic deleted while a partition is loading loses its offsets once the load ends', async () => {
    const log = new GatedLog();
    const topics = mutableCatalog(['kept', 'gone']);
    const writer = new GroupCoordinator({ clock: new ManualClock(), log, topics, partitionOf });
    await writer.start(new Set([0, 1]));
    await commit(writer, 'p1-g', 'kept', 3);
    await commit(writer, 'p1-g', 'gone', 10);
    await commit(writer, 'p0-h', 'gone', 4);

    const coord = new GroupCoordinator({ clock: new ManualClock(), log, topics, partitionOf });
    await coord.start(new Set([0]));
    let release!: () => void;
    log.gate = new Promise<void>((r) => (release = r));
    const loadingNow = new Promise<void>((r) => (log.loading = r));
    const load = coord.loadPartition(1);
    await loadingNow;
    // the deletion arrives mid-load: partition 1's groups are not served here yet, so forgetTopic skips them
    topics.drop('gone');
    await coord.forgetTopic('gone');
    release();
    await load;
    for (let i = 0; i < 10 && committedTopics(coord, 'p1-g').length > 1; i++) await flush();
    expect(committedTopics(coord, 'p1-g')).to.deep.equal(['kept']);
    expect(committedTopics(coord, 'p0-h')).to.deep.equal([]);
  });

  it('a coordinator given no topic catalog keeps every offset (it cannot tell a deleted topic)', async () => {
    const log = new MemoryGroupStateLog();
    const before = new GroupCoordinator({ clock: new ManualClock(), log, topics: mutableCatalog(['kept']) });
    await before.start();
    await commit(before, 'g', 'kept', 3);
    const after = new GroupCoordinator({ clock: new ManualClock(), log });
    await after.start();
    expect(committedTopics(after, 'g')).to.deep.equal(['kept']);
  });
});
