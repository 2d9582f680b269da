import { ErrorCode } from '../../../protocol/errors';
import { ScramClient } from '../scram/client';
import { scramMechanismByName } from '../scram/credential';

/** A client's own SASL login: the mechanism and the user it authenticates as. */
export interface SaslCredentials {
  mechanism: string;
  username: string;
  password: string;
}

/** The two requests of a SASL login, sent over whatever connection the caller holds. */
export interface SaslExchange {
  handshake(mechanism: string): Promise<{ errorCode: number; mechanisms: string[] }>;
  authenticate(token: Buffer): Promise<{ errorCode: number; errorMessage: string | null; authBytes: Buffer }>;
}

/** The broker refused the login (or could not prove it knows a SCRAM credential). */
export class SaslLoginError extends Error {}

/**
 * SaslHandshake then SaslAuthenticate (v1+ framing): PLAIN in one token, SCRAM
 * in two rounds with the server's signature checked. Shared by the admin CLI
 * and the broker's own connections to other brokers.
 */
export async function saslClientLogin(exchange: SaslExchange, creds: SaslCredentials): Promise<void> {
  const hs = await exchange.handshake(creds.mechanism);
  if (hs.errorCode !== ErrorCode.NONE) {
    throw new SaslLoginError(`the broker does not accept SASL ${creds.mechanism} here (it offers ${hs.mechanisms.join(', ') || 'none'})`);
  }
  const step = async (token: Buffer): Promise<Buffer> => {
    const res = await exchange.authenticate(token);
    if (res.errorCode !== ErrorCode.NONE) throw new SaslLoginError(`SASL authentication failed: ${res.errorMessage ?? res.errorCode}`);
    return res.authBytes;
  };
  const scram = scramMechanismByName(creds.mechanism);
  if (!scram) {
    await step(Buffer.from(`\u0000${creds.username}\u0000${creds.password}`, 'utf8'));
    return;
  }
  const client = new ScramClient(scram, creds.username, creds.password);
  const serverFirst = await step(client.first());
  let final: Buffer;
  try {
    final = client.final(serverFirst);
  } catch (err) {
    throw new SaslLoginError(`SASL authentication failed: ${(err as Error).message}`);
  }
  if (!client.verifyServerFinal(await step(final))) throw new SaslLoginError('SASL authentication failed: the broker could not prove it knows the credential');
}
