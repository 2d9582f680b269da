import { logDefaultsFromBrokerProps } from '../config/logConfigMapping';
import type { BrokerConfigStore, StoredBrokerConfigs } from '../config/dynamic/store';
import type { ReplicatedBroker } from '../replication/replicatedBroker';
import { effectiveLogConfig } from './applyLogConfig';
import { ConfigSource, type ConfigSourceValue } from './configTypes';
import { staticLayers, type BrokerLayers } from './topicConfigs';
import { FOLLOWER_THROTTLE, LEADER_THROTTLE } from './dynamicBrokerConfigCatalog';
import { redactConfigs } from './sensitiveConfigs';

/** Where a broker config's value comes from, highest precedence first (Kafka's order). */
export interface LayeredValue {
  name: string;
  value: string;
  source: ConfigSourceValue;
}

/**
 * Dynamic broker configs (Kafka's DynamicBrokerConfig): per-broker values
 * over cluster-wide defaults over the properties file, kept in a store shared
 * by the cluster (etcd) or the data dir, and applied to the running broker on
 * every change, whichever broker made it.
 */
export class DynamicBrokerConfigs {
  constructor(
    private readonly store: BrokerConfigStore,
    private readonly staticProps: Readonly<Record<string, string>>,
    private readonly selfId: number,
  ) {}

  get stored(): StoredBrokerConfigs {
    return this.store.value;
  }

  /** The dynamic values of one resource: '' = the cluster-wide defaults, else a node id. */
  resource(name: string): Record<string, string> {
    const v = this.store.value;
    return name === '' ? { ...v.cluster } : { ...(v.brokers[name] ?? {}) };
  }

  /** Every layer that sets `name` for this broker, highest precedence first. */
  layers(name: string): LayeredValue[] {
    const out: LayeredValue[] = [];
    const own = this.store.value.brokers[String(this.selfId)]?.[name];
    if (own !== undefined) out.push({ name, value: own, source: ConfigSource.DYNAMIC_BROKER_CONFIG });
    const dflt = this.store.value.cluster[name];
    if (dflt !== undefined) out.push({ name, value: dflt, source: ConfigSource.DYNAMIC_DEFAULT_BROKER_CONFIG });
    const prop = this.staticProps[name];
    if (prop !== undefined) out.push({ name, value: prop, source: ConfigSource.STATIC_BROKER_CONFIG });
    return out;
  }

  /** The properties as this broker applies them now: the file's, then cluster defaults, then its own values. */
  effectiveProps(): Record<string, string> {
    const v = this.store.value;
    return { ...this.staticProps, ...v.cluster, ...(v.brokers[String(this.selfId)] ?? {}) };
  }

  /** Replaces one resource's dynamic values (only keys that change are written). */
  async replace(resourceName: string, values: Record<string, string>): Promise<void> {
    await this.store.update((current) => {
      if (resourceName === '') return { cluster: { ...values }, brokers: current.brokers };
      const brokers = { ...current.brokers };
      if (Object.keys(values).length === 0) delete brokers[resourceName];
      else brokers[resourceName] = { ...values };
      return { cluster: current.cluster, brokers };
    });
  }

  onChange(listener: () => void): () => void {
    return this.store.onChange(() => listener());
  }

  close(): Promise<void> {
    return this.store.close();
  }
}

/** Bytes per second from a throttle config; Kafka's Long.MAX_VALUE (the default) means none. */
function rate(props: Record<string, string>, name: string): number {
  const n = Number(props[name]);
  return Number.isFinite(n) && n > 0 && n < Number.MAX_SAFE_INTEGER ? n : Infinity;
}

/**
 * Applies the effective configs to the running broker: new log defaults (for
 * topics without their own override, open logs and logs opened later), the
 * replication throttles and the min.insync.replicas default. Called at start
 * and on every change.
 */
export function applyDynamicBrokerConfigs(services: ReplicatedBroker, dynamic: DynamicBrokerConfigs): void {
  const props = dynamic.effectiveProps();
  services.logs.setDefaults(logDefaultsFromBrokerProps(props));
  // logs only known from the summary start from the new defaults when first used; one config per topic, not per log
  const perTopic = new Map<string, ReturnType<typeof effectiveLogConfig> | null>();
  for (const { topic, log } of services.logs.loadedPartitions()) {
    let cfg = perTopic.get(topic);
    if (cfg === undefined) {
      const info = services.metadata.topic(topic);
      perTopic.set(topic, (cfg = info ? effectiveLogConfig(services, info) : null));
    }
    if (cfg && !log.isClosed) log.updateConfig(cfg);
  }
  const replication = services.replication;
  if (replication) {
    replication.throttle.setRates(rate(props, LEADER_THROTTLE), rate(props, FOLLOWER_THROTTLE));
    // the broker default of min.insync.replicas is read per produce from here
    const minInsync = Number(props['min.insync.replicas'] ?? 1);
    if (Number.isInteger(minInsync) && minInsync >= 1) replication.config.minInsyncReplicas = minInsync;
  }
}

/** Applies now and on every change; returns the unsubscribe function. */
export function followDynamicBrokerConfigs(services: ReplicatedBroker, dynamic: DynamicBrokerConfigs): () => void {
  applyDynamicBrokerConfigs(services, dynamic);
  return dynamic.onChange(() => {
    try {
      applyDynamicBrokerConfigs(services, dynamic);
      services.logger.info(
        { cluster: redactConfigs(dynamic.stored.cluster), broker: redactConfigs(dynamic.stored.brokers[String(services.metadata.self().nodeId)] ?? {}) },
        'dynamic broker configs applied',
      );
    } catch (err) {
      // validated before they were stored; a value that still does not apply is logged, the rest stay in force
      services.logger.error({ err: (err as Error).message }, 'applying dynamic broker configs failed');
    }
  });
}

/** How this broker's properties are set, dynamic configs included when the broker has them. */
export function brokerLayersOf(services: { config: ReplicatedBroker['config']; dynamicConfigs?: DynamicBrokerConfigs }): BrokerLayers {
  const dynamic = services.dynamicConfigs;
  return dynamic ? (name) => dynamic.layers(name) : staticLayers(services.config);
}
