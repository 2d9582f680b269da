import { readFileSync } from 'node:fs';
import { ErrorCode } from '../../protocol/errors';
import { logDefaultsFromBrokerProps } from '../config/logConfigMapping';
import { ConfigType, type ConfigTypeValue } from './configTypes';
import { longValue, type ValueCheck } from './configValues';
import { topicConfigDefs } from './topicConfigCatalog';

/** A broker config that AlterConfigs may set on a BROKER resource (Kafka's DynamicBrokerConfig). */
export interface DynamicBrokerConfigDef {
  name: string;
  type: ConfigTypeValue;
  defaultValue: string | null;
  doc: string;
  check: ValueCheck;
  /** Applied to running brokers at once; otherwise stored and reported only (Brook does not act on it). */
  live: boolean;
}

const LONG_MAX = '9223372036854775807';

/** Replication throttles (bytes/s) for reassignment catch-up traffic (src/replication/throttle.ts). */
export const LEADER_THROTTLE = 'leader.replication.throttled.rate';
export const FOLLOWER_THROTTLE = 'follower.replication.throttled.rate';

/**
 * Broker configs Kafka marks read-only (a restart is needed) that Brook reads:
 * altering them is refused with this message rather than stored and ignored.
 */
const READ_ONLY: ReadonlySet<string> = new Set([
  'node.id', 'broker.id', 'log.dirs', 'log.dir', 'listeners', 'advertised.listeners', 'listener.security.protocol.map',
  'inter.broker.listener.name', 'metadata.backend', 'etcd.endpoints', 'etcd.prefix', 'broker.rack', 'process.roles',
  'cluster.id', 'broker.session.timeout.ms', 'auto.create.topics.enable', 'delete.topic.enable', 'num.partitions',
  'default.replication.factor', 'offsets.topic.replication.factor', 'offsets.topic.num.partitions',
  'socket.request.max.bytes', 'authorizer.class.name', 'sasl.enabled.mechanisms', 'replica.lag.time.max.ms',
  'group.share.max.share.sessions',
]);

function build(): Map<string, DynamicBrokerConfigDef> {
  const out = new Map<string, DynamicBrokerConfigDef>();
  for (const def of topicConfigDefs()) {
    for (const syn of def.synonyms) {
      if (out.has(syn.name)) continue;
      const scale = syn.scale;
      out.set(syn.name, {
        name: syn.name,
        type: scale ? ConfigType.LONG : def.type,
        defaultValue: syn.defaultValue ?? null,
        doc: `Broker default of the topic config ${def.name}. ${def.doc}`,
        // same rules as the topic config, in the broker property's units; then the storage mapping must take it
        check: (v) => {
          const n = Number(v);
          const reason = def.check(scale && Number.isInteger(n) && n >= 0 ? String(n * scale) : v);
          if (reason) return reason;
          try {
            logDefaultsFromBrokerProps({ [syn.name]: v });
          } catch (err) {
            return (err as Error).message;
          }
          return null;
        },
        live: true,
      });
    }
  }
  for (const name of [LEADER_THROTTLE, FOLLOWER_THROTTLE]) {
    out.set(name, {
      name,
      type: ConfigType.LONG,
      defaultValue: LONG_MAX,
      doc: `Bytes per second this broker ${name.startsWith('leader') ? 'sends to' : 'fetches for'} replicas catching up in a partition reassignment (Kafka's replication quota).`,
      check: longValue(1),
      live: true,
    });
  }
  return out;
}

let catalog: Map<string, DynamicBrokerConfigDef> | null = null;

/**
 * A listener's keystore and truststore (Kafka updates these per broker at
 * runtime): new TLS connections get the new material, open ones keep theirs.
 */
const LISTENER_SSL = /^(listener\.name\.[^.]+\.)?ssl\.(keystore\.location|keystore\.key|keystore\.certificate\.chain|key\.location|certificate\.location|key\.password|truststore\.location|truststore\.certificates|ca\.location)$/;

/** Whether Kafka marks `name` read-only and Brook reads it (altering it is refused). */
export function isReadOnlyBrokerConfig(name: string): boolean {
  return READ_ONLY.has(name);
}

export function isListenerSslConfig(name: string): boolean {
  return LISTENER_SSL.test(name);
}

function listenerSslDef(name: string): DynamicBrokerConfigDef {
  const isFile = /location$/.test(name);
  return {
    name,
    type: /password|keystore\.key$/.test(name) ? ConfigType.PASSWORD : ConfigType.STRING,
    defaultValue: null,
    doc: 'TLS material of a listener, reloaded for new connections when changed (per broker only).',
    check: (v) => {
      if (!isFile) return v.trim() === '' && !/password/.test(name) ? 'empty value' : null;
      try {
        readFileSync(v, 'utf8');
        return null;
      } catch (err) {
        return `cannot read ${v}: ${(err as Error).message}`;
      }
    },
    live: true,
  };
}

export function dynamicBrokerConfigDef(name: string): DynamicBrokerConfigDef | undefined {
  catalog ??= build();
  return catalog.get(name) ?? (LISTENER_SSL.test(name) ? listenerSslDef(name) : undefined);
}

export function dynamicBrokerConfigDefs(): DynamicBrokerConfigDef[] {
  catalog ??= build();
  return [...catalog.values()];
}

/** Why `name` cannot be set (or, value null, removed) as a dynamic broker config, or null (read-only: INVALID_REQUEST, as Kafka answers). */
export function dynamicConfigProblem(name: string, value: string | null, resourceName = ''): { errorCode: number; message: string } | null {
  if (resourceName === '' && LISTENER_SSL.test(name)) return { errorCode: ErrorCode.INVALID_REQUEST, message: `${name} can be updated per broker only, not as a cluster-wide default` };
  if (READ_ONLY.has(name)) return { errorCode: ErrorCode.INVALID_REQUEST, message: `${name} is read-only: it cannot be updated dynamically; set it in the properties file and restart` };
  const def = dynamicBrokerConfigDef(name);
  if (!def) return { errorCode: ErrorCode.INVALID_CONFIG, message: `${name} is not a dynamic broker config Brook knows` };
  if (value === null) return null;
  const reason = def.check(value);
  return reason ? { errorCode: ErrorCode.INVALID_CONFIG, message: `${name}: ${reason}` } : null;
}
