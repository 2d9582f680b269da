import { expect } from 'chai';
import { PendingAnswer } from '../../src/handlers/pendingAnswer';
import { ProduceJoin, type PartitionResponse, type TopicResponse } from '../../src/handlers/produceJoin';

function heard<T>(p: PendingAnswer<T>): Array<['answered', T] | ['failed', unknown]> {
  const events: Array<['answered', T] | ['failed', unknown]> = [];
  p.listen({ answered: (a) => events.push(['answered', a]), failed: (e) => events.push(['failed', e]) });
  return events;
}

const ok = (index: number): PartitionResponse => ({ index, errorCode: 0, baseOffset: 0n, logAppendTimeMs: -1n, logStartOffset: 0n, errorMessage: null });
const topic = (name: string, partitions: number): TopicResponse => ({ name, partitionResponses: new Array<PartitionResponse>(partitions) });

describe('PendingAnswer: a handler answer settled without promises', () => {
  it('tells its listener once, whether it settled before or after the listener came', () => {
    const early = new PendingAnswer<number>();
    early.resolve(1);
    early.resolve(2);
    early.reject(new Error('late'));
    expect(heard(early)).to.deep.equal([['answered', 1]]);

    const late = new PendingAnswer<number>();
    const events = heard(late);
    expect(events).to.deep.equal([]);
    const err = new Error('bug');
    late.reject(err);
    late.resolve(3);
    expect(events).to.deep.equal([['failed', err]]);
  });

  it('takes one listener only', () => {
    const p = new PendingAnswer<number>();
    heard(p);
    expect(() => heard(p)).to.throw(/one listener/);
  });

  it('can be awaited by callers that only know promises', async () => {
    const p = new PendingAnswer<string>();
    setImmediate(() => p.resolve('done'));
    expect(await p).to.equal('done');
    const q = new PendingAnswer<string>();
    setImmediate(() => q.reject(new Error('no')));
    let caught: unknown;
    await q.then(undefined, (e: unknown) => (caught = e));
    expect((caught as Error).message).to.equal('no');
  });
});

describe('ProduceJoin: a Produce answer filled in place', () => {
  it('answers at once when every part ended before the handler returned', () => {
    const join = new ProduceJoin(2, false);
    join.openTopic(0, topic('a', 2));
    join.setPartition(0, 1, ok(1));
    join.setPartition(0, 0, ok(0));
    join.setTopic(1, topic('b', 0));
    const out = join.end();
    expect(out).to.not.be.instanceOf(PendingAnswer);
    expect((out as { responses: TopicResponse[] }).responses.map((t) => [t.name, t.partitionResponses!.map((p) => p.index)])).to.deep.equal([
      ['a', [0, 1]],
      ['b', []],
    ]);
  });

  it('settles its pending answer with the last part, a topic still being created included', () => {
    const join = new ProduceJoin(2, false);
    join.openTopic(0, topic('a', 1));
    join.hold(); // topic 1 is being created
    const out = join.end() as PendingAnswer<unknown>;
    expect(out).to.be.instanceOf(PendingAnswer);
    const events = heard(out);
    join.setPartition(0, 0, ok(0));
    join.openTopic(1, topic('new', 1));
    join.done(); // the topic's own part
    expect(events).to.deep.equal([]);
    join.setPartition(1, 0, ok(0));
    expect(events).to.have.length(1);
    expect(events[0]![0]).to.equal('answered');
  });

  it('answers null for acks=0 once every write ended, and fails with the first bug', () => {
    const silent = new ProduceJoin(1, true);
    silent.openTopic(0, topic('a', 1));
    const pending = silent.end() as PendingAnswer<unknown>;
    const events = heard(pending);
    silent.setPartition(0, 0, ok(0));
    expect(events).to.deep.equal([['answered', null]]);

    const broken = new ProduceJoin(1, false);
    broken.openTopic(0, topic('a', 2));
    const first = new Error('first');
    broken.fail(first);
    broken.setPartition(0, 0, ok(0));
    const failed = heard(broken.end() as PendingAnswer<unknown>);
    broken.fail(new Error('second'));
    broken.setPartition(0, 1, ok(1));
    expect(failed).to.deep.equal([['failed', first]]);
  });
});
