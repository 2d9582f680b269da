import type { AlterConfigsRequest } from '../../protocol/generated/messages/AlterConfigsRequest';
import type { AlterConfigsResponseInput } from '../../protocol/generated/messages/AlterConfigsResponse';
import { alterResource, type AlterResult } from '../admin/alterResource';
import { planReplace } from '../admin/alterTopicConfigs';
import { planBrokerReplace } from '../admin/alterBrokerConfigs';
import type { Handler } from './types';

/** AlterConfigs v0+: replaces a topic's (or a BROKER resource's) whole set of overrides (keys left out return to their defaults). */
export const handleAlterConfigs: Handler<AlterConfigsRequest, AlterConfigsResponseInput> = async (ctx, req) => {
  const responses: AlterResult[] = [];
  for (const r of req.resources) {
    responses.push(await alterResource(ctx, r.resourceType, r.resourceName, r.configs.length, req.validateOnly, (topic) => planReplace(topic, r.configs), planBrokerReplace(r.configs)));
  }
  return { throttleTimeMs: 0, responses };
};
