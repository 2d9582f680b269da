import { Writer } from '../../protocol/codec/writer';
import { ManualClock } from '../../src/groups/clock';
import { GroupCoordinator } from '../../src/groups/coordinator';
import type { JoinParams } from '../../src/groups/classicCoordinator';
import { MemoryGroupStateLog } from '../../src/groups/stateLog';
import type { GroupConfig } from '../../src/groups/config';

export const TEST_CONFIG: Partial<GroupConfig> = {
  minSessionTimeoutMs: 100,
  initialRebalanceDelayMs: 300,
  offsetsRetentionMs: 60_000,
  offsetsRetentionCheckIntervalMs: 10_000,
};

export function makeCoordinator(opts: { config?: Partial<GroupConfig>; log?: MemoryGroupStateLog; clock?: ManualClock } = {}) {
  const clock = opts.clock ?? new ManualClock();
  const log = opts.log ?? new MemoryGroupStateLog();
  const coord = new GroupCoordinator({ clock, log, config: { ...TEST_CONFIG, ...opts.config } });
  return { clock, log, coord };
}

/** ConsumerProtocolSubscription v0 bytes for the given topics. */
export function subscription(topics: string[]): Buffer {
  const w = new Writer(64).int16(0).arrayLength(topics.length);
  for (const t of topics) w.string(t);
  return w.nullableBytes(null).toBuffer();
}

export function joinParams(over: Partial<JoinParams> = {}): JoinParams {
  return {
    groupId: 'g',
    memberId: '',
    groupInstanceId: null,
    sessionTimeoutMs: 1000,
    rebalanceTimeoutMs: 5000,
    protocolType: 'consumer',
    protocols: [{ name: 'range', metadata: subscription(['t']) }],
    clientId: 'c',
    clientHost: '/127.0.0.1',
    requireKnownMemberId: false,
    ...over,
  };
}

/** Lets resolved promises run their continuations (coordinator replies are promise-based). */
export async function flush(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise<void>((r) => setImmediate(r));
}

/** Tracks whether a promise has settled, without awaiting it. */
export function track<T>(p: Promise<T>): { done: () => boolean; value: () => T } {
  let settled = false;
  let v: T;
  p.then((x) => {
    settled = true;
    v = x;
  });
  return { done: () => settled, value: () => v };
}
