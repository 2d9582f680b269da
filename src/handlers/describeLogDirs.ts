/**
 * DescribeLogDirs: v0-4
 *
 * Behavior:
 * - Needs DESCRIBE on the cluster; denied answers an empty list (with CLUSTER_AUTHORIZATION_FAILED from v3).
 * - One data dir with the size of each open partition log, filtered to the partitions asked for (null = all);
 *   offset_lag is always 0 and there are no future replicas.
 * - When the data dir cannot be stat'ed: KAFKA_STORAGE_ERROR on the dir, with no topics.
 *
 * Version notes:
 * - v0-1: the same. v2+: flexible. v3+: top-level error_code. v4+: total_bytes and usable_bytes (-1 when unknown).
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import type { DescribeLogDirsRequest } from '../../protocol/generated/messages/DescribeLogDirsRequest';
import type { DescribeLogDirsResponseInput } from '../../protocol/generated/messages/DescribeLogDirsResponse';
import { ErrorCode } from '../../protocol/errors';
import type { Handler } from './types';
import { authorizedCluster } from '../security/acl/check';
import { AclOperation } from '../security/acl/model';

type LogDirTopic = NonNullable<NonNullable<DescribeLogDirsResponseInput['results']>[number]['topics']>[number];

/** Partitions the request asks about (null = every partition with a log). */
function wanted(req: DescribeLogDirsRequest): ((topic: string, partition: number) => boolean) | null {
  if (req.topics === null) return null;
  const asked = new Map<string, Set<number>>();
  for (const t of req.topics) {
    const set = asked.get(t.topic) ?? new Set<number>();
    for (const p of t.partitions) set.add(p);
    asked.set(t.topic, set);
  }
  return (topic, partition) => asked.get(topic)?.has(partition) ?? false;
}

async function diskSpace(dir: string): Promise<{ totalBytes: bigint; usableBytes: bigint }> {
  const s = await fs.statfs(dir, { bigint: true });
  return { totalBytes: s.blocks * s.bsize, usableBytes: s.bavail * s.bsize };
}

export const handleDescribeLogDirs: Handler<DescribeLogDirsRequest, DescribeLogDirsResponseInput> = async (ctx, req) => {
  if (!authorizedCluster(ctx, AclOperation.DESCRIBE)) return { throttleTimeMs: 0, errorCode: ctx.apiVersion >= 3 ? ErrorCode.CLUSTER_AUTHORIZATION_FAILED : 0, results: [] };
  const dir = path.resolve(ctx.broker.logs.dataDir);
  const include = wanted(req);
  const byTopic = new Map<string, Array<{ partition: number; size: number }>>();
  for (const p of ctx.broker.logs.partitionFacts()) {
    if (include && !include(p.topic, p.partition)) continue;
    const list = byTopic.get(p.topic) ?? [];
    list.push({ partition: p.partition, size: p.sizeInBytes });
    byTopic.set(p.topic, list);
  }
  const topics: LogDirTopic[] = [...byTopic.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([name, parts]) => ({
      name,
      partitions: parts
        .sort((a, b) => a.partition - b.partition)
        .map(({ partition, size }) => ({ partitionIndex: partition, partitionSize: BigInt(size), offsetLag: 0n, isFutureKey: false })),
    }));
  let errorCode = 0;
  let space = { totalBytes: -1n, usableBytes: -1n };
  try {
    space = await diskSpace(dir);
  } catch (err) {
    ctx.broker.logger.error({ dir, err: (err as Error).message }, 'cannot stat data dir');
    errorCode = ErrorCode.KAFKA_STORAGE_ERROR;
  }
  return {
    throttleTimeMs: 0,
    errorCode: 0,
    results: [{ errorCode, logDir: dir, topics: errorCode === 0 ? topics : [], ...space }],
  };
};
