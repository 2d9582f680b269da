import { randomBytes, timingSafeEqual } from 'node:crypto';
import { failed, type SaslServer, type SaslStep } from '../sasl/mechanism';
import { hmac, digest, MIN_ITERATIONS, type ScramCredential, type ScramMechanism } from './credential';
import { parseClientFinal, parseClientFirst, type ClientFirst } from './messages';

/** Finds a user's credential for a mechanism; null = unknown user. */
export type ScramCredentialLookup = (user: string, mechanism: ScramMechanism) => ScramCredential | null;

const INVALID_CREDENTIALS = (mech: ScramMechanism) => `Authentication failed during authentication due to invalid credentials with SASL mechanism ${mech.name}`;

/** Per-process secret for made-up salts of unknown users, so probing cannot tell them from real ones. */
const FAKE_SALT_KEY = randomBytes(32);

type State = { step: 'first' } | { step: 'final'; first: ClientFirst; serverFirst: string; nonce: string; credential: ScramCredential | null } | { step: 'over' };

/**
 * RFC 5802 server: client-first -> server-first (nonce, salt, iterations),
 * client-final (proof) -> server-final (signature). An unknown user gets a
 * plausible salt and fails at the proof, like a wrong password.
 */
export class ScramSaslServer implements SaslServer {
  readonly mechanism: string;
  private state: State = { step: 'first' };

  constructor(
    private readonly mech: ScramMechanism,
    private readonly lookup: ScramCredentialLookup,
    /** The server's part of the nonce; replaceable so tests can replay RFC 7677's example. */
    private readonly serverNonce: () => string = () => randomBytes(18).toString('base64'),
  ) {
    this.mechanism = mech.name;
  }

  evaluate(token: Buffer): SaslStep {
    const state = this.state;
    this.state = { step: 'over' };
    switch (state.step) {
      case 'first':
        return this.first(token);
      case 'final':
        return this.final(token, state.first, state.serverFirst, state.nonce, state.credential);
      case 'over':
        return failed('Unexpected SCRAM message after the exchange ended', 'SCRAM message after the end');
    }
  }

  private first(token: Buffer): SaslStep {
    const first = parseClientFirst(token.toString('utf8'));
    if (!first) return failed('Invalid SCRAM client first message', 'malformed SCRAM client-first');
    if (first.authzid !== null && first.authzid !== first.username) {
      return failed('Authentication failed: Client requested an authorization id that is different from username', `authzid ${first.authzid}`);
    }
    if (first.extensions.get('tokenauth') === 'true') return failed('Authentication failed: delegation tokens are not supported', 'tokenauth extension');
    const credential = this.lookup(first.username, this.mech);
    const salt = credential?.salt ?? hmac(this.mech, FAKE_SALT_KEY, first.username).subarray(0, 32);
    const iterations = credential?.iterations ?? MIN_ITERATIONS;
    const nonce = first.nonce + this.serverNonce();
    const serverFirst = `r=${nonce},s=${salt.toString('base64')},i=${iterations}`;
    this.state = { step: 'final', first, serverFirst, nonce, credential };
    return { kind: 'challenge', reply: Buffer.from(serverFirst, 'utf8') };
  }

  private final(token: Buffer, first: ClientFirst, serverFirst: string, nonce: string, credential: ScramCredential | null): SaslStep {
    const fin = parseClientFinal(token.toString('utf8'));
    if (!fin) return failed('Invalid SCRAM client final message', 'malformed SCRAM client-final');
    // Like Kafka, accept a nonce that only ends with ours: librdkafka sends its own nonce twice (c-nonce + full nonce).
    if (!fin.nonce.endsWith(nonce)) return failed('Invalid SCRAM client final message: nonce mismatch', 'SCRAM nonce mismatch');
    if (Buffer.from(fin.channelBinding, 'base64').toString('utf8') !== first.gs2Header) {
      return failed('Invalid SCRAM client final message: channel binding mismatch', 'SCRAM channel binding mismatch');
    }
    if (!credential) return failed(INVALID_CREDENTIALS(this.mech), `unknown SCRAM user ${first.username}`);
    if (fin.proof.length !== this.mech.keyLength) return failed(INVALID_CREDENTIALS(this.mech), `SCRAM proof of ${fin.proof.length} bytes`);
    const authMessage = `${first.bare},${serverFirst},${fin.withoutProof}`;
    const clientSignature = hmac(this.mech, credential.storedKey, authMessage);
    const clientKey = Buffer.alloc(clientSignature.length);
    for (let i = 0; i < clientKey.length; i++) clientKey[i] = fin.proof[i] ^ clientSignature[i];
    if (!timingSafeEqual(digest(this.mech, clientKey), credential.storedKey)) {
      return failed(INVALID_CREDENTIALS(this.mech), `wrong SCRAM password for ${first.username}`);
    }
    const serverSignature = hmac(this.mech, credential.serverKey, authMessage);
    return { kind: 'done', reply: Buffer.from(`v=${serverSignature.toString('base64')}`, 'utf8'), principal: `User:${first.username}` };
  }
}
