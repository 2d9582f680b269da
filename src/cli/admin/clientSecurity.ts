import { readFileSync } from 'node:fs';
import type { ConnectionOptions } from 'node:tls';
import type { SASLOptions } from 'kafkajs';
import { parseProperties } from '../../config/properties';
import { parseJaasConfig } from '../../security/sasl/jaas';
import { usageError } from './errors';
import type { CliIO } from './io';
import type { ParsedFlags } from './options';

export type SaslMechanismName = 'PLAIN' | 'SCRAM-SHA-256' | 'SCRAM-SHA-512';

/** How the CLI reaches a secured listener, read from a Kafka client properties file (`--command-config`). */
export interface CliSecurity {
  protocol: 'PLAINTEXT' | 'SSL' | 'SASL_PLAINTEXT' | 'SASL_SSL';
  sasl: { mechanism: SaslMechanismName; username: string; password: string } | null;
  /** node:tls options; null for PLAINTEXT / SASL_PLAINTEXT. */
  tls: ConnectionOptions | null;
}

export const PLAINTEXT_SECURITY: CliSecurity = { protocol: 'PLAINTEXT', sasl: null, tls: null };

function readPem(key: string, file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    throw usageError(`${key}: cannot read ${file}: ${(err as Error).message}`);
  }
}

/**
 * Kafka client settings the CLI understands: security.protocol, sasl.mechanism,
 * sasl.jaas.config (username/password of PlainLoginModule or ScramLoginModule),
 * PEM trust and key material (ssl.truststore.location / ssl.ca.location,
 * ssl.keystore.location or ssl.certificate.location + ssl.key.location, inline
 * ssl.truststore.certificates / ssl.keystore.key / ssl.keystore.certificate.chain,
 * ssl.key.password) and ssl.endpoint.identification.algorithm= (empty: no hostname check).
 */
export function securityFromProperties(props: Record<string, string>): CliSecurity {
  const protocol = (props['security.protocol'] ?? 'PLAINTEXT').toUpperCase();
  if (protocol !== 'PLAINTEXT' && protocol !== 'SSL' && protocol !== 'SASL_PLAINTEXT' && protocol !== 'SASL_SSL') throw usageError(`security.protocol: unknown protocol ${protocol}`);
  let sasl: CliSecurity['sasl'] = null;
  if (protocol.startsWith('SASL_')) {
    const mechanism = (props['sasl.mechanism'] ?? props['sasl.mechanisms'] ?? 'GSSAPI').toUpperCase();
    if (mechanism !== 'PLAIN' && mechanism !== 'SCRAM-SHA-256' && mechanism !== 'SCRAM-SHA-512') throw usageError(`sasl.mechanism: the CLI speaks PLAIN, SCRAM-SHA-256 and SCRAM-SHA-512, not ${mechanism}`);
    let username = props['sasl.username'];
    let password = props['sasl.password'];
    const jaas = props['sasl.jaas.config'];
    if (jaas !== undefined) {
      let modules;
      try {
        modules = parseJaasConfig(jaas);
      } catch (err) {
        throw usageError((err as Error).message);
      }
      const options = modules[0]?.options ?? {};
      username = options['username'] ?? username;
      password = options['password'] ?? password;
    }
    if (!username || password === undefined) throw usageError('SASL needs username and password (sasl.jaas.config, or sasl.username + sasl.password)');
    sasl = { mechanism, username, password };
  }
  let tls: ConnectionOptions | null = null;
  if (protocol === 'SSL' || protocol === 'SASL_SSL') {
    const file = (key: string) => (props[key] ? readPem(key, props[key]) : undefined);
    const keystore = file('ssl.keystore.location');
    tls = {
      ca: props['ssl.truststore.certificates'] ?? file('ssl.truststore.location') ?? file('ssl.ca.location'),
      cert: props['ssl.keystore.certificate.chain'] ?? file('ssl.certificate.location') ?? keystore,
      key: props['ssl.keystore.key'] ?? file('ssl.key.location') ?? keystore,
      passphrase: props['ssl.key.password'],
    };
    if (props['ssl.endpoint.identification.algorithm'] === '') tls.checkServerIdentity = () => undefined;
  }
  return { protocol, sasl, tls };
}

/** The security of the CLI's connections: `--command-config FILE` (or env BROOK_COMMAND_CONFIG), else PLAINTEXT. */
export function cliSecurity(flags: ParsedFlags, io: CliIO): CliSecurity {
  const file = flags.values.get('command-config') ?? io.env.BROOK_COMMAND_CONFIG;
  if (file === undefined || file === '') return PLAINTEXT_SECURITY;
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw usageError(`--command-config: cannot read ${file}: ${(err as Error).message}`);
  }
  return securityFromProperties(parseProperties(text));
}

/** The same settings as kafkajs options. */
export function kafkajsSecurity(s: CliSecurity): { ssl?: ConnectionOptions; sasl?: SASLOptions } {
  const out: { ssl?: ConnectionOptions; sasl?: SASLOptions } = {};
  if (s.tls) out.ssl = s.tls;
  if (s.sasl) {
    const { username, password } = s.sasl;
    out.sasl =
      s.sasl.mechanism === 'PLAIN'
        ? { mechanism: 'plain', username, password }
        : s.sasl.mechanism === 'SCRAM-SHA-256'
          ? { mechanism: 'scram-sha-256', username, password }
          : { mechanism: 'scram-sha-512', username, password };
  }
  return out;
}
