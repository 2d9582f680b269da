/**
 * DescribeConfigs: v0-4
 *
 * Behavior:
 * - Needs DESCRIBE_CONFIGS on the resource. Serves topics, this broker, the cluster-wide broker defaults (empty
 *   broker name), broker loggers (always empty: Brook has one logger) and group configs.
 * - Another broker's id: INVALID_REQUEST; unknown topic: UNKNOWN_TOPIC_OR_PARTITION; bad topic name:
 *   INVALID_TOPIC_EXCEPTION; other resource types: INVALID_REQUEST.
 *
 * Version notes:
 * - v0: is_default instead of a config source, no synonyms.
 * - v1+: config_source and synonyms (when include_synonyms). v2: as v1.
 * - v3+: config_type, and documentation when include_documentation. v4: flexible.
 */
import { ErrorCode } from '../../protocol/errors';
import type { DescribeConfigsRequest, DescribeConfigsResource } from '../../protocol/generated/messages/DescribeConfigsRequest';
import type { DescribeConfigsResponseInput } from '../../protocol/generated/messages/DescribeConfigsResponse';
import { describeBrokerConfigs, describeClusterDefaults } from '../admin/brokerConfigs';
import { brokerLayersOf } from '../admin/dynamicBrokerConfigs';
import { isThisBroker, notThisBroker } from '../admin/brokerResource';
import { ConfigResourceType, ConfigSource, type DescribedConfig } from '../admin/configTypes';
import { describeTopicConfigs } from '../admin/topicConfigs';
import { topicNameProblem } from '../metadata/topicName';
import type { Handler, RequestContext } from './types';
import { describeGroupConfigs } from '../share/groupConfigs';
import { configResourceDenied } from '../security/acl/check';
import { AclOperation } from '../security/acl/model';

type ResourceResult = NonNullable<DescribeConfigsResponseInput['results']>[number];
type ConfigResult = NonNullable<ResourceResult['configs']>[number];

function toWire(ctx: RequestContext, req: DescribeConfigsRequest, c: DescribedConfig): ConfigResult {
  const v = ctx.apiVersion;
  const out: ConfigResult = {
    name: c.name,
    value: c.value,
    readOnly: c.readOnly,
    isSensitive: c.isSensitive,
    configSource: c.source,
    synonyms: v >= 1 && req.includeSynonyms ? c.synonyms.map((s) => ({ name: s.name, value: s.value, source: s.source })) : [],
    configType: c.type,
    documentation: v >= 3 && req.includeDocumentation ? c.documentation : null,
  };
  // v0 has no source, only this flag (and it is not ignorable, so it must stay unset later).
  if (v === 0) out.isDefault = c.source === ConfigSource.DEFAULT_CONFIG;
  return out;
}

function describeResource(ctx: RequestContext, req: DescribeConfigsRequest, r: DescribeConfigsResource): ResourceResult {
  const base = { resourceType: r.resourceType, resourceName: r.resourceName };
  const fail = (errorCode: number, errorMessage: string): ResourceResult => ({ ...base, errorCode, errorMessage, configs: [] });
  const denied = configResourceDenied(ctx, AclOperation.DESCRIBE_CONFIGS, r.resourceType, r.resourceName);
  if (denied !== 0) return fail(denied, 'describing configs needs DESCRIBE_CONFIGS');
  let configs: DescribedConfig[];
  switch (r.resourceType) {
    case ConfigResourceType.TOPIC: {
      const nameProblem = topicNameProblem(r.resourceName);
      if (nameProblem) return fail(ErrorCode.INVALID_TOPIC_EXCEPTION, nameProblem);
      const topic = ctx.broker.metadata.topic(r.resourceName);
      if (!topic) return fail(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `unknown topic ${r.resourceName}`);
      configs = describeTopicConfigs(topic, ctx.broker.config, r.configurationKeys, brokerLayersOf(ctx.broker));
      break;
    }
    case ConfigResourceType.BROKER: {
      const dynamic = ctx.broker.dynamicConfigs;
      if (r.resourceName === '' && dynamic) {
        configs = describeClusterDefaults(dynamic.resource(''), r.configurationKeys);
        break;
      }
      if (!isThisBroker(ctx.broker.metadata, r.resourceName)) return fail(ErrorCode.INVALID_REQUEST, notThisBroker(ctx.broker.metadata, r.resourceName));
      const self = ctx.broker.metadata.self();
      const dynamicNames = dynamic ? [...Object.keys(dynamic.resource('')), ...Object.keys(dynamic.resource(String(self.nodeId)))] : [];
      configs = describeBrokerConfigs(ctx.broker.config, self, r.configurationKeys, brokerLayersOf(ctx.broker), dynamicNames);
      break;
    }
    case ConfigResourceType.BROKER_LOGGER:
      // Brook has a single logger; there are no per-class log levels to list.
      if (!isThisBroker(ctx.broker.metadata, r.resourceName)) return fail(ErrorCode.INVALID_REQUEST, notThisBroker(ctx.broker.metadata, r.resourceName));
      configs = [];
      break;
    case ConfigResourceType.GROUP:
      configs = describeGroupConfigs(ctx, r.resourceName, r.configurationKeys);
      break;
    default:
      return fail(ErrorCode.INVALID_REQUEST, `resource type ${r.resourceType} is not supported`);
  }
  return { ...base, errorCode: 0, errorMessage: null, configs: configs.map((c) => toWire(ctx, req, c)) };
}

export const handleDescribeConfigs: Handler<DescribeConfigsRequest, DescribeConfigsResponseInput> = (ctx, req) => ({
  throttleTimeMs: 0,
  results: req.resources.map((r) => describeResource(ctx, req, r)),
});
