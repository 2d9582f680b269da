import type { SecurityProtocol } from './connection';

/** A host:port a client should use to reach this broker (Kafka's advertised.listeners entry). */
export interface AdvertisedListener {
  name: string;
  host: string;
  port: number;
}

/** One socket the broker accepts clients on, as configured (Kafka's `listeners` entry plus its security protocol). */
export interface ListenerConfig {
  /** Upper-case listener name as written in `listeners` (PLAINTEXT, SASL_SSL, INTERNAL, ...). */
  name: string;
  host: string;
  /** 0 = any free port. */
  port: number;
  securityProtocol: SecurityProtocol;
  /** From `advertised.listeners` by name; null = advertise the bound address. */
  advertised: { host: string; port: number } | null;
}
