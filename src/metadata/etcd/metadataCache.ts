import type { BrokerIdentity, MetadataEvent, PartitionState, TopicInfo } from '../types';
import { decodeBroker, decodePartition, decodeTopic, type KeyLayout } from './layout';

/** One key's new value (null = deleted) at its mod revision. */
export interface KeyChange {
  key: string;
  value: string | null;
  modRevision: string;
}

function samePartition(a: PartitionState, b: PartitionState): boolean {
  return a.leader === b.leader && a.leaderEpoch === b.leaderEpoch && a.partitionEpoch === b.partitionEpoch && a.isr.join() === b.isr.join() && a.replicas.join() === b.replicas.join() && String(a.addingReplicas ?? '') === String(b.addingReplicas ?? '') && String(a.removingReplicas ?? '') === String(b.removingReplicas ?? '');
}

function sameConfigs(a: Record<string, string>, b: Record<string, string>): boolean {
  const ka = Object.keys(a);
  return ka.length === Object.keys(b).length && ka.every((k) => a[k] === b[k]);
}

/**
 * This broker's copy of the cluster metadata in etcd. Changes arrive as key
 * changes (from the watch, one revision at a time, or from a full re-read
 * after an outage) and come out as the MetadataEvents they amount to, so
 * listeners see the same events whichever way the change arrived.
 */
export class MetadataCache {
  readonly topics = new Map<string, TopicInfo>();
  readonly topicsById = new Map<string, TopicInfo>();
  /** Per topic, indexed by partition. */
  readonly partitions = new Map<string, PartitionState[]>();
  readonly brokers = new Map<number, BrokerIdentity>();
  controllerId = -1;
  /** Mod revision of every key held, for compare-and-swap writes. */
  readonly modRevisions = new Map<string, string>();

  constructor(private readonly keys: KeyLayout) {}

  /** Every key currently held (for a resync diff). */
  heldKeys(): string[] {
    return [...this.modRevisions.keys()];
  }

  apply(changes: readonly KeyChange[]): MetadataEvent[] {
    const topicsBefore = new Map<string, TopicInfo | undefined>();
    const touchedPartitions = new Map<string, Set<number>>();
    let brokersChanged = false;
    for (const c of changes) {
      const k = this.keys.parse(c.key);
      if (!k) continue;
      if (c.value === null) this.modRevisions.delete(c.key);
      else this.modRevisions.set(c.key, c.modRevision);
      switch (k.kind) {
        case 'controller':
          this.controllerId = c.value === null ? -1 : Number(c.value);
          break;
        case 'broker':
          if (c.value === null) brokersChanged = this.brokers.delete(k.nodeId) || brokersChanged;
          else {
            const b = decodeBroker(c.value);
            const old = this.brokers.get(k.nodeId);
            if (!old || JSON.stringify(old) !== JSON.stringify(b)) brokersChanged = true;
            this.brokers.set(k.nodeId, b);
          }
          break;
        case 'topic': {
          if (!topicsBefore.has(k.name)) topicsBefore.set(k.name, this.topics.get(k.name));
          const old = this.topics.get(k.name);
          if (old) this.topicsById.delete(old.id.toString('hex'));
          if (c.value === null) this.topics.delete(k.name);
          else {
            const t = decodeTopic(c.value);
            this.topics.set(k.name, t);
            this.topicsById.set(t.id.toString('hex'), t);
          }
          break;
        }
        case 'partition': {
          const list = this.partitions.get(k.topic) ?? [];
          const touched = touchedPartitions.get(k.topic) ?? new Set<number>();
          touchedPartitions.set(k.topic, touched);
          if (c.value === null) {
            delete list[k.partition];
          } else {
            const s = decodePartition(c.value);
            const old = list[k.partition];
            if (!old || !samePartition(old, s)) touched.add(k.partition);
            list[k.partition] = s;
          }
          if (list.some((s) => s !== undefined)) this.partitions.set(k.topic, list);
          else this.partitions.delete(k.topic);
          break;
        }
      }
    }
    return this.events(topicsBefore, touchedPartitions, brokersChanged);
  }

  private events(topicsBefore: Map<string, TopicInfo | undefined>, touchedPartitions: Map<string, Set<number>>, brokersChanged: boolean): MetadataEvent[] {
    const out: MetadataEvent[] = [];
    // Brokers first: a topic created on a new broker should find it listed.
    if (brokersChanged) out.push({ type: 'brokers-changed' });
    for (const [name, before] of topicsBefore) {
      const after = this.topics.get(name);
      const skip = touchedPartitions.get(name);
      if (before && (!after || !after.id.equals(before.id))) {
        out.push({ type: 'topic-deleted', topic: before });
        touchedPartitions.delete(name);
      }
      if (after && (!before || !after.id.equals(before.id))) {
        out.push({ type: 'topic-created', topic: after });
        touchedPartitions.delete(name);
        continue;
      }
      if (!before || !after) continue;
      if (after.partitions > before.partitions) {
        out.push({ type: 'partitions-added', topic: after, previous: before.partitions });
        for (let p = before.partitions; p < after.partitions; p++) skip?.delete(p);
      }
      if (!sameConfigs(before.configs, after.configs)) out.push({ type: 'configs-altered', topic: after });
    }
    for (const [topic, set] of touchedPartitions) {
      if (!this.topics.has(topic)) continue;
      const list = this.partitions.get(topic) ?? [];
      for (const p of [...set].sort((a, b) => a - b)) {
        const state = list[p];
        if (state) out.push({ type: 'partition-changed', state });
      }
    }
    return out;
  }
}
