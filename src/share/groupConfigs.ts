import { ErrorCode } from '../../protocol/errors';
import { AlterConfigOp, type DescribedConfig } from '../admin/configTypes';
import type { AlterResult } from '../admin/alterResource';
import type { RequestContext } from '../handlers/types';
import { configResourceDenied } from '../security/acl/check';
import { AclOperation } from '../security/acl/model';
import { ConfigResourceType } from '../admin/configTypes';
import { describeShareConfigs, shareConfigProblem } from './config';
import { shareServicesOf } from './services';
import { groupCoordinatorError } from '../groups/services';

export interface GroupConfigOp {
  name: string;
  op: number;
  value: string | null;
}

/**
 * IncrementalAlterConfigs on a GROUP resource: the share-group configs (KIP-932, Brook's
 * back-off, KIP-1191's dead-letter topic). Validated as a whole, persisted in
 * `__brook_share_state`, effective for the next acquisitions and releases.
 */
export async function alterGroupConfigs(ctx: RequestContext, group: string, ops: readonly GroupConfigOp[], validateOnly: boolean): Promise<AlterResult> {
  const answer = (errorCode: number, errorMessage: string | null = null): AlterResult => ({ errorCode, errorMessage, resourceType: ConfigResourceType.GROUP, resourceName: group });
  const denied = configResourceDenied(ctx, AclOperation.ALTER_CONFIGS, ConfigResourceType.GROUP, group);
  if (denied !== 0) return answer(denied, 'altering configs needs ALTER_CONFIGS');
  const share = shareServicesOf(ctx.broker);
  if (!share) return answer(ErrorCode.COORDINATOR_NOT_AVAILABLE);
  if (!group) return answer(ErrorCode.INVALID_GROUP_ID, 'group name is empty');
  // Cluster mode: the group's coordinator persists its configs with its other records.
  if (ctx.broker.clustered) {
    const placement = groupCoordinatorError(ctx, group);
    if (placement !== ErrorCode.NONE) return answer(placement, 'send group configs to the group coordinator');
    await share.coordinator.loadGroup(group);
  }
  const next = new Map(share.coordinator.groups.get(group)?.configs ?? []);
  for (const o of ops) {
    if (o.op === AlterConfigOp.DELETE) {
      const problem = shareConfigProblem(o.name, null);
      if (problem) return answer(ErrorCode.INVALID_CONFIG, problem);
      next.delete(o.name);
      continue;
    }
    if (o.op !== AlterConfigOp.SET) return answer(ErrorCode.INVALID_CONFIG, `only SET and DELETE apply to group config ${o.name}`);
    const problem = shareConfigProblem(o.name, o.value);
    if (problem) return answer(ErrorCode.INVALID_CONFIG, `${o.name}: ${problem}`);
    next.set(o.name, o.value ?? '');
  }
  if (validateOnly) return answer(0);
  try {
    await share.coordinator.setConfigs(group, next);
  } catch (err) {
    ctx.broker.logger.error({ group, err: String(err) }, 'cannot persist group configs');
    return answer(ErrorCode.COORDINATOR_NOT_AVAILABLE, 'cannot persist group configs');
  }
  return answer(0);
}

/** DescribeConfigs of a GROUP resource. */
export function describeGroupConfigs(ctx: RequestContext, group: string, keys: readonly string[] | null): DescribedConfig[] {
  const set = shareServicesOf(ctx.broker)?.coordinator.groups.get(group)?.configs ?? new Map<string, string>();
  return describeShareConfigs(set, keys);
}
