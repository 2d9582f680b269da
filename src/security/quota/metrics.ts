import type { Registry } from 'prom-client';
import { registerCustom, type Sample } from '../../metrics/customMetric';
import type { QuotaServices } from './services';

/**
 * Quota figures for Prometheus, read from plain counters at scrape time:
 * how often clients went over their byte-rate quota and for how long they
 * were throttled, and how many connections the limits refused and why.
 */
export function registerQuotaMetrics(registry: Registry, quotas: () => QuotaServices | undefined): void {
  registerCustom(registry, 'brook_quota_throttled_requests_total', 'Produce/fetch requests that put their client over its byte-rate quota', 'counter', () => {
    const q = quotas();
    if (!q) return [];
    return [
      { labels: { type: 'produce' }, value: q.produce.throttledRequests },
      { labels: { type: 'fetch' }, value: q.fetch.throttledRequests },
    ];
  });
  registerCustom(registry, 'brook_quota_throttle_seconds_total', 'Throttle time given to clients over their byte-rate quota', 'counter', () => {
    const q = quotas();
    if (!q) return [];
    return [
      { labels: { type: 'produce' }, value: q.produce.throttleMsTotal / 1000 },
      { labels: { type: 'fetch' }, value: q.fetch.throttleMsTotal / 1000 },
    ];
  });
  registerCustom(registry, 'brook_connections_refused_total', 'Connections closed at accept time by a connection limit', 'counter', () => {
    const q = quotas();
    const out: Sample[] = [];
    if (q) for (const [reason, n] of q.connections.refused) out.push({ labels: { reason }, value: n });
    return out;
  });
}
