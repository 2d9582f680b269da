import { ErrorCode } from '../../protocol/errors';
import type { SaslHandshakeRequest } from '../../protocol/generated/messages/SaslHandshakeRequest';
import type { SaslHandshakeResponseInput } from '../../protocol/generated/messages/SaslHandshakeResponse';
import type { Handler } from './types';

/**
 * Reached only when no SASL exchange can start: on a listener without SASL, or
 * on an authenticated connection that cannot re-authenticate. The exchange
 * itself runs in the connection's SASL gate (src/server/saslGate.ts).
 */
export const handleSaslHandshake: Handler<SaslHandshakeRequest, SaslHandshakeResponseInput> = () => ({
  errorCode: ErrorCode.ILLEGAL_SASL_STATE,
  mechanisms: [],
});
