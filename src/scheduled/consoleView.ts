import type { BrokerServices } from '../handlers/types';
import { schedulerOf } from './services';

export interface ScheduledTopicRow {
  topic: string;
  pending: number;
  delivered: number;
}

export interface ScheduledView {
  /** False in cluster mode (not served there yet). */
  enabled: boolean;
  pending: number;
  topics: ScheduledTopicRow[];
  next: Array<{ id: number; due: number; topic: string; partition: number; key: string | null; scheduleId: string | null }>;
}

/** The console's view of scheduled delivery: pending per target topic and the next ones due. */
export async function scheduledView(s: BrokerServices, mayDescribe: (topic: string) => boolean): Promise<ScheduledView> {
  const scheduler = schedulerOf(s);
  if (!scheduler) return { enabled: false, pending: 0, topics: [], next: [] };
  const pending = scheduler.pendingByTopic();
  const names = new Set([...pending.keys(), ...scheduler.deliveredTotal.keys()]);
  const topics = [...names]
    .filter(mayDescribe)
    .sort()
    .map((topic) => ({ topic, pending: pending.get(topic) ?? 0, delivered: scheduler.deliveredTotal.get(topic) ?? 0 }));
  const next = (await scheduler.list(20))
    .filter((p) => mayDescribe(p.topic))
    .map((p) => ({ id: p.offset, due: p.due, topic: p.topic, partition: p.partition, key: p.key?.toString() ?? null, scheduleId: p.scheduleId }));
  return { enabled: true, pending: topics.reduce((n, t) => n + t.pending, 0), topics, next };
}
