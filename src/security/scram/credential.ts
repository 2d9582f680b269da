import { createHash, createHmac, pbkdf2Sync, randomBytes } from 'node:crypto';

/** The SCRAM variants Brook serves, with their hash and Kafka's wire code (AlterUserScramCredentials). */
export interface ScramMechanism {
  name: 'SCRAM-SHA-256' | 'SCRAM-SHA-512';
  hash: 'sha256' | 'sha512';
  /** ScramMechanism code in DescribeUserScramCredentials / AlterUserScramCredentials. */
  code: number;
  keyLength: number;
}

export const SCRAM_SHA_256: ScramMechanism = { name: 'SCRAM-SHA-256', hash: 'sha256', code: 1, keyLength: 32 };
export const SCRAM_SHA_512: ScramMechanism = { name: 'SCRAM-SHA-512', hash: 'sha512', code: 2, keyLength: 64 };
export const SCRAM_MECHANISMS: readonly ScramMechanism[] = [SCRAM_SHA_256, SCRAM_SHA_512];

export function scramMechanismByName(name: string): ScramMechanism | undefined {
  return SCRAM_MECHANISMS.find((m) => m.name === name);
}

export function scramMechanismByCode(code: number): ScramMechanism | undefined {
  return SCRAM_MECHANISMS.find((m) => m.code === code);
}

/** Kafka's bounds for SCRAM iterations. */
export const MIN_ITERATIONS = 4096;
export const MAX_ITERATIONS = 16384;

/** What the server keeps per user and mechanism (RFC 5802 section 3): enough to verify, never the password. */
export interface ScramCredential {
  salt: Buffer;
  iterations: number;
  storedKey: Buffer;
  serverKey: Buffer;
}

export function hmac(mech: ScramMechanism, key: Buffer, data: Buffer | string): Buffer {
  return createHmac(mech.hash, key).update(data).digest();
}

export function digest(mech: ScramMechanism, data: Buffer): Buffer {
  return createHash(mech.hash).update(data).digest();
}

/** Hi() of RFC 5802: PBKDF2 with HMAC of the mechanism's hash. */
export function saltedPassword(mech: ScramMechanism, password: string, salt: Buffer, iterations: number): Buffer {
  return pbkdf2Sync(Buffer.from(password.normalize('NFKC'), 'utf8'), salt, iterations, mech.keyLength, mech.hash);
}

/** StoredKey and ServerKey from a salted password (what AlterUserScramCredentials carries). */
export function credentialFromSaltedPassword(mech: ScramMechanism, salted: Buffer, salt: Buffer, iterations: number): ScramCredential {
  const clientKey = hmac(mech, salted, 'Client Key');
  return { salt, iterations, storedKey: digest(mech, clientKey), serverKey: hmac(mech, salted, 'Server Key') };
}

export function credentialFromPassword(mech: ScramMechanism, password: string, iterations = MIN_ITERATIONS, salt: Buffer = randomBytes(32)): ScramCredential {
  return credentialFromSaltedPassword(mech, saltedPassword(mech, password, salt, iterations), salt, iterations);
}
