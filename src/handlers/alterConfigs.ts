/**
 * AlterConfigs: v0-2
 *
 * Behavior:
 * - Replaces a topic's (or a BROKER resource's) whole set of overrides: keys left out return to their defaults.
 * - Needs ALTER_CONFIGS on the resource; unknown topic: UNKNOWN_TOPIC_OR_PARTITION; validate_only checks without
 *   changing.
 * - BROKER resources change dynamic broker configs when those are set up; otherwise a non-empty change to a broker
 *   or broker logger is INVALID_REQUEST (Brook reads broker configs from its properties file). Other resource types:
 *   INVALID_REQUEST.
 *
 * Version notes:
 * - v0-1: the same. v2: flexible.
 */
import type { AlterConfigsRequest } from '../../protocol/generated/messages/AlterConfigsRequest';
import type { AlterConfigsResponseInput } from '../../protocol/generated/messages/AlterConfigsResponse';
import { alterResource, type AlterResult } from '../admin/alterResource';
import { planReplace } from '../admin/alterTopicConfigs';
import { planBrokerReplace } from '../admin/alterBrokerConfigs';
import type { Handler } from './types';

export const handleAlterConfigs: Handler<AlterConfigsRequest, AlterConfigsResponseInput> = async (ctx, req) => {
  const responses: AlterResult[] = [];
  for (const r of req.resources) {
    responses.push(await alterResource(ctx, r.resourceType, r.resourceName, r.configs.length, req.validateOnly, (topic) => planReplace(topic, r.configs), planBrokerReplace(r.configs)));
  }
  return { throttleTimeMs: 0, responses };
};
