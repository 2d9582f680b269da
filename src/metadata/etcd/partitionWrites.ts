import type { Etcd3 } from 'etcd3';
import { ErrorCode } from '../../../protocol/errors';
import { forEachConcurrently } from '../../../storage/forEachConcurrently';
import { withoutLostReplica } from '../controller/election';
import { MetadataError, type PartitionState } from '../types';
import type { KeyLayout } from './layout';
import { encodePartition } from './layout';
import type { MetadataCache } from './metadataCache';

/** Attempts of a compare-and-swap write before giving up on a hot key. */
const CAS_ATTEMPTS = 20;

export interface PartitionWriteContext {
  client: Etcd3;
  keys: KeyLayout;
  cache: MetadataCache;
  caughtUp(revision: string): Promise<void>;
  waitFor(done: () => boolean): Promise<void>;
}

/** What a decision on a partition's current record comes to: a new record, nothing to write, or an error. */
export type PartitionDecision<R> = { write: PartitionState; result: R } | { result: R };

/**
 * Reads a partition this broker's watch may not have delivered yet (a change
 * acknowledged by another broker), so "unknown" does not depend on timing:
 * the key is read linearizably and the watch waited for up to that version.
 */
export async function knowPartition(ctx: PartitionWriteContext, topic: string, partition: number): Promise<void> {
  const key = ctx.keys.partition(topic, partition);
  if (ctx.cache.modRevisions.has(key)) return;
  const res = await ctx.client.get(key).exec();
  const kv = res.kvs[0];
  if (kv) await ctx.caughtUp(kv.mod_revision);
}

/**
 * Decides on the partition's current record and writes the outcome with a
 * compare on its mod revision, deciding again against the newer record when
 * someone (the controller, the leader's ISR change) wrote in between.
 */
export async function casPartition<R>(
  ctx: PartitionWriteContext,
  topic: string,
  partition: number,
  unknown: () => R,
  timedOut: () => R,
  decide: (current: PartitionState) => PartitionDecision<R>,
): Promise<R> {
  await knowPartition(ctx, topic, partition);
  const key = ctx.keys.partition(topic, partition);
  for (let attempt = 0; attempt < CAS_ATTEMPTS; attempt++) {
    const current = ctx.cache.topics.has(topic) ? ctx.cache.partitions.get(topic)?.[partition] : undefined;
    const modRev = ctx.cache.modRevisions.get(key);
    if (!current || modRev === undefined) return unknown();
    const decision = decide(current);
    if (!('write' in decision)) return decision.result;
    const res = await ctx.client.if(key, 'Mod', '==', modRev).then(ctx.client.put(key).value(encodePartition(decision.write))).commit();
    if (res.succeeded) {
      await ctx.caughtUp(res.header.revision);
      return decision.result;
    }
    await ctx.waitFor(() => ctx.cache.modRevisions.get(key) !== modRev);
  }
  return timedOut();
}

export const KEPT_CHANGING = ErrorCode.REQUEST_TIMED_OUT;

/** Partitions whose ISR a restarted broker leaves at once: enough to overlap round trips, few enough not to flood etcd. */
const LEAVE_CONCURRENCY = 16;

/** `nodeId` lost its copies of `partitions`: each ISR drops it (election.ts, withoutLostReplica). */
export async function leaveIsrOfLost(ctx: PartitionWriteContext, nodeId: number, partitions: ReadonlyArray<{ topic: string; partition: number }>): Promise<void> {
  await forEachConcurrently(partitions, LEAVE_CONCURRENCY, async ({ topic, partition }) => {
    const left = await casPartition(
      ctx,
      topic,
      partition,
      () => true,
      () => false,
      (current) => {
        const next = withoutLostReplica(current, nodeId);
        return next ? { write: next, result: true } : { result: true };
      },
    );
    // starting anyway would let the controller elect this broker with an empty log
    if (!left) throw new MetadataError(KEPT_CHANGING, `partition ${topic}-${partition} kept changing; could not leave its ISR`);
  });
}
