import { promises as dns } from 'node:dns';
import { isIP, type Socket } from 'node:net';
import type { Logger } from '../../log';
import { CONNECTION_CREATION_RATE } from './entity';
import { WindowedRate, type RateWindow } from './rate';
import type { QuotaEntry } from './store';

export interface ConnectionLimitConfig {
  /** Broker-wide cap (`max.connections`). */
  maxConnections: number;
  /** Per client address (`max.connections.per.ip`). */
  maxPerIp: number;
  /** `max.connections.per.ip.overrides`: address -> cap. */
  perIpOverrides: ReadonlyMap<string, number>;
  /** `listener.name.<listener>.max.connections`, keyed by the listener name in lower case. */
  perListener: ReadonlyMap<string, number>;
}

export const UNLIMITED = 0x7fffffff;

export type RefusalReason = 'max_connections' | 'listener_max_connections' | 'max_connections_per_ip' | 'connection_creation_rate';

/** `1.2.3.4:10,::1:5` -> map; an IPv6 address ends at the last colon. */
export function parsePerIpOverrides(value: string | undefined): Map<string, number> {
  const out = new Map<string, number>();
  if (value === undefined || value.trim() === '') return out;
  for (const item of value.split(',')) {
    const at = item.lastIndexOf(':');
    const host = item.slice(0, at).trim();
    const n = Number(item.slice(at + 1).trim());
    if (at <= 0 || !Number.isInteger(n) || n < 0) throw new Error(`max.connections.per.ip.overrides: invalid entry "${item}" (want host:count)`);
    out.set(normalizeAddress(host), n);
  }
  return out;
}

/** Host names in the overrides stand for every address they resolve to (at start, as Kafka resolves them when configured). */
export async function resolveOverrideHosts(overrides: ReadonlyMap<string, number>): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  for (const [host, n] of overrides) {
    if (isIP(host) !== 0) {
      out.set(host, n);
      continue;
    }
    let addresses: Array<{ address: string }>;
    try {
      addresses = await dns.lookup(host, { all: true });
    } catch (err) {
      throw new Error(`max.connections.per.ip.overrides: cannot resolve ${host}: ${(err as Error).message}`);
    }
    for (const a of addresses) out.set(normalizeAddress(a.address), n);
  }
  return out;
}

/** IPv4 clients of a dual-stack listener show up as `::ffff:1.2.3.4`; overrides name them plainly. */
export function normalizeAddress(address: string): string {
  const a = address.startsWith('[') && address.endsWith(']') ? address.slice(1, -1) : address;
  return a.startsWith('::ffff:') && a.includes('.') ? a.slice(7) : a;
}

/**
 * Refuses connections at accept time, before anything is read from them:
 * over the broker-wide cap, over the per-address cap, or over the address's
 * `connection_creation_rate` quota (KIP-612). Refusals are logged at most once
 * a second per address, so a flood cannot flood the log.
 */
export class ConnectionLimiter {
  private total = 0;
  private readonly byListener = new Map<string, number>();
  private readonly perIp = new Map<string, number>();
  private readonly lastLogged = new Map<string, number>();
  private readonly creationRates = new Map<string, WindowedRate>();
  private ipRates = new Map<string | null, number>();
  private lastSweepMs = 0;
  /** Refused connections by reason (for metrics). */
  readonly refused = new Map<RefusalReason, number>();

  constructor(
    private readonly config: ConnectionLimitConfig,
    private readonly window: RateWindow,
    private readonly logger: Logger,
    entries: readonly QuotaEntry[],
    private readonly clock: () => number = Date.now,
  ) {
    this.reload(entries);
  }

  reload(entries: readonly QuotaEntry[]): void {
    const m = new Map<string | null, number>();
    for (const e of entries) {
      const v = e.values[CONNECTION_CREATION_RATE];
      if (e.entity.ip !== undefined && v !== undefined) m.set(e.entity.ip === null ? null : normalizeAddress(e.entity.ip), v);
    }
    this.ipRates = m;
    if (m.size === 0) this.creationRates.clear();
  }

  get connectionCount(): number {
    return this.total;
  }

  connectionsFrom(address: string): number {
    return this.perIp.get(normalizeAddress(address)) ?? 0;
  }

  /**
   * Counts the socket in, or destroys it and returns false. The count drops when
   * the socket closes. `listener` (its name) applies `listener.name.<l>.max.connections`.
   */
  admit(socket: Socket, listener?: string): boolean {
    const ip = normalizeAddress(socket.remoteAddress ?? '');
    const key = listener?.toLowerCase();
    const refusal = this.refusal(ip, key);
    if (refusal !== null) {
      this.refused.set(refusal.reason, (this.refused.get(refusal.reason) ?? 0) + 1);
      this.logRefusal(ip, refusal.message);
      socket.destroy();
      return false;
    }
    this.total++;
    this.perIp.set(ip, (this.perIp.get(ip) ?? 0) + 1);
    if (key !== undefined) this.byListener.set(key, (this.byListener.get(key) ?? 0) + 1);
    socket.once('close', () => this.release(ip, key));
    return true;
  }

  private refusal(ip: string, listener: string | undefined): { reason: RefusalReason; message: string } | null {
    if (this.total >= this.config.maxConnections) return { reason: 'max_connections', message: `max.connections ${this.config.maxConnections} reached` };
    const listenerCap = listener === undefined ? undefined : this.config.perListener.get(listener);
    if (listenerCap !== undefined && (this.byListener.get(listener!) ?? 0) >= listenerCap) {
      return { reason: 'listener_max_connections', message: `listener.name.${listener}.max.connections ${listenerCap} reached` };
    }
    const cap = this.config.perIpOverrides.get(ip) ?? this.config.maxPerIp;
    if ((this.perIp.get(ip) ?? 0) >= cap) return { reason: 'max_connections_per_ip', message: `max.connections.per.ip ${cap} reached for ${ip}` };
    if (this.ipRates.size > 0) {
      const limit = this.ipRates.get(ip) ?? this.ipRates.get(null);
      if (limit !== undefined) {
        const now = this.clock();
        this.sweepCreationRates(now);
        let rate = this.creationRates.get(ip);
        if (!rate) {
          rate = new WindowedRate(this.window, now);
          this.creationRates.set(ip, rate);
        }
        rate.record(1, now);
        if (rate.throttleMs(limit, now) > 0) {
          // A refused attempt should not keep the address locked out longer.
          rate.unrecord(1);
          return { reason: 'connection_creation_rate', message: `connection_creation_rate ${limit}/s exceeded for ${ip}` };
        }
      }
    }
    return null;
  }

  /** Rates of addresses quiet for a whole window hold nothing anymore; dropping them bounds memory under a flood from many addresses. */
  private sweepCreationRates(now: number): void {
    const span = this.window.samples * this.window.windowMs;
    if (now - this.lastSweepMs < span) return;
    this.lastSweepMs = now;
    for (const [ip, r] of this.creationRates) if (now - r.lastRecordMs >= span) this.creationRates.delete(ip);
  }

  /** Addresses with a connection creation rate being measured (for tests and introspection). */
  get trackedAddresses(): number {
    return this.creationRates.size;
  }

  private release(ip: string, listener: string | undefined): void {
    this.total--;
    if (listener !== undefined) this.byListener.set(listener, (this.byListener.get(listener) ?? 1) - 1);
    const n = (this.perIp.get(ip) ?? 1) - 1;
    if (n <= 0) this.perIp.delete(ip);
    else this.perIp.set(ip, n);
  }

  private logRefusal(ip: string, reason: string): void {
    const now = this.clock();
    const last = this.lastLogged.get(ip);
    if (last !== undefined && now - last < 1000) return;
    if (this.lastLogged.size > 10_000) {
      for (const [k, t] of this.lastLogged) if (now - t >= 1000) this.lastLogged.delete(k);
    }
    this.lastLogged.set(ip, now);
    this.logger.warn({ remote: ip, reason }, 'connection refused');
  }
}
