import { readFileSync } from 'node:fs';
import type { TlsOptions } from 'node:tls';
import { listenerProp } from '../../config/listeners';
import { parsePrincipalMappingRules, type PrincipalMappingRule } from './principal';

const TLS_VERSIONS = ['TLSv1', 'TLSv1.1', 'TLSv1.2', 'TLSv1.3'] as const;
type TlsVersion = (typeof TLS_VERSIONS)[number];

/** `ssl.enabled.protocols=TLSv1.2,TLSv1.3` (Kafka's default) as node's min/max versions. */
function protocolRange(value: string | undefined): { minVersion: TlsVersion; maxVersion: TlsVersion } {
  const listed = (value ?? 'TLSv1.2,TLSv1.3').split(',').map((v) => v.trim()).filter((v) => v !== '');
  const idx = listed.map((v) => {
    const i = (TLS_VERSIONS as readonly string[]).indexOf(v);
    if (i < 0) throw new Error(`ssl.enabled.protocols: unknown protocol ${v} (one of ${TLS_VERSIONS.join(', ')})`);
    return i;
  });
  if (idx.length === 0) throw new Error('ssl.enabled.protocols is empty');
  return { minVersion: TLS_VERSIONS[Math.min(...idx)], maxVersion: TLS_VERSIONS[Math.max(...idx)] };
}

/**
 * Inline PEM from a properties file often loses its line breaks (a value continued with
 * backslashes is joined into one line); OpenSSL needs them, so each block is rebuilt:
 * BEGIN line, base64 body in 64-character lines, END line.
 */
export function normalizePem(text: string): string {
  const blocks = [...text.matchAll(/-----BEGIN ([A-Z0-9 ]+)-----([\s\S]*?)-----END \1-----/g)];
  if (blocks.length === 0) return text;
  return blocks
    .map(([block, label, body]) => {
      // Legacy encrypted keys carry "Proc-Type:"/"DEK-Info:" headers whose line breaks matter: keep as is.
      if (body.includes(':')) return `${block}\n`;
      const b64 = body.replace(/\s+/g, '');
      const lines = b64.match(/.{1,64}/g) ?? [];
      return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`;
    })
    .join('');
}

export type ClientAuth = 'required' | 'requested' | 'none';

/** A TLS listener's settings: node:tls server options plus how client certificates become principals. */
export interface ListenerTlsSettings {
  options: TlsOptions;
  clientAuth: ClientAuth;
  principalRules: PrincipalMappingRule[];
  /** A handshake still unfinished after this long is cut. */
  handshakeTimeoutMs: number;
}

/**
 * Reads PEM material the way Kafka's PEM keystore does, per listener
 * (`listener.name.<l>.` prefix first):
 * - key: `ssl.keystore.key` (inline PEM) or `ssl.key.location` (file), or the key block of `ssl.keystore.location`;
 * - certificate chain: `ssl.keystore.certificate.chain` (inline) or `ssl.certificate.location` (file),
 *   or the certificates of `ssl.keystore.location`;
 * - trusted CAs for client certificates: `ssl.truststore.certificates` (inline) or `ssl.truststore.location` /
 *   `ssl.ca.location` (file);
 * - `ssl.key.password` for an encrypted key, `ssl.client.auth`, `ssl.principal.mapping.rules`,
 *   `brook.ssl.handshake.timeout.ms` (default 10000), `ssl.enabled.protocols` (default TLSv1.2,TLSv1.3).
 */
export function listenerTlsSettings(props: Record<string, string>, listenerName: string): ListenerTlsSettings {
  const get = (key: string) => listenerProp(props, listenerName, key);
  for (const key of ['ssl.keystore.type', 'ssl.truststore.type']) {
    const type = get(key);
    if (type !== undefined && type.toUpperCase() !== 'PEM') throw new Error(`${key}=${type}: Brook reads PEM only (convert JKS/PKCS12 with keytool/openssl)`);
  }
  const file = (key: string): string | undefined => {
    const path = get(key);
    if (path === undefined || path === '') return undefined;
    try {
      return readFileSync(path, 'utf8');
    } catch (err) {
      throw new Error(`${key}: cannot read ${path}: ${(err as Error).message}`);
    }
  };
  const keystore = file('ssl.keystore.location');
  const inline = (key: string) => {
    const v = get(key);
    return v === undefined ? undefined : normalizePem(v);
  };
  const key = inline('ssl.keystore.key') ?? file('ssl.key.location') ?? keystore;
  const cert = inline('ssl.keystore.certificate.chain') ?? file('ssl.certificate.location') ?? keystore;
  if (!key || !cert) {
    throw new Error(`listener ${listenerName}: TLS needs a key and certificate (ssl.keystore.location, or ssl.key.location + ssl.certificate.location, or inline ssl.keystore.key + ssl.keystore.certificate.chain)`);
  }
  const ca = inline('ssl.truststore.certificates') ?? file('ssl.truststore.location') ?? file('ssl.ca.location');
  const clientAuth = (get('ssl.client.auth') ?? 'none').toLowerCase();
  if (clientAuth !== 'required' && clientAuth !== 'requested' && clientAuth !== 'none') throw new Error(`ssl.client.auth: expected required, requested or none, got ${clientAuth}`);
  if (clientAuth !== 'none' && !ca) throw new Error(`listener ${listenerName}: ssl.client.auth=${clientAuth} needs trusted CA certificates (ssl.truststore.location or ssl.truststore.certificates)`);
  const timeout = Number(get('brook.ssl.handshake.timeout.ms') ?? 10_000);
  if (!Number.isInteger(timeout) || timeout <= 0) throw new Error('brook.ssl.handshake.timeout.ms: expected a positive integer');
  const options: TlsOptions = {
    key,
    cert,
    passphrase: get('ssl.key.password'),
    ca,
    requestCert: clientAuth !== 'none',
    // "requested": a client without a certificate is let in as ANONYMOUS; one with a bad certificate is still refused below.
    rejectUnauthorized: clientAuth === 'required',
    handshakeTimeout: timeout,
    ...protocolRange(get('ssl.enabled.protocols')),
  };
  return { options, clientAuth: clientAuth as ClientAuth, principalRules: parsePrincipalMappingRules(get('ssl.principal.mapping.rules') ?? 'DEFAULT'), handshakeTimeoutMs: timeout };
}
