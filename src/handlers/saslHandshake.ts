/**
 * SaslHandshake: v0-1
 *
 * Behavior:
 * - The exchange itself runs in the connection's SASL gate (src/server/saslGate.ts); this handler is reached only
 *   when no SASL exchange can start: on a listener without SASL, or on an authenticated connection that cannot
 *   re-authenticate.
 * - Always ILLEGAL_SASL_STATE with no mechanisms.
 *
 * Version notes:
 * - v0: the SASL tokens follow as raw frames (served by the gate).
 * - v1: the tokens follow in SaslAuthenticate requests (served by the gate).
 */
import { ErrorCode } from '../../protocol/errors';
import type { SaslHandshakeRequest } from '../../protocol/generated/messages/SaslHandshakeRequest';
import type { SaslHandshakeResponseInput } from '../../protocol/generated/messages/SaslHandshakeResponse';
import type { Handler } from './types';

export const handleSaslHandshake: Handler<SaslHandshakeRequest, SaslHandshakeResponseInput> = () => ({
  errorCode: ErrorCode.ILLEGAL_SASL_STATE,
  mechanisms: [],
});
