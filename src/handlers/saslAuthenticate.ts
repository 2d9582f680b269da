/**
 * SaslAuthenticate: v0-2
 *
 * Behavior:
 * - Like SaslHandshake: the SASL gate serves real exchanges; a SaslAuthenticate that gets here is out of place.
 * - Always ILLEGAL_SASL_STATE, saying either that the connection is already authenticated or that the listener does
 *   not use SASL.
 *
 * Version notes:
 * - v0: as above. v1+: session_lifetime_ms (0 here). v2: flexible.
 */
import { ErrorCode } from '../../protocol/errors';
import type { SaslAuthenticateRequest } from '../../protocol/generated/messages/SaslAuthenticateRequest';
import type { SaslAuthenticateResponseInput } from '../../protocol/generated/messages/SaslAuthenticateResponse';
import type { Handler } from './types';

export const handleSaslAuthenticate: Handler<SaslAuthenticateRequest, SaslAuthenticateResponseInput> = (ctx) => ({
  errorCode: ErrorCode.ILLEGAL_SASL_STATE,
  errorMessage:
    ctx.connection.securityProtocol === 'SASL_PLAINTEXT' || ctx.connection.securityProtocol === 'SASL_SSL'
      ? 'SaslAuthenticate request received after successful authentication'
      : `listener ${ctx.connection.listenerName} does not use SASL`,
  authBytes: Buffer.alloc(0),
  sessionLifetimeMs: 0n,
});
