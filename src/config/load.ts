import { readFileSync } from 'node:fs';
import { defaultSegmentHandleCap } from './fdLimit';
import type { BrokerConfig } from './brokerConfig';
import { logDefaultsFromBrokerProps } from './logConfigMapping';
import { parseProperties } from './properties';
import { listenersFromProps, parseListeners } from './listeners';

export interface ConfigSources {
  /** Path of a properties file (`--config`). */
  file?: string;
  /** key=value overrides applied after the file (`--set`). */
  overrides?: Record<string, string>;
  host?: string;
  port?: number;
  dataDir?: string;
}

const MiB = 1024 * 1024;

function intProp(props: Record<string, string>, key: string, dflt: number): number {
  const v = props[key];
  if (v === undefined) return dflt;
  const n = Number(v);
  if (!Number.isInteger(n)) throw new Error(`${key}: not an integer: ${v}`);
  return n;
}

function boolProp(props: Record<string, string>, key: string, dflt: boolean): boolean {
  const v = props[key];
  if (v === undefined) return dflt;
  if (v !== 'true' && v !== 'false') throw new Error(`${key}: not a boolean: ${v}`);
  return v === 'true';
}

export { parseListeners };

export function buildConfig(props: Record<string, string>, src: Omit<ConfigSources, 'file' | 'overrides'> = {}): BrokerConfig {
  // An explicit `listeners` wins over --host/--port; host/port then name the first listener.
  const listeners = listenersFromProps(props, src.host ?? props['host'] ?? '127.0.0.1', src.port ?? intProp(props, 'port', 9092));
  return {
    nodeId: intProp(props, 'node.id', intProp(props, 'broker.id', 1)),
    host: listeners[0].host,
    port: listeners[0].port,
    listeners,
    dataDir: src.dataDir ?? props['log.dirs']?.split(',')[0] ?? props['log.dir'] ?? './data',
    advertisedListeners: parseListeners(props['advertised.listeners'] ?? ''),
    clusterId: props['cluster.id'] ?? null,
    numPartitions: intProp(props, 'num.partitions', 1),
    defaultReplicationFactor: intProp(props, 'default.replication.factor', 1),
    autoCreateTopicsEnable: boolProp(props, 'auto.create.topics.enable', true),
    deleteTopicEnable: boolProp(props, 'delete.topic.enable', true),
    socketRequestMaxBytes: intProp(props, 'socket.request.max.bytes', 100 * MiB),
    connectionsMaxIdleMs: intProp(props, 'connections.max.idle.ms', 10 * 60_000),
    maxInFlightRequestsPerConnection: intProp(props, 'brook.max.inflight.requests', 100),
    socketWriteHighWaterMark: intProp(props, 'brook.socket.write.high.water.mark', 16 * MiB),
    fetchSessionCacheSlots: intProp(props, 'max.incremental.fetch.session.cache.slots', 1000),
    fetchMaxWaitMsCap: intProp(props, 'brook.fetch.max.wait.ms.cap', 30_000),
    maxOpenSegmentHandles: intProp(props, 'brook.log.max.open.segment.handles', defaultSegmentHandleCap()),
    logDefaults: logDefaultsFromBrokerProps(props),
    raw: { ...props },
  };
}

/** File, then overrides, then explicit flags (highest precedence). */
export function loadConfig(src: ConfigSources): BrokerConfig {
  const props = src.file ? parseProperties(readFileSync(src.file, 'utf8')) : {};
  Object.assign(props, src.overrides ?? {});
  return buildConfig(props, src);
}
