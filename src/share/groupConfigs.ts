import { ErrorCode } from '../../protocol/errors';
import { AlterConfigOp, type DescribedConfig } from '../admin/configTypes';
import type { AlterResult } from '../admin/alterResource';
import type { RequestContext } from '../handlers/types';
import { configResourceDenied } from '../security/acl/check';
import { AclOperation } from '../security/acl/model';
import { ConfigResourceType } from '../admin/configTypes';
import { DEFAULT_GROUP_CONFIG } from '../groups/config';
import { describeShareConfigs, groupConfigName, groupConfigProblem, groupConfigsProblem, type BrokerGroupSettings } from './config';
import { shareServicesOf } from './services';
import { groupCoordinatorError } from '../groups/services';

export interface GroupConfigOp {
  name: string;
  op: number;
  value: string | null;
}

/** The group coordinator's settings group configs default to and are bounded by. */
function brokerGroupSettings(ctx: RequestContext): BrokerGroupSettings {
  return ctx.broker.groups?.config ?? DEFAULT_GROUP_CONFIG;
}

/**
 * IncrementalAlterConfigs on a GROUP resource: Kafka's group configs (KIP-848 consumer groups'
 * timeouts, KIP-932 share groups'), Brook's back-off, KIP-1191's dead-letter topic. Validated as a
 * whole, stored under Kafka's names (Brook's former `group.share.*` names are accepted), persisted
 * in `__brook_share_state`, effective for the next heartbeats, acquisitions and releases.
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
  const b = brokerGroupSettings(ctx);
  const next = new Map(share.coordinator.groups.get(group)?.configs ?? []);
  for (const o of ops) {
    const name = groupConfigName(o.name);
    if (o.op === AlterConfigOp.DELETE) {
      const problem = groupConfigProblem(o.name, null, b);
      if (problem) return answer(ErrorCode.INVALID_CONFIG, problem);
      next.delete(name);
      continue;
    }
    if (o.op !== AlterConfigOp.SET) return answer(ErrorCode.INVALID_CONFIG, `only SET and DELETE apply to group config ${o.name}`);
    const problem = groupConfigProblem(o.name, o.value, b);
    if (problem) return answer(ErrorCode.INVALID_CONFIG, `${o.name}: ${problem}`);
    next.set(name, o.value ?? '');
  }
  const problem = groupConfigsProblem(next, b);
  if (problem) return answer(ErrorCode.INVALID_CONFIG, problem);
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
  return describeShareConfigs(set, keys, brokerGroupSettings(ctx));
}
