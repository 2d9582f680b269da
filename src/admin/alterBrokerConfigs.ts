import { ErrorCode } from '../../protocol/errors';
import type { RequestContext } from '../handlers/types';
import type { IncrementalOp } from './alterTopicConfigs';
import { AlterConfigOp, ConfigType } from './configTypes';
import { listItems } from './configValues';
import { dynamicBrokerConfigDef, dynamicConfigProblem } from './dynamicBrokerConfigCatalog';
import { redactConfigs } from './sensitiveConfigs';

type Refusal = { errorCode: number; message: string };
type Planned = { values: Record<string, string> } | Refusal;

/** Turns a resource's current dynamic values into the new ones, or refuses. */
export type BrokerPlan = (current: Record<string, string>, resourceName: string) => Planned;

const refuse = (errorCode: number, message: string): Refusal => ({ errorCode, message });

function duplicate(names: string[]): string | undefined {
  const seen = new Set<string>();
  return names.find((n) => (seen.has(n) ? true : (seen.add(n), false)));
}

/** AlterConfigs: the given set becomes the resource's whole set of dynamic values. */
export function planBrokerReplace(configs: ReadonlyArray<{ name: string; value: string | null }>): BrokerPlan {
  return (_current, resourceName) => {
    const dup = duplicate(configs.map((c) => c.name));
    if (dup !== undefined) return refuse(ErrorCode.INVALID_REQUEST, `config ${dup} appears more than once`);
    const values: Record<string, string> = {};
    for (const c of configs) {
      if (c.value === null) return refuse(ErrorCode.INVALID_REQUEST, `null value for config ${c.name}`);
      const problem = dynamicConfigProblem(c.name, c.value, resourceName);
      if (problem) return problem;
      values[c.name] = c.value;
    }
    return { values };
  };
}

/** IncrementalAlterConfigs: SET, DELETE, and APPEND/SUBTRACT for list configs, on top of the current dynamic values. */
export function planBrokerIncremental(ops: readonly IncrementalOp[], inherited: (name: string) => string | null): BrokerPlan {
  return (current, resourceName) => {
    const dup = duplicate(ops.map((o) => o.name));
    if (dup !== undefined) return refuse(ErrorCode.INVALID_REQUEST, `config ${dup} appears more than once`);
    const values = { ...current };
    for (const o of ops) {
      if (o.op === AlterConfigOp.DELETE) {
        const problem = dynamicConfigProblem(o.name, null);
        if (problem && values[o.name] === undefined) return problem;
        delete values[o.name];
        continue;
      }
      if (o.op !== AlterConfigOp.SET && o.op !== AlterConfigOp.APPEND && o.op !== AlterConfigOp.SUBTRACT) {
        return refuse(ErrorCode.INVALID_REQUEST, `unknown config operation ${o.op} for ${o.name}`);
      }
      if (o.value === null) return refuse(ErrorCode.INVALID_REQUEST, `null value for config ${o.name}`);
      let value = o.value;
      if (o.op !== AlterConfigOp.SET) {
        const def = dynamicBrokerConfigDef(o.name);
        if (def && def.type !== ConfigType.LIST) return refuse(ErrorCode.INVALID_CONFIG, `${o.name} is not a list; APPEND and SUBTRACT apply to list configs only`);
        const base = listItems(values[o.name] ?? inherited(o.name) ?? '');
        const given = listItems(o.value);
        value = (o.op === AlterConfigOp.APPEND ? [...new Set([...base, ...given])] : base.filter((i) => !given.includes(i))).join(',');
      }
      const problem = dynamicConfigProblem(o.name, value, resourceName);
      if (problem) return problem;
      values[o.name] = value;
    }
    return { values };
  };
}

/**
 * One BROKER resource of AlterConfigs / IncrementalAlterConfigs: '' is the
 * cluster-wide default, a node id that broker's own values (any broker of a
 * cluster may write them: they are shared; a single broker only its own).
 */
export async function alterBrokerResource(ctx: RequestContext, resourceName: string, validateOnly: boolean, plan: BrokerPlan): Promise<{ errorCode: number; message: string | null }> {
  const dynamic = ctx.broker.dynamicConfigs;
  if (!dynamic) return refuse(ErrorCode.INVALID_REQUEST, 'this broker has no dynamic broker configs');
  const self = String(ctx.broker.metadata.self().nodeId);
  if (resourceName !== '' && !/^\d+$/.test(resourceName)) return refuse(ErrorCode.INVALID_REQUEST, `broker resource name must be a node id or empty (the cluster default), got ${resourceName}`);
  if (resourceName !== '' && resourceName !== self && !ctx.broker.clustered) return refuse(ErrorCode.INVALID_REQUEST, `this is broker ${self}, not ${resourceName}`);
  const planned = plan(dynamic.resource(resourceName), resourceName);
  if ('errorCode' in planned) {
    ctx.broker.logger.info({ resource: resourceName, err: planned.message }, 'dynamic broker config change refused');
    return planned;
  }
  if (validateOnly) return { errorCode: 0, message: null };
  await dynamic.replace(resourceName, planned.values);
  ctx.broker.logger.info({ resource: resourceName === '' ? '<cluster default>' : resourceName, configs: redactConfigs(planned.values) }, 'dynamic broker configs altered');
  return { errorCode: 0, message: null };
}
