import { expect } from 'chai';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { LogManager } from '../../storage';
import { SNAPSHOT_SUFFIX } from '../../storage/producerSnapshots';
import { buildBatch, removeDir, tempDir } from '../storage/helpers';

/** End offset of the newest snapshot (they are named by it). */
function snapshotEnd(dir: string): number | null {
  const names = fs.readdirSync(dir).filter((n) => n.endsWith(SNAPSHOT_SUFFIX)).sort();
  if (names.length === 0) return null;
  const newest = names[names.length - 1]!;
  const end = (JSON.parse(fs.readFileSync(path.join(dir, newest), 'utf8')) as { endOffset: number }).endOffset;
  expect(Number(newest.slice(0, 20)), 'file named by the offset it covers').to.equal(end);
  return end;
}

async function appendPlain(log: { append(b: Buffer): Promise<unknown> }, n: number): Promise<void> {
  for (let i = 0; i < n; i++) await log.append(buildBatch([{ value: `v${i}` }]));
}

/**
 * A log whose producer state was never loaded still gets a snapshot at clean
 * shutdown when its state is known without reading it, so the first
 * read_committed fetch after a restart does not replay the whole log.
 */
describe('producer-state snapshots of logs no idempotent producer touched', () => {
  let dir: string;
  beforeEach(() => {
    dir = tempDir('brook-snapshot-');
  });
  afterEach(() => removeDir(dir));

  // every append counts as worth a snapshot here; the default threshold is tested below
  async function open(producerSnapshotAfterBytes = 0): Promise<LogManager> {
    const m = new LogManager({ dataDir: dir, schedulerIntervalMs: 0, producerSnapshotAfterBytes });
    await m.open();
    return m;
  }

  it('snapshots a log created this run, then carries the snapshot across clean restarts', async () => {
    let m = await open();
    let log = await m.create('plain', 0);
    await appendPlain(log, 5);
    await log.producerState.snapshot();
    await m.close();
    expect(snapshotEnd(log.dir)).to.equal(5);

    m = await open();
    log = m.get('plain', 0)!;
    await appendPlain(log, 3);
    await log.producerState.snapshot();
    await m.close();
    expect(snapshotEnd(log.dir), 'carried forward to the new log end').to.equal(8);

    // and the state loaded from it is the empty one, with nothing left to replay
    m = await open();
    log = m.get('plain', 0)!;
    const table = await log.producerState.table();
    expect([...table.entries()]).to.deep.equal([]);
    expect(table.lastStableOffset(log.highWatermark)).to.equal(8);
    await m.close();
  });

  it('carries nothing when the snapshot covers less than the log found at start (after a crash)', async () => {
    let m = await open();
    let log = await m.create('crashy', 0);
    await appendPlain(log, 2);
    await log.producerState.snapshot();
    // batches written after the last snapshot, as if the broker then died without one
    await log.append(buildBatch([{ value: 'idempotent' }], { producerId: 42, baseTimestamp: Date.now() }));
    await m.close();
    expect(snapshotEnd(log.dir)).to.equal(2);

    m = await open();
    log = m.get('crashy', 0)!;
    await appendPlain(log, 1);
    await log.producerState.snapshot();
    expect(snapshotEnd(log.dir), 'an unloaded log with unknown batches keeps its old snapshot').to.equal(2);
    // loading replays from the snapshot and finds the producer written after it
    const table = await log.producerState.table();
    expect([...table.entries()].map((e) => e.producerId)).to.deep.equal([42n]);
    await log.producerState.snapshot();
    expect(snapshotEnd(log.dir), 'a loaded table snapshots the whole log').to.equal(4);
    await m.close();
  });

  it('snapshots a log that was empty at start', async () => {
    let m = await open();
    await m.create('empty', 0);
    await m.close();
    m = await open();
    const log = m.get('empty', 0)!;
    await appendPlain(log, 4);
    await log.producerState.snapshot();
    expect(snapshotEnd(log.dir)).to.equal(4);
    await m.close();
  });

  it('with the default threshold a shutdown writes no snapshot for a few producer-free appends, and the state still loads', async () => {
    let m = await open(1024 * 1024);
    let log = await m.create('few', 0);
    await appendPlain(log, 3);
    await log.producerState.snapshot();
    expect(log.producerState.changedSinceSnapshot).to.equal(false);
    await m.close();
    expect(snapshotEnd(log.dir), 'nothing changed: no file').to.equal(null);

    m = await open(1024 * 1024);
    log = m.get('few', 0)!;
    // the produce path loads the table before an idempotent batch
    await log.producerState.table();
    expect(log.producerState.changedSinceSnapshot, 'loading replayed only producer-free batches').to.equal(false);
    await log.append(buildBatch([{ value: 'idempotent' }], { producerId: 7, baseTimestamp: Date.now() }));
    expect(log.producerState.changedSinceSnapshot, 'an idempotent append changes the state').to.equal(true);
    await log.producerState.snapshot();
    expect(snapshotEnd(log.dir)).to.equal(4);
    expect(log.producerState.changedSinceSnapshot).to.equal(false);
    await appendPlain(log, 2);
    expect(log.producerState.changedSinceSnapshot, 'producer-free appends change nothing').to.equal(false);
    await m.close();

    m = await open(1024 * 1024);
    log = m.get('few', 0)!;
    const table = await log.producerState.table();
    expect([...table.entries()].map((e) => e.producerId)).to.deep.equal([7n]);
    expect(log.producerState.lastLoadStats?.snapshotOffset).to.equal(4);
    await m.close();
  });
});
