import type { Registry } from 'prom-client';
import { registerCustom, type Sample } from '../metrics/customMetric';
import type { Scheduler } from './scheduler';

/**
 * Scheduled delivery for Prometheus, read at scrape time: pending schedules, deliveries per target topic
 * (rate() of it is the due-per-second figure) and how late deliveries were against their due time.
 */
export function registerScheduledMetrics(registry: Registry, scheduler: () => Scheduler | undefined): void {
  registerCustom(registry, 'brook_scheduled_pending', 'Scheduled records not yet delivered or cancelled, per target topic', 'gauge', () => {
    const s = scheduler();
    const out: Sample[] = [];
    if (s) for (const [topic, value] of s.pendingByTopic()) out.push({ labels: { topic }, value });
    return out;
  });
  registerCustom(registry, 'brook_scheduled_index_bytes', 'Memory held by the scheduled-delivery index', 'gauge', () => {
    const s = scheduler();
    return s ? [{ labels: {}, value: s.index.bytes }] : [];
  });
  registerCustom(registry, 'brook_scheduled_delivered_total', 'Scheduled records moved into their target topic since start', 'counter', () => {
    const s = scheduler();
    const out: Sample[] = [];
    if (s) for (const [topic, value] of s.deliveredTotal) out.push({ labels: { topic }, value });
    return out;
  });
  registerCustom(registry, 'brook_scheduled_delivery_lateness_seconds', 'Time from a scheduled record falling due to its append into the target partition', 'histogram', () => {
    const s = scheduler();
    return s ? s.lateness.samples('brook_scheduled_delivery_lateness_seconds', {}) : [];
  });
}
