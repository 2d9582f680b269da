import { ErrorCode } from '../../protocol/errors';
import type { BrokerServices } from '../handlers/types';
import { topicNameProblem } from '../metadata/topicName';
import { MetadataError, type TopicInfo } from '../metadata/types';
import { applyTopicConfigsToLogs } from './applyLogConfig';
import { AlterConfigOp, ConfigType } from './configTypes';
import { listItems } from './configValues';
import { topicConfigDef } from './topicConfigCatalog';
import { describeTopicConfigs, topicConfigProblem } from './topicConfigs';
import { brokerLayersOf } from './dynamicBrokerConfigs';
import { viewConfigProblem } from '../views/viewTopics';

/** Keys to set (string) or remove (null) on a topic's dynamic configs. */
export type ConfigChanges = Record<string, string | null>;

export type Outcome = { errorCode: 0 } | { errorCode: number; message: string };
type Planned = { changes: ConfigChanges } | { errorCode: number; message: string };

export interface IncrementalOp {
  name: string;
  op: number;
  value: string | null;
}

const refuse = (errorCode: number, message: string) => ({ errorCode, message });

export function findTopic(services: BrokerServices, name: string): { topic: TopicInfo } | { errorCode: number; message: string } {
  const problem = topicNameProblem(name);
  if (problem) return refuse(ErrorCode.INVALID_TOPIC_EXCEPTION, problem);
  const topic = services.metadata.topic(name);
  return topic ? { topic } : refuse(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `unknown topic ${name}`);
}

function duplicateKey(names: string[]): string | undefined {
  const seen = new Set<string>();
  return names.find((n) => (seen.has(n) ? true : (seen.add(n), false)));
}

/** AlterConfigs: the given set becomes the topic's whole set of overrides. */
export function planReplace(topic: TopicInfo, configs: Array<{ name: string; value: string | null }>): Planned {
  const dup = duplicateKey(configs.map((c) => c.name));
  if (dup !== undefined) return refuse(ErrorCode.INVALID_REQUEST, `config ${dup} appears more than once`);
  const changes: ConfigChanges = {};
  for (const key of Object.keys(topic.configs)) changes[key] = null;
  for (const c of configs) {
    if (c.value === null) return refuse(ErrorCode.INVALID_REQUEST, `null value for config ${c.name}`);
    const problem = topicConfigProblem(c.name, c.value);
    if (problem) return refuse(ErrorCode.INVALID_CONFIG, problem);
    changes[c.name] = c.value;
  }
  return { changes };
}

/** The value an APPEND/SUBTRACT starts from: the override, else what the topic inherits. */
function currentValue(services: BrokerServices, topic: TopicInfo, name: string): string {
  const override = topic.configs[name];
  if (override !== undefined) return override;
  return describeTopicConfigs(topic, services.config, [name], brokerLayersOf(services))[0]?.value ?? '';
}

/** IncrementalAlterConfigs: SET, DELETE, APPEND and SUBTRACT (the last two for list configs only). */
export function planIncremental(services: BrokerServices, topic: TopicInfo, ops: IncrementalOp[]): Planned {
  const dup = duplicateKey(ops.map((o) => o.name));
  if (dup !== undefined) return refuse(ErrorCode.INVALID_REQUEST, `config ${dup} appears more than once`);
  const changes: ConfigChanges = {};
  for (const o of ops) {
    if (o.op === AlterConfigOp.DELETE) {
      changes[o.name] = null;
      continue;
    }
    if (o.op !== AlterConfigOp.SET && o.op !== AlterConfigOp.APPEND && o.op !== AlterConfigOp.SUBTRACT) {
      return refuse(ErrorCode.INVALID_REQUEST, `unknown config operation ${o.op} for ${o.name}`);
    }
    if (o.value === null) return refuse(ErrorCode.INVALID_REQUEST, `null value for config ${o.name}`);
    let value = o.value;
    if (o.op !== AlterConfigOp.SET) {
      const def = topicConfigDef(o.name);
      if (!def) return refuse(ErrorCode.INVALID_CONFIG, `unknown topic config ${o.name}`);
      if (def.type !== ConfigType.LIST) return refuse(ErrorCode.INVALID_CONFIG, `${o.name} is not a list; APPEND and SUBTRACT apply to list configs only`);
      const current = listItems(currentValue(services, topic, o.name));
      const given = listItems(o.value);
      const next = o.op === AlterConfigOp.APPEND ? [...new Set([...current, ...given])] : current.filter((i) => !given.includes(i));
      value = next.join(',');
    }
    const problem = topicConfigProblem(o.name, value);
    if (problem) return refuse(ErrorCode.INVALID_CONFIG, problem);
    changes[o.name] = value;
  }
  return { changes };
}

function configsAfter(topic: TopicInfo, changes: ConfigChanges): Record<string, string> {
  const out: Record<string, string> = { ...topic.configs };
  for (const [k, v] of Object.entries(changes)) {
    if (v === null) delete out[k];
    else out[k] = v;
  }
  return out;
}

/** Persists the changes through the metadata service and applies them to the open partition logs. */
export async function commitTopicChanges(services: BrokerServices, topic: TopicInfo, planned: Planned, validateOnly: boolean): Promise<Outcome> {
  if ('errorCode' in planned) return planned;
  const viewProblem = viewConfigProblem(services.metadata, topic.name, configsAfter(topic, planned.changes), topic);
  if (viewProblem) return refuse(ErrorCode.INVALID_CONFIG, viewProblem);
  if (validateOnly) return { errorCode: 0 };
  try {
    const updated = await services.metadata.alterTopicConfigs(topic.name, planned.changes);
    applyTopicConfigsToLogs(services, updated);
    services.logger.info({ topic: topic.name, configs: updated.configs }, 'topic configs altered');
    return { errorCode: 0 };
  } catch (err) {
    if (err instanceof MetadataError) return refuse(err.errorCode, err.message);
    throw err;
  }
}
