import { randomBytes, timingSafeEqual } from 'node:crypto';
import { digest, hmac, saltedPassword, type ScramMechanism } from './credential';
import { encodeSaslName } from './messages';

/** The client side of RFC 5802: the admin CLI logs in with it, tests drive SCRAM by hand with it. */
export class ScramClient {
  readonly clientNonce: string;
  private clientFirstBare = '';
  private expectedServerSignature: Buffer | null = null;

  constructor(
    private readonly mech: ScramMechanism,
    private readonly user: string,
    private readonly password: string,
    nonce: string = randomBytes(16).toString('base64'),
  ) {
    this.clientNonce = nonce;
  }

  first(): Buffer {
    this.clientFirstBare = `n=${encodeSaslName(this.user)},r=${this.clientNonce}`;
    return Buffer.from(`n,,${this.clientFirstBare}`);
  }

  /** client-final for a server-first message. */
  final(serverFirst: Buffer): Buffer {
    const text = serverFirst.toString();
    const attrs = new Map(text.split(',').map((p) => [p[0], p.slice(2)]));
    const nonce = attrs.get('r');
    const salt = Buffer.from(attrs.get('s') ?? '', 'base64');
    const iterations = Number(attrs.get('i'));
    if (!nonce || !nonce.startsWith(this.clientNonce) || salt.length === 0 || !Number.isInteger(iterations) || iterations < 1 || iterations > 1_000_000) {
      throw new Error(`invalid SCRAM server-first message: ${text}`);
    }
    const salted = saltedPassword(this.mech, this.password, salt, iterations);
    const clientKey = hmac(this.mech, salted, 'Client Key');
    const storedKey = digest(this.mech, clientKey);
    const withoutProof = `c=${Buffer.from('n,,').toString('base64')},r=${nonce}`;
    const authMessage = `${this.clientFirstBare},${text},${withoutProof}`;
    const signature = hmac(this.mech, storedKey, authMessage);
    const proof = Buffer.alloc(clientKey.length);
    for (let i = 0; i < proof.length; i++) proof[i] = clientKey[i] ^ signature[i];
    this.expectedServerSignature = hmac(this.mech, hmac(this.mech, salted, 'Server Key'), authMessage);
    return Buffer.from(`${withoutProof},p=${proof.toString('base64')}`);
  }

  /** True when the server-final message proves the server knew the credential. */
  verifyServerFinal(serverFinal: Buffer): boolean {
    const m = /^v=(.*)$/.exec(serverFinal.toString());
    if (!m || !this.expectedServerSignature) return false;
    const got = Buffer.from(m[1], 'base64');
    return got.length === this.expectedServerSignature.length && timingSafeEqual(got, this.expectedServerSignature);
  }
}
