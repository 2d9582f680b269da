import { ErrorCode } from '../../protocol/errors';
import type { RequestContext } from '../handlers/types';
import type { TopicInfo } from '../metadata/types';
import { isThisBroker, notThisBroker } from './brokerResource';
import { commitTopicChanges, findTopic, type ConfigChanges } from './alterTopicConfigs';
import { ConfigResourceType } from './configTypes';
import { alterBrokerResource, type BrokerPlan } from './alterBrokerConfigs';
import { configResourceDenied } from '../security/acl/check';
import { AclOperation } from '../security/acl/model';

export interface AlterResult {
  errorCode: number;
  errorMessage: string | null;
  resourceType: number;
  resourceName: string;
}

type Plan = (topic: TopicInfo) => { changes: ConfigChanges } | { errorCode: number; message: string };

/**
 * One resource of an AlterConfigs / IncrementalAlterConfigs request. Topics are
 * changed through `plan`, BROKER resources (dynamic broker configs) through
 * `brokerPlan`; broker loggers have nothing to change.
 */
export async function alterResource(
  ctx: RequestContext,
  resourceType: number,
  resourceName: string,
  configCount: number,
  validateOnly: boolean,
  plan: Plan,
  brokerPlan?: BrokerPlan,
): Promise<AlterResult> {
  const answer = (errorCode: number, errorMessage: string | null = null): AlterResult => ({ errorCode, errorMessage, resourceType, resourceName });
  const denied = configResourceDenied(ctx, AclOperation.ALTER_CONFIGS, resourceType, resourceName);
  if (denied !== 0) return answer(denied, 'altering configs needs ALTER_CONFIGS');
  switch (resourceType) {
    case ConfigResourceType.TOPIC: {
      const found = findTopic(ctx.broker, resourceName);
      if ('errorCode' in found) return answer(found.errorCode, found.message);
      const outcome = await commitTopicChanges(ctx.broker, found.topic, plan(found.topic), validateOnly);
      return outcome.errorCode === 0 ? answer(0) : answer(outcome.errorCode, 'message' in outcome ? outcome.message : null);
    }
    case ConfigResourceType.BROKER:
    case ConfigResourceType.BROKER_LOGGER: {
      if (resourceType === ConfigResourceType.BROKER && brokerPlan && ctx.broker.dynamicConfigs) {
        const outcome = await alterBrokerResource(ctx, resourceName, validateOnly, brokerPlan);
        return answer(outcome.errorCode, outcome.message);
      }
      if (!isThisBroker(ctx.broker.metadata, resourceName)) return answer(ErrorCode.INVALID_REQUEST, notThisBroker(ctx.broker.metadata, resourceName));
      if (configCount === 0) return answer(0);
      return answer(
        ErrorCode.INVALID_REQUEST,
        resourceType === ConfigResourceType.BROKER
          ? 'Brook has no dynamic broker configs; set them in the properties file and restart'
          : 'Brook has no per-logger levels to change',
      );
    }
    default:
      return answer(ErrorCode.INVALID_REQUEST, `resource type ${resourceType} is not supported`);
  }
}
