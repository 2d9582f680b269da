import type { Registry } from 'prom-client';
import { registerCustom, type Sample } from '../metrics/customMetric';
import type { ReplicatedBroker } from './replicatedBroker';
import { partitionWriter } from './partitionWriter';

/**
 * Replication health for Prometheus, read at scrape time: partitions led here
 * whose ISR is short of their replicas (under-replicated) or of
 * min.insync.replicas (acks=all refused), ISR size per led partition, produces
 * waiting for the ISR, and the ISR changes this broker made as leader.
 */
export function registerReplicationMetrics(registry: Registry, services: () => ReplicatedBroker | null): void {
  const led = () => {
    const s = services();
    const r = s?.replication;
    if (!s || !r) return [];
    return [...r.all()].filter((p) => p.role === 'leader').map((p) => ({ s, p }));
  };
  registerCustom(registry, 'brook_replication_leader_partitions', 'Partitions this broker leads', 'gauge', () => {
    const s = services();
    return s?.replication ? [{ labels: {}, value: led().length }] : [];
  });
  registerCustom(registry, 'brook_replication_under_replicated_partitions', 'Partitions led here whose ISR is smaller than their replica set', 'gauge', () => {
    const s = services();
    return s?.replication ? [{ labels: {}, value: led().filter(({ p }) => p.state.isr.length < p.state.replicas.length).length }] : [];
  });
  registerCustom(registry, 'brook_replication_under_min_isr_partitions', 'Partitions led here with fewer in-sync replicas than min.insync.replicas (acks=all refused)', 'gauge', () => {
    const s = services();
    if (!s?.replication) return [];
    const writer = partitionWriter(s);
    const n = led().filter(({ p }) => p.state.isr.length < writer.minInsync(p.state.topic)).length;
    return [{ labels: {}, value: n }];
  });
  registerCustom(registry, 'brook_replication_isr_size', 'In-sync replicas of a partition led here', 'gauge', () =>
    led().map(({ p }): Sample => ({ labels: { topic: p.state.topic, partition: String(p.state.partition) }, value: p.state.isr.length })),
  );
  registerCustom(registry, 'brook_replication_pending_acks', 'acks=all produces waiting for the ISR', 'gauge', () => {
    const s = services();
    return s?.replication ? [{ labels: {}, value: led().reduce((n, { p }) => n + p.pendingAcks, 0) }] : [];
  });
  registerCustom(registry, 'brook_replication_follower_fetches_total', 'Follower fetches answered by this broker as leader, by whether the answer carried records', 'counter', () => {
    const r = services()?.replication;
    return r
      ? [
          { labels: { answer: 'data' }, value: r.followerFetchesWithData },
          { labels: { answer: 'empty' }, value: r.followerFetchesEmpty },
        ]
      : [];
  });
  registerCustom(registry, 'brook_replication_isr_changes_total', 'ISR changes made by this broker as leader', 'counter', () => {
    const r = services()?.replication;
    return r
      ? [
          { labels: { change: 'shrink' }, value: r.isrShrinks },
          { labels: { change: 'expand' }, value: r.isrExpands },
        ]
      : [];
  });
}
