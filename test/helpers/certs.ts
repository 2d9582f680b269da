import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';

/** PEM file paths of throwaway TLS material made for one test run (never committed). */
export interface TestCerts {
  dir: string;
  caCert: string;
  serverCert: string;
  serverKey: string;
  /** Signed by the CA, subject `CN=alice,OU=eng,O=Brook`. */
  clientCert: string;
  clientKey: string;
  /** Signed by a different CA the broker does not trust, subject `CN=mallory`. */
  rogueCert: string;
  rogueKey: string;
  /** The rogue CA's certificate, for tests that need a client to trust something else. */
  rogueCaCert: string;
  remove(): void;
}

function openssl(args: string[], cwd: string): void {
  execFileSync('openssl', args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
}

function makeCa(dir: string, name: string, subject: string): void {
  openssl(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.pem`, '-days', '2', '-subj', subject], dir);
}

function makeLeaf(dir: string, ca: string, name: string, subject: string, ext: string): void {
  openssl(['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', subject], dir);
  writeFileSync(path.join(dir, `${name}.ext`), ext);
  openssl(['x509', '-req', '-in', `${name}.csr`, '-CA', `${ca}.pem`, '-CAkey', `${ca}.key`, '-CAcreateserial', '-out', `${name}.pem`, '-days', '2', '-extfile', `${name}.ext`], dir);
}

/**
 * A CA, a server certificate for localhost / 127.0.0.1, a client certificate
 * from the same CA and one from a rogue CA, made with openssl in a temp dir.
 * Synchronous: call it before starting brokers (it blocks the event loop ~1 s).
 */
export function makeTestCerts(): TestCerts {
  const dir = mkdtempSync(path.join(tmpdir(), 'brook-certs-'));
  makeCa(dir, 'ca', '/O=Brook Test/CN=Brook Test CA');
  makeCa(dir, 'rogue-ca', '/CN=Rogue CA');
  makeLeaf(dir, 'ca', 'server', '/O=Brook Test/CN=localhost', 'subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n');
  makeLeaf(dir, 'ca', 'client', '/O=Brook/OU=eng/CN=alice', 'extendedKeyUsage=clientAuth\n');
  makeLeaf(dir, 'rogue-ca', 'rogue', '/CN=mallory', 'extendedKeyUsage=clientAuth\n');
  const p = (f: string) => path.join(dir, f);
  return {
    dir,
    caCert: p('ca.pem'),
    serverCert: p('server.pem'),
    serverKey: p('server.key'),
    clientCert: p('client.pem'),
    clientKey: p('client.key'),
    rogueCert: p('rogue.pem'),
    rogueKey: p('rogue.key'),
    rogueCaCert: p('rogue-ca.pem'),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** Broker properties for a TLS listener named `listener` using these certificates (file-path keys). */
export function tlsListenerProps(certs: TestCerts, listener: string, clientAuth: 'required' | 'requested' | 'none' = 'none'): Record<string, string> {
  const pre = `listener.name.${listener.toLowerCase()}.`;
  return {
    [`${pre}ssl.key.location`]: certs.serverKey,
    [`${pre}ssl.certificate.location`]: certs.serverCert,
    [`${pre}ssl.truststore.location`]: certs.caCert,
    [`${pre}ssl.client.auth`]: clientAuth,
  };
}
