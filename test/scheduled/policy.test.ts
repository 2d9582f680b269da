import { expect } from 'chai';
import { decide, topicPolicy, parseDelays } from '../../src/scheduled/policy';
import { TimerIndex } from '../../src/scheduled/timerIndex';

const h = (o: Record<string, string>) => Object.entries(o).map(([key, v]) => ({ key, value: Buffer.from(v) }));
const NOW = 1_000_000;

describe('scheduled delivery: the policy for headers and retry topics', () => {
  const plain = topicPolicy({});

  it('due times from headers and the topic delay', () => {
    expect(decide('t', h({ 'brook-delay-ms': '2000' }), plain, NOW)).to.deep.equal({ kind: 'schedule', topic: 't', due: NOW + 2000 });
    expect(decide('t', h({ 'brook-deliver-at': String(NOW + 5) }), plain, NOW)).to.deep.equal({ kind: 'schedule', topic: 't', due: NOW + 5 });
    expect(decide('t', h({ 'brook-deliver-at': '5' }), plain, NOW)).to.deep.equal({ kind: 'schedule', topic: 't', due: NOW });
    expect(decide('t', [], topicPolicy({ 'brook.delivery.delay.ms': '700' }), NOW)).to.deep.equal({ kind: 'schedule', topic: 't', due: NOW + 700 });
    expect(decide('t', h({ 'brook-delay-ms': '0' }), topicPolicy({ 'brook.delivery.delay.ms': '700' }), NOW)).to.deep.equal({ kind: 'schedule', topic: 't', due: NOW });
  });

  it('refusals', () => {
    const bad: Array<Record<string, string>> = [{ 'brook-delay-ms': 'x' }, { 'brook-delay-ms': '-1' }, { 'brook-deliver-at': '1e12' }, { 'brook-delay-ms': '1', 'brook-deliver-at': '1' }, { 'brook-delay-ms': '101' }];
    for (const headers of bad) {
      expect(decide('t', h(headers), topicPolicy({ 'brook.delivery.max.delay.ms': '100' }), NOW).kind, JSON.stringify(headers)).to.equal('refuse');
    }
  });

  it('cancels name a schedule id or none', () => {
    expect(decide('t', h({ 'brook-cancel': '' }), plain, NOW)).to.deep.equal({ kind: 'cancel', scheduleId: null, offset: null });
    expect(decide('t', h({ 'brook-cancel': 'x1' }), plain, NOW)).to.deep.equal({ kind: 'cancel', scheduleId: 'x1', offset: null });
    expect(decide('t', h({ 'brook-cancel': '', 'brook-scheduled-offset': '0:17' }), plain, NOW)).to.deep.equal({ kind: 'cancel', scheduleId: null, offset: 17 });
    // an empty brook-cancel on a record that carries its own brook-schedule-id names that id (docs/EXTENSIONS.md)
    expect(decide('t', h({ 'brook-cancel': '', 'brook-schedule-id': 'r1' }), plain, NOW)).to.deep.equal({ kind: 'cancel', scheduleId: 'r1', offset: null });
  });

  it('a retry topic never moves records into an internal topic, even with configs set before that was refused', () => {
    const cases: Array<Record<string, string>> = [{ 'brook.retry.for': '__consumer_offsets' }, { 'brook.retry.for': 'orders', 'brook.retry.delays': '1s', 'brook.retry.dead.letter.topic': '__brook_scheduled' }];
    for (const configs of cases) {
      const d = decide('r', h({ 'brook-attempt': configs['brook.retry.dead.letter.topic'] ? '2' : '1' }), topicPolicy(configs), NOW);
      expect(d.kind, JSON.stringify(configs)).to.equal('refuse');
    }
  });

  it('retry topics: the n-th delay back into the source, then the dead-letter topic; the last brook-attempt header counts', () => {
    const retry = topicPolicy({ 'brook.retry.for': 'orders', 'brook.retry.delays': '1s,2m', 'brook.retry.dead.letter.topic': 'dlq' });
    expect(parseDelays('1s, 2m ,250ms,5')).to.deep.equal([1000, 120_000, 250, 5]);
    expect(decide('r', [], retry, NOW)).to.deep.equal({ kind: 'schedule', topic: 'orders', due: NOW + 1000 });
    expect(decide('r', h({ 'brook-attempt': '2' }), retry, NOW)).to.deep.equal({ kind: 'schedule', topic: 'orders', due: NOW + 120_000 });
    expect(decide('r', [...h({ 'brook-attempt': '1' }), ...h({ 'brook-attempt': '3' })], retry, NOW)).to.deep.equal({ kind: 'schedule', topic: 'dlq', due: NOW, dlq: { reason: 'retries-exhausted', attempts: 2 } });
    expect(decide('r', h({ 'brook-attempt': 'two' }), retry, NOW).kind).to.equal('refuse');
    expect(decide('r', h({ 'brook-attempt': '3' }), topicPolicy({ 'brook.retry.for': 'orders', 'brook.retry.delays': '1s,2m' }), NOW).kind).to.equal('refuse');
  });
});

describe('scheduled delivery: the timer index', () => {
  it('gives due entries earliest first, same due in offset order, skipping resolved ones', () => {
    const idx = new TimerIndex();
    idx.reset(0);
    const dues = [50, 10, 30, 10, 20, 10];
    dues.forEach((d, o) => idx.add(o, d, o));
    idx.resolve(3);
    expect(idx.pending).to.equal(5);
    const t = idx.takeDue(30, 10);
    expect(t.offsets).to.deep.equal([1, 5, 4, 2]);
    expect(idx.nextDue()).to.equal(50);
    t.offsets.forEach((o) => idx.resolve(o));
    expect(idx.pending).to.equal(1);
    expect(idx.lowestPending()).to.equal(0);
  });

  it('holds a million pending entries in a few tens of MB of typed arrays', () => {
    const idx = new TimerIndex();
    idx.reset(0);
    for (let i = 0; i < 1_000_000; i++) idx.add(i, (i * 7919) % 100_000, i);
    expect(idx.bytes).to.be.below(60 << 20);
    let last = -1;
    for (let n = 0; n < 1000; n++) {
      const { dues } = idx.takeDue(Infinity, 1);
      expect(dues[0]!).to.be.at.least(last);
      last = dues[0]!;
    }
  });
});
