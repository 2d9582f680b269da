import { expect } from 'chai';
import { StorageError } from '../../storage/errors';
import type { LogManager } from '../../storage/logManager';
import type { AppendResult, AppendSink, PartitionLog } from '../../storage';
import { buildBatch, readAll } from './helpers';
import { managedLogs } from './managedLogs';

/** An AppendSink that records what it was told and when. */
class RecordingSink implements AppendSink {
  results: AppendResult[] = [];
  errors: unknown[] = [];
  private done: () => void = () => undefined;
  readonly settled = new Promise<void>((resolve) => (this.done = resolve));

  appended(result: AppendResult): void {
    this.results.push(result);
    this.done();
  }

  failed(err: unknown): void {
    this.errors.push(err);
    this.done();
  }
}

describe('storage: appends answered through a sink (PartitionLog.appendTo)', () => {
  const logs = managedLogs();
  let dir: string;
  let manager: LogManager;
  let log: PartitionLog;

  beforeEach(async () => {
    dir = logs.newDir();
    manager = await logs.manager(dir);
    log = await manager.create('sink', 0);
  });

  it('answers once per append, never before appendTo returned, in order with promise appends of the same tick', async () => {
    const sinks = [new RecordingSink(), new RecordingSink(), new RecordingSink()];
    log.appendTo(buildBatch([{ value: 'a' }, { value: 'b' }]), { now: 1000 }, sinks[0]!);
    const viaPromise = log.append(buildBatch([{ value: 'c' }]));
    log.appendTo(buildBatch([{ value: 'd' }]), {}, sinks[1]!);
    log.appendTo(buildBatch([{ value: 'e' }, { value: 'f' }, { value: 'g' }]), { leaderEpoch: 7 }, sinks[2]!);
    // the write starts from a microtask, so appends of one tick share it and nothing is answered yet
    expect(sinks.map((s) => s.results.length + s.errors.length)).to.deep.equal([0, 0, 0]);
    await Promise.all(sinks.map((s) => s.settled));
    expect(await viaPromise).to.include({ baseOffset: 2, lastOffset: 2 });
    expect(sinks.map((s) => s.results)).to.deep.equal([
      [{ baseOffset: 0, lastOffset: 1, logAppendTime: -1, logStartOffset: 0 }],
      [{ baseOffset: 3, lastOffset: 3, logAppendTime: -1, logStartOffset: 0 }],
      [{ baseOffset: 4, lastOffset: 6, logAppendTime: -1, logStartOffset: 0 }],
    ]);
    expect(sinks.flatMap((s) => s.errors)).to.deep.equal([]);
    const batches = await readAll(log);
    expect(batches.map((b) => [b.baseOffset, b.lastOffset])).to.deep.equal([
      [0, 1],
      [2, 2],
      [3, 3],
      [4, 6],
    ]);
    expect(batches[3]!.buf.readInt32BE(12)).to.equal(7); // partitionLeaderEpoch stamped
  });

  it('refuses a malformed batch at once with a StorageError, and the log goes on', async () => {
    const bad = new RecordingSink();
    log.appendTo(Buffer.alloc(5), {}, bad);
    expect(bad.errors).to.have.length(1);
    expect(bad.errors[0]).to.be.instanceOf(StorageError);
    const good = new RecordingSink();
    log.appendTo(buildBatch([{ value: 'ok' }]), {}, good);
    await good.settled;
    expect(good.results[0]).to.include({ baseOffset: 0 });
  });

  it('opens an unloaded log first and answers through the sink', async () => {
    await log.append(buildBatch([{ value: 'before' }]));
    await logs.closed(manager);
    manager = await logs.manager(dir);
    const reopened = manager.get('sink', 0)!;
    const sink = new RecordingSink();
    reopened.appendTo(buildBatch([{ value: 'after' }]), {}, sink);
    await sink.settled;
    expect(sink.errors).to.deep.equal([]);
    expect(sink.results[0]).to.include({ baseOffset: 1, lastOffset: 1 });
  });

  it('refuses appends to a closed log through the sink', async () => {
    await logs.closed(manager);
    const sink = new RecordingSink();
    log.appendTo(buildBatch([{ value: 'late' }]), {}, sink);
    await sink.settled;
    expect(sink.results).to.deep.equal([]);
    expect(sink.errors[0]).to.be.instanceOf(StorageError);
  });
});
