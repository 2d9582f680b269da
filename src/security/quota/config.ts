import { parsePerIpOverrides, UNLIMITED, type ConnectionLimitConfig } from './connectionLimits';
import type { RateWindow } from './rate';

export interface QuotaConfig {
  window: RateWindow;
  connections: ConnectionLimitConfig;
}

function positiveInt(raw: Record<string, string>, key: string, dflt: number): number {
  const v = raw[key];
  if (v === undefined) return dflt;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new Error(`${key}: not a positive integer: ${v}`);
  return n;
}

/** Read from the broker's raw properties so quota keys need no change to the shared config types. */
export function quotaConfigFrom(raw: Record<string, string>): QuotaConfig {
  return {
    window: {
      samples: positiveInt(raw, 'quota.window.num', 11),
      windowMs: positiveInt(raw, 'quota.window.size.seconds', 1) * 1000,
    },
    connections: {
      maxConnections: positiveInt(raw, 'max.connections', UNLIMITED),
      // Kafka allows 0 here only together with overrides; any non-negative cap is accepted.
      maxPerIp: raw['max.connections.per.ip'] === undefined ? UNLIMITED : nonNegativeInt(raw, 'max.connections.per.ip'),
      perIpOverrides: parsePerIpOverrides(raw['max.connections.per.ip.overrides']),
      perListener: perListenerCaps(raw),
    },
  };
}

function nonNegativeInt(raw: Record<string, string>, key: string): number {
  const n = Number(raw[key]);
  if (!Number.isInteger(n) || n < 0) throw new Error(`${key}: not a non-negative integer: ${raw[key]}`);
  return n;
}

/** `listener.name.<listener>.max.connections` for every listener that has one (Kafka's listener names are case-insensitive here). */
function perListenerCaps(raw: Record<string, string>): Map<string, number> {
  const out = new Map<string, number>();
  for (const key of Object.keys(raw)) {
    const m = /^listener\.name\.([^.]+)\.max\.connections$/.exec(key);
    if (m) out.set(m[1].toLowerCase(), positiveInt(raw, key, UNLIMITED));
  }
  return out;
}
