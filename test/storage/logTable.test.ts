import { expect } from 'chai';
import { LogTable, logKey } from '../../storage/logTable';
import type { PartitionLog } from '../../storage/partitionLog';

/** Only what LogTable reads of a log: its topic and partition. */
function log(topic: string, partition: number): PartitionLog {
  return { topic, partition } as PartitionLog;
}

describe('LogTable: logs by key, looked up by topic and partition', () => {
  it('finds what was set, under the key and by topic and partition', () => {
    const t = new LogTable();
    const a = log('orders', 0);
    const b = log('orders', 7);
    const c = log('orders\u00001', 2);
    t.set(logKey('orders', 0), a).set(logKey('orders', 7), b).set(logKey(c.topic, 2), c);
    expect(t.lookup('orders', 0)).to.equal(a);
    expect(t.lookup('orders', 7)).to.equal(b);
    expect(t.lookup('orders', 1)).to.equal(undefined);
    expect(t.lookup('orders\u00001', 2)).to.equal(c);
    expect(t.lookup('other', 0)).to.equal(undefined);
    expect(t.get(logKey('orders', 7))).to.equal(b);
    expect(t.size).to.equal(3);
  });

  it('a replaced log is the one found; deleting by key (as the directory listing does) removes it from lookups', () => {
    const t = new LogTable();
    const first = log('t', 3);
    const second = log('t', 3);
    t.set(logKey('t', 3), first);
    t.set(logKey('t', 3), second);
    expect(t.lookup('t', 3)).to.equal(second);
    for (const [k] of t) t.delete(k);
    expect(t.lookup('t', 3)).to.equal(undefined);
    expect(t.delete(logKey('t', 3))).to.equal(false);
    expect(t.size).to.equal(0);
  });

  it('clear empties both', () => {
    const t = new LogTable();
    t.set(logKey('t', 0), log('t', 0));
    t.clear();
    expect(t.lookup('t', 0)).to.equal(undefined);
    expect([...t.values()]).to.deep.equal([]);
  });
});
