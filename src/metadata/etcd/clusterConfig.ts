import type { BrokerConfig } from '../../config/brokerConfig';

/** Cluster-mode settings, read from the broker's properties (they live in `raw` so the config schema stays single-broker). */
export interface ClusterConfig {
  backend: 'local' | 'etcd';
  endpoints: string[];
  /** Every key lives under `<prefix>/`; several clusters can share one etcd. */
  prefix: string;
  /** Lease TTL of a broker's registration: how long a dead broker keeps its partitions. */
  sessionTimeoutMs: number;
  uncleanLeaderElection: boolean;
  autoLeaderRebalance: boolean;
  /** Replicas of the internal topics (`__consumer_offsets`, `__transaction_state`, `__brook_…`); created only once that many brokers are alive. */
  internalReplicationFactor: number;
}

function int(raw: Record<string, string>, key: string, dflt: number): number {
  const v = raw[key];
  if (v === undefined) return dflt;
  const n = Number(v);
  if (!Number.isInteger(n) || n <= 0) throw new Error(`${key}: not a positive integer: ${v}`);
  return n;
}

function bool(raw: Record<string, string>, key: string, dflt: boolean): boolean {
  const v = raw[key];
  if (v === undefined) return dflt;
  if (v !== 'true' && v !== 'false') throw new Error(`${key}: not a boolean: ${v}`);
  return v === 'true';
}

export function clusterConfig(config: Pick<BrokerConfig, 'raw'>): ClusterConfig {
  const raw = config.raw;
  const backend = raw['metadata.backend'] ?? 'local';
  if (backend !== 'local' && backend !== 'etcd') throw new Error(`metadata.backend: expected local or etcd, got ${backend}`);
  const endpoints = (raw['etcd.endpoints'] ?? 'http://127.0.0.1:2379')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  const prefix = (raw['etcd.prefix'] ?? '/brook').replace(/\/+$/, '');
  if (prefix === '' || !prefix.startsWith('/')) throw new Error(`etcd.prefix must start with / and name something, got ${raw['etcd.prefix']}`);
  return {
    backend,
    endpoints,
    prefix,
    // Kafka's default is 9 s; 3 s keeps failover (lease expiry + election) within the 5 s target.
    sessionTimeoutMs: int(raw, 'broker.session.timeout.ms', 3000),
    uncleanLeaderElection: bool(raw, 'unclean.leader.election.enable', false),
    autoLeaderRebalance: bool(raw, 'auto.leader.rebalance.enable', false),
    internalReplicationFactor: int(raw, 'offsets.topic.replication.factor', 3),
  };
}
