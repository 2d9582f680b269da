import type { BrokerIdentity, PartitionState, TopicInfo } from '../types';

/**
 * Where each record lives in etcd, under `<prefix>/<clusterId>/`:
 *   brokers/<nodeId>            BrokerIdentity (JSON), attached to the broker's lease
 *   controller                  node id of the controller, attached to its lease
 *   topics/<name>               StoredTopic (JSON)
 *   partitions/<name>/<index>   PartitionState (JSON)
 *   producer-id-block           first producer id not yet reserved by any broker
 * Topic names cannot contain '/', so the paths parse unambiguously.
 */
export class KeyLayout {
  constructor(readonly root: string) {}

  static clusterIdKey(prefix: string): string {
    return `${prefix}/cluster-id`;
  }

  broker(nodeId: number): string {
    return `${this.root}brokers/${nodeId}`;
  }
  get brokersPrefix(): string {
    return `${this.root}brokers/`;
  }
  get controller(): string {
    return `${this.root}controller`;
  }
  topic(name: string): string {
    return `${this.root}topics/${name}`;
  }
  partition(topic: string, partition: number): string {
    return `${this.root}partitions/${topic}/${partition}`;
  }
  /** The next producer id no broker has reserved yet (decimal). */
  get producerIdBlock(): string {
    return `${this.root}producer-id-block`;
  }
  partitionsOf(topic: string): string {
    return `${this.root}partitions/${topic}/`;
  }

  parse(key: string): ParsedKey | null {
    if (!key.startsWith(this.root)) return null;
    const rest = key.slice(this.root.length);
    if (rest === 'controller') return { kind: 'controller' };
    const parts = rest.split('/');
    if (parts[0] === 'brokers' && parts.length === 2) return { kind: 'broker', nodeId: Number(parts[1]) };
    if (parts[0] === 'topics' && parts.length === 2) return { kind: 'topic', name: parts[1] };
    if (parts[0] === 'partitions' && parts.length === 3) return { kind: 'partition', topic: parts[1], partition: Number(parts[2]) };
    return null;
  }
}

export type ParsedKey =
  | { kind: 'controller' }
  | { kind: 'broker'; nodeId: number }
  | { kind: 'topic'; name: string }
  | { kind: 'partition'; topic: string; partition: number };

interface StoredTopic {
  name: string;
  id: string;
  partitions: number;
  configs: Record<string, string>;
  internal: boolean;
}

export function encodeTopic(t: TopicInfo): string {
  const stored: StoredTopic = { name: t.name, id: t.id.toString('hex'), partitions: t.partitions, configs: t.configs, internal: t.internal };
  return JSON.stringify(stored);
}

export function decodeTopic(json: string): TopicInfo {
  const s = JSON.parse(json) as StoredTopic;
  return { name: s.name, id: Buffer.from(s.id, 'hex'), partitions: s.partitions, configs: { ...s.configs }, internal: s.internal };
}

export function encodePartition(s: PartitionState): string {
  return JSON.stringify(s);
}

export function decodePartition(json: string): PartitionState {
  return JSON.parse(json) as PartitionState;
}

/** The whole identity object is stored, so fields other work adds (listener endpoints) travel with it. */
export function encodeBroker(b: BrokerIdentity): string {
  return JSON.stringify(b);
}

export function decodeBroker(json: string): BrokerIdentity {
  return JSON.parse(json) as BrokerIdentity;
}
