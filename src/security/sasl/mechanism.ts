/** What one SASL server step produced. */
export type SaslStep =
  | { kind: 'challenge'; reply: Buffer }
  /** Authentication succeeded; `reply` is the final server message (empty for PLAIN). */
  | { kind: 'done'; reply: Buffer; principal: string }
  /** The client failed to authenticate; `message` goes back to the client, `detail` only to the log. */
  | { kind: 'failed'; message: string; detail: string };

/** The server side of one SASL exchange (one per authentication attempt). */
export interface SaslServer {
  readonly mechanism: string;
  evaluate(token: Buffer): SaslStep;
}

export const MECHANISM_PLAIN = 'PLAIN';
export const MECHANISM_SCRAM_SHA_256 = 'SCRAM-SHA-256';
export const MECHANISM_SCRAM_SHA_512 = 'SCRAM-SHA-512';
export const SUPPORTED_MECHANISMS = [MECHANISM_PLAIN, MECHANISM_SCRAM_SHA_256, MECHANISM_SCRAM_SHA_512] as const;

export function failed(message: string, detail: string = message): SaslStep {
  return { kind: 'failed', message, detail };
}
