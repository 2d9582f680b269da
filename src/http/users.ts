import { createHash, timingSafeEqual } from 'node:crypto';
import type { BrokerConfig } from '../config/brokerConfig';
import { listenerSaslSettings } from '../security/sasl/listenerSasl';
import { SCRAM_MECHANISMS, digest, hmac, saltedPassword } from '../security/scram/credential';
import type { ScramCredentialStore } from '../security/scram/store';

/** A checked password stays valid this long without redoing PBKDF2 (thousands of iterations per request otherwise). */
const VERIFIED_TTL_MS = 60_000;
const VERIFIED_MAX = 1000;

function sameBytes(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * The broker's own users as an HTTP login: PLAIN users from the SASL
 * listeners' JAAS config and SCRAM users from the credential store (a SCRAM
 * credential is checked by deriving StoredKey from the password, as the
 * SCRAM exchange would). A user name becomes the principal `User:<name>`.
 */
export class HttpUsers {
  private readonly plain = new Map<string, string>();
  /** sha256(user NUL password) -> principal and when it was checked. */
  private readonly verified = new Map<string, { principal: string; atMs: number }>();
  /** SCRAM users with a credential, kept current by the store's change events (asked on every request). */
  private scramUsers: number;

  constructor(
    config: BrokerConfig,
    private readonly scram: ScramCredentialStore | undefined,
  ) {
    for (const l of config.listeners) {
      if (l.securityProtocol !== 'SASL_PLAINTEXT' && l.securityProtocol !== 'SASL_SSL') continue;
      for (const [u, p] of listenerSaslSettings(config.raw, l.name).plainUsers) if (!this.plain.has(u)) this.plain.set(u, p);
    }
    this.scramUsers = scram?.users().length ?? 0;
    // A changed or deleted SCRAM password must not keep working from the cache.
    scram?.onChange(() => {
      this.verified.clear();
      this.scramUsers = scram.users().length;
    });
  }

  /** Whether anyone can log in at all; without users the HTTP port stays on loopback. */
  configured(): boolean {
    return this.plain.size > 0 || this.scramUsers > 0;
  }

  /** The principal for a correct user/password, else null. */
  verify(user: string, password: string, nowMs = Date.now()): string | null {
    if (user === '' || password === '') return null;
    const cacheKey = createHash('sha256').update(user).update('\u0000').update(password).digest('base64');
    const hit = this.verified.get(cacheKey);
    if (hit && nowMs - hit.atMs < VERIFIED_TTL_MS) return hit.principal;
    const ok = this.check(user, password);
    if (!ok) return null;
    if (this.verified.size >= VERIFIED_MAX) this.verified.clear();
    const principal = `User:${user}`;
    this.verified.set(cacheKey, { principal, atMs: nowMs });
    return principal;
  }

  private check(user: string, password: string): boolean {
    const plain = this.plain.get(user);
    if (plain !== undefined) {
      const a = createHash('sha256').update(plain).digest();
      const b = createHash('sha256').update(password).digest();
      if (timingSafeEqual(a, b)) return true;
    }
    for (const mech of SCRAM_MECHANISMS) {
      const cred = this.scram?.get(user, mech);
      if (!cred) continue;
      const salted = saltedPassword(mech, password, cred.salt, cred.iterations);
      if (sameBytes(digest(mech, hmac(mech, salted, 'Client Key')), cred.storedKey)) return true;
    }
    return false;
  }
}
