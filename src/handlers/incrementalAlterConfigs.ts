/**
 * IncrementalAlterConfigs: v0-1
 *
 * Behavior:
 * - SET / DELETE / APPEND / SUBTRACT on single topic and broker configs; SET / DELETE on share-group configs (GROUP
 *   resources).
 * - Needs ALTER_CONFIGS on the resource; unknown topic: UNKNOWN_TOPIC_OR_PARTITION; validate_only checks without
 *   changing.
 * - Broker loggers have nothing to change (INVALID_REQUEST for a non-empty request); other resource types:
 *   INVALID_REQUEST.
 *
 * Version notes:
 * - v0: as above. v1: flexible.
 */
import type { IncrementalAlterConfigsRequest } from '../../protocol/generated/messages/IncrementalAlterConfigsRequest';
import type { IncrementalAlterConfigsResponseInput } from '../../protocol/generated/messages/IncrementalAlterConfigsResponse';
import { alterResource, type AlterResult } from '../admin/alterResource';
import { planIncremental } from '../admin/alterTopicConfigs';
import { planBrokerIncremental } from '../admin/alterBrokerConfigs';
import type { Handler } from './types';
import { ConfigResourceType } from '../admin/configTypes';
import { alterGroupConfigs } from '../share/groupConfigs';

export const handleIncrementalAlterConfigs: Handler<IncrementalAlterConfigsRequest, IncrementalAlterConfigsResponseInput> = async (ctx, req) => {
  const responses: AlterResult[] = [];
  for (const r of req.resources) {
    const ops = r.configs.map((c) => ({ name: c.name, op: c.configOperation, value: c.value }));
    if (r.resourceType === ConfigResourceType.GROUP) {
      responses.push(await alterGroupConfigs(ctx, r.resourceName, ops, req.validateOnly));
      continue;
    }
    responses.push(await alterResource(ctx, r.resourceType, r.resourceName, ops.length, req.validateOnly, (topic) => planIncremental(ctx.broker, topic, ops), planBrokerIncremental(ops, (name) => ctx.broker.dynamicConfigs?.layers(name)[0]?.value ?? null)));
  }
  return { throttleTimeMs: 0, responses };
};
