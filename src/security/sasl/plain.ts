import { createHash, timingSafeEqual } from 'node:crypto';
import { failed, MECHANISM_PLAIN, type SaslServer, type SaslStep } from './mechanism';

/** Looks up PLAIN passwords; null = no such user. */
export type PlainPasswords = (user: string) => string | null;

const FAILED_MESSAGE = 'Authentication failed: Invalid username or password';

/** Compares through fixed-size digests so neither the content nor the length of the secret leaks through timing. */
function sameSecret(a: string, b: string): boolean {
  const da = createHash('sha256').update(a, 'utf8').digest();
  const db = createHash('sha256').update(b, 'utf8').digest();
  return timingSafeEqual(da, db);
}

/** RFC 4616 PLAIN: one message `authzid NUL authcid NUL password`; Kafka requires authzid to be empty or the user. */
export class PlainSaslServer implements SaslServer {
  readonly mechanism = MECHANISM_PLAIN;
  private used = false;

  constructor(private readonly passwords: PlainPasswords) {}

  evaluate(token: Buffer): SaslStep {
    if (this.used) return failed('PLAIN takes one message', 'second PLAIN message');
    this.used = true;
    const text = token.toString('utf8');
    const parts = text.split('\u0000');
    if (parts.length !== 3) return failed('Invalid SASL/PLAIN response: expected 3 tokens', `PLAIN message with ${parts.length} parts`);
    const [authzid, user, password] = parts;
    if (user === '') return failed('Authentication failed: username not specified', 'empty PLAIN username');
    if (password === '') return failed('Authentication failed: password not specified', `empty PLAIN password for ${user}`);
    if (authzid !== '' && authzid !== user) return failed('Authentication failed: Client requested an authorization id that is different from username', `authzid ${authzid} != ${user}`);
    const expected = this.passwords(user);
    // Compare even for unknown users so the answer takes as long either way.
    const ok = sameSecret(password, expected ?? '\u0000no-such-user');
    if (!ok || expected === null) return failed(FAILED_MESSAGE, expected === null ? `unknown PLAIN user ${user}` : `wrong PLAIN password for ${user}`);
    return { kind: 'done', reply: Buffer.alloc(0), principal: `User:${user}` };
  }
}
