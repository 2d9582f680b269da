import { expect } from 'chai';
import { eventually } from '../../helpers/eventually';
import { shareStartOffset } from './admin';
import type { RunningShareClient } from './shareClient';

/**
 * What a consume-mode share client had when its broker was killed: the offsets whose acknowledgement the broker
 * answered (ACK lines come only after the answer), and those it received without such an answer. The latter are in
 * doubt: the broker may have written their acknowledgement without answering it, so they may come back or not.
 */
export function atCrash(worker: RunningShareClient): { answered: Set<number>; inDoubt: Set<number> } {
  const answered = new Set(worker.acks.map((a) => a.offset));
  const inDoubt = new Set(worker.messages.map((m) => m.offset).filter((o) => !answered.has(o)));
  return { answered, inDoubt };
}

/**
 * After the restart: waits until the share-partition's start offset reached `end` (every record settled) and the
 * new consumer `after` reported as accepted each of `records` neither answered nor in doubt at the crash (its ACK
 * lines follow the broker's settling). On a timeout the assertion names what is missing.
 */
export async function awaitSettledAcrossCrash(o: {
  port: number;
  group: string;
  topic: string;
  records: number[];
  end: bigint;
  crash: { answered: Set<number>; inDoubt: Set<number> };
  after: RunningShareClient;
}): Promise<void> {
  const owed = o.records.filter((r) => !o.crash.answered.has(r) && !o.crash.inDoubt.has(r));
  await eventually(async () => {
    const start = await shareStartOffset(o.port, o.group, o.topic);
    const acceptedAfter = new Set(o.after.acks.map((a) => a.offset));
    const missing = owed.filter((r) => !acceptedAfter.has(r));
    const seen = `the new consumer received ${o.after.messages.length} and accepted ${o.after.acks.length} records; its stderr: ${o.after.stderr.slice(-3).join(' | ')}`;
    expect(start >= o.end, `share-partition start offset ${start} (${seen})`).to.equal(true);
    expect(missing, `not acknowledged before the crash nor accepted after it (${seen})`).to.deep.equal([]);
    return true;
  }, 'every record settled across the crash', 60_000);
}
