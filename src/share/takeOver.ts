import { ErrorCode } from '../../protocol/errors';
import type { Logger } from '../log';
import type { ShareClusterView } from './coordinatorTypes';
import { voidAcquisitions } from './coordinatorSteps';
import { SharePartition } from './sharePartition';

/** What a takeover needs of the share coordinator. */
export interface TakeOverHost {
  readonly partitions: Map<string, SharePartition>;
  loadGroup(id: string, force?: boolean): Promise<void>;
  dropPartition(key: string, sp: SharePartition): void;
  schedule(sp: SharePartition): void;
}

export const sharePartitionKey = (group: string, topicId: string, partition: number) => `${group}\u0000${topicId}\u0000${partition}`;

class TakeOverError extends Error {
  constructor(readonly errorCode: number) {
    super(`share state unavailable (error ${errorCode})`);
  }
}

/**
 * Cluster mode: the share-partition as of this broker's leadership of the data partition. A
 * leader that takes it over (first use, or a new leader epoch) loads it from the share
 * coordinator; records acquired under the previous leader are acquirable again, their delivery
 * counts kept. NONE: go on.
 */
export async function takeOverSharePartition(host: TakeOverHost, cluster: ShareClusterView, logger: Logger, groupId: string, topic: { id: Buffer; name: string }, partition: number): Promise<number> {
  const epoch = cluster.leaderEpoch(topic.name, partition);
  if (epoch === null) return ErrorCode.NOT_LEADER_OR_FOLLOWER;
  await host.loadGroup(groupId);
  const key = sharePartitionKey(groupId, topic.id.toString('hex'), partition);
  const known = host.partitions.get(key);
  if (known && known.leaderEpoch === epoch) return ErrorCode.NONE;
  if (known) host.dropPartition(key, known);
  const sp = new SharePartition(groupId, topic.id.toString('hex'), topic.name, partition);
  sp.leaderEpoch = epoch;
  host.partitions.set(key, sp);
  try {
    await sp.serialize(async () => {
      await host.loadGroup(groupId, true);
      const read = await cluster.read(groupId, sp.topicId, partition, epoch);
      if (read.errorCode !== 0 || read.snapshot === undefined) throw new TakeOverError(read.errorCode);
      sp.stateEpoch = read.stateEpoch;
      if (read.snapshot) {
        sp.snapshot = voidAcquisitions(read.snapshot);
        host.schedule(sp);
      }
      logger.info({ group: groupId, topic: topic.name, partition, leaderEpoch: epoch, startOffset: read.snapshot?.startOffset ?? null }, 'share-partition taken over');
    });
  } catch (err) {
    if (host.partitions.get(key) === sp) host.dropPartition(key, sp);
    const code = err instanceof TakeOverError ? err.errorCode : ErrorCode.COORDINATOR_NOT_AVAILABLE;
    logger.warn({ group: groupId, topic: topic.name, partition, errorCode: code, err: String(err) }, 'cannot take the share-partition over');
    return code;
  }
  return ErrorCode.NONE;
}

/**
 * Cluster mode, when a member opens a share session: whether the share-partition this broker
 * holds is still the one at the share coordinator. An administrative reset (Alter/Delete
 * ShareGroupOffsets, only on an empty group) bumps the state epoch there; the stale copy is
 * dropped so the next use loads the reset state (a copy with nothing to write would never be
 * fenced otherwise).
 */
export async function revalidateSharePartition(host: TakeOverHost, cluster: ShareClusterView, groupId: string, topicId: Buffer, partition: number): Promise<void> {
  const key = sharePartitionKey(groupId, topicId.toString('hex'), partition);
  const sp = host.partitions.get(key);
  if (!sp) return;
  const read = await cluster.read(groupId, sp.topicId, partition, sp.leaderEpoch);
  if (read.errorCode === 0 && read.snapshot !== undefined && read.stateEpoch !== sp.stateEpoch && host.partitions.get(key) === sp) host.dropPartition(key, sp);
}
