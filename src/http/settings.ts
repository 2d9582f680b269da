import type { BrokerConfig } from '../config/brokerConfig';

/** The broker's HTTP side (console, REST proxy, Schema Registry) as set by `brook.http.*` properties. */
export interface HttpSettings {
  /** Largest request body accepted; longer ones get 413. */
  maxRequestBytes: number;
  /** Requests per second per client address (token bucket, burst of one second); 0 = unlimited. */
  rateLimitPerSec: number;
  /** How long a console login lasts without use. */
  sessionTtlMs: number;
  /** Serve HTTPS with the certificates of this listener (an SSL or SASL_SSL one); null = plain HTTP. */
  tlsListener: string | null;
  /** Serve the Schema Registry API. */
  schemaRegistry: boolean;
  /** Serve the REST proxy API. */
  restProxy: boolean;
  /** Replication factor of `_schemas` when the registry creates it (in a cluster, created once that many brokers are alive). */
  schemasReplicationFactor: number;
  /** An idle REST v2 consumer instance is destroyed (and leaves its group) after this long (Confluent's consumer.instance.timeout.ms). */
  consumerInstanceTimeoutMs: number;
}

export interface HttpConfigDef {
  name: string;
  type: 'INT' | 'LONG' | 'STRING' | 'BOOLEAN';
  defaultValue: string;
  doc: string;
}

/** Every `brook.http.*` property, for parsing here and for DescribeConfigs. */
export const HTTP_CONFIG_DEFS: readonly HttpConfigDef[] = [
  { name: 'brook.http.max.request.bytes', type: 'INT', defaultValue: String(8 << 20), doc: 'Brook: largest HTTP request body accepted (413 beyond).' },
  { name: 'brook.http.rate.limit.per.sec', type: 'INT', defaultValue: '2000', doc: 'Brook: HTTP requests per second per client address (429 beyond); 0 = unlimited.' },
  { name: 'brook.http.session.ttl.ms', type: 'LONG', defaultValue: '3600000', doc: 'Brook: idle time after which a console login expires.' },
  { name: 'brook.http.tls.listener', type: 'STRING', defaultValue: '', doc: 'Brook: serve HTTPS with the certificates of this SSL/SASL_SSL listener.' },
  { name: 'brook.http.schema.registry.enable', type: 'BOOLEAN', defaultValue: 'true', doc: 'Brook: serve the Schema Registry API on the HTTP port.' },
  { name: 'brook.http.rest.proxy.enable', type: 'BOOLEAN', defaultValue: 'true', doc: 'Brook: serve the REST proxy API on the HTTP port.' },
  { name: 'brook.http.schemas.replication.factor', type: 'INT', defaultValue: '3', doc: 'Brook: replication factor of the _schemas topic in a cluster (created once that many brokers are alive).' },
  { name: 'brook.http.consumer.instance.timeout.ms', type: 'LONG', defaultValue: '300000', doc: 'Brook: idle time after which a REST proxy v2 consumer instance is destroyed and leaves its group (Confluent consumer.instance.timeout.ms).' },
];

function raw(cfg: BrokerConfig, name: string): string {
  const def = HTTP_CONFIG_DEFS.find((d) => d.name === name)!;
  return cfg.raw[name] ?? def.defaultValue;
}

function int(cfg: BrokerConfig, name: string): number {
  const v = raw(cfg, name);
  const n = Number(v);
  if (!Number.isSafeInteger(n) || n < 0) throw new Error(`${name}: not a non-negative integer: ${v}`);
  return n;
}

function bool(cfg: BrokerConfig, name: string): boolean {
  const v = raw(cfg, name).trim().toLowerCase();
  if (v !== 'true' && v !== 'false') throw new Error(`${name}: not true or false: ${v}`);
  return v === 'true';
}

export function httpSettings(cfg: BrokerConfig): HttpSettings {
  const tls = raw(cfg, 'brook.http.tls.listener').trim();
  if (tls !== '') {
    const l = cfg.listeners.find((x) => x.name === tls);
    if (!l) throw new Error(`brook.http.tls.listener: no listener named ${tls}`);
    if (l.securityProtocol !== 'SSL' && l.securityProtocol !== 'SASL_SSL') throw new Error(`brook.http.tls.listener: listener ${tls} is ${l.securityProtocol}, not SSL or SASL_SSL`);
  }
  return {
    maxRequestBytes: int(cfg, 'brook.http.max.request.bytes'),
    rateLimitPerSec: int(cfg, 'brook.http.rate.limit.per.sec'),
    sessionTtlMs: int(cfg, 'brook.http.session.ttl.ms'),
    tlsListener: tls === '' ? null : tls,
    schemaRegistry: bool(cfg, 'brook.http.schema.registry.enable'),
    restProxy: bool(cfg, 'brook.http.rest.proxy.enable'),
    schemasReplicationFactor: Math.max(1, int(cfg, 'brook.http.schemas.replication.factor')),
    consumerInstanceTimeoutMs: Math.max(1, int(cfg, 'brook.http.consumer.instance.timeout.ms')),
  };
}
