/**
 * RFC 5802 message syntax: comma-separated `a=value` attributes. Parsers
 * return null for anything malformed; the server turns that into a failure.
 */

export interface ClientFirst {
  /** The gs2 header (`n,,` / `y,,` / with `a=authzid`), echoed base64 in the final message's c=. */
  gs2Header: string;
  authzid: string | null;
  username: string;
  nonce: string;
  /** Attributes after r= (Kafka's extensions such as tokenauth=true). */
  extensions: Map<string, string>;
  /** client-first-message-bare, part of AuthMessage. */
  bare: string;
}

export interface ClientFinal {
  channelBinding: string;
  nonce: string;
  proof: Buffer;
  /** client-final-message-without-proof, part of AuthMessage. */
  withoutProof: string;
}

const PRINTABLE_NONCE = /^[\x21-\x2b\x2d-\x7e]+$/;
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** saslname decoding: `=2C` is ',' and `=3D` is '='; any other '=' is malformed. */
export function decodeSaslName(s: string): string | null {
  if (/=(?!2C|3D)/.test(s)) return null;
  return s.replace(/=2C/g, ',').replace(/=3D/g, '=');
}

export function encodeSaslName(s: string): string {
  return s.replace(/=/g, '=3D').replace(/,/g, '=2C');
}

function attr(part: string | undefined, name: string): string | null {
  if (part === undefined || part.length < 2 || part[0] !== name || part[1] !== '=') return null;
  return part.slice(2);
}

export function parseClientFirst(text: string): ClientFirst | null {
  // gs2-header = cbind-flag "," [authzid] ","
  const m = /^([ny]|p=[^,]*),(a=[^,]*)?,(.*)$/s.exec(text);
  if (!m) return null;
  if (m[1].startsWith('p=')) return null; // channel binding: not offered, so a client asking for it is wrong
  const authzid = m[2] ? decodeSaslName(m[2].slice(2)) : null;
  if (m[2] && authzid === null) return null;
  const bare = m[3];
  const parts = bare.split(',');
  if (parts[0]?.startsWith('m=')) return null; // mandatory extension we do not know
  const rawUser = attr(parts[0], 'n');
  const nonce = attr(parts[1], 'r');
  if (rawUser === null || nonce === null || nonce === '' || !PRINTABLE_NONCE.test(nonce)) return null;
  const username = decodeSaslName(rawUser);
  if (username === null || username === '') return null;
  const extensions = new Map<string, string>();
  for (const p of parts.slice(2)) {
    const eq = p.indexOf('=');
    if (eq <= 0) return null;
    extensions.set(p.slice(0, eq), p.slice(eq + 1));
  }
  return { gs2Header: `${m[1]},${m[2] ?? ''},`, authzid, username, nonce, extensions, bare };
}

export function parseClientFinal(text: string): ClientFinal | null {
  const parts = text.split(',');
  const channelBinding = attr(parts[0], 'c');
  const nonce = attr(parts[1], 'r');
  const proofIndex = parts.length - 1;
  const proof = attr(parts[proofIndex], 'p');
  if (channelBinding === null || nonce === null || proof === null || proofIndex < 2) return null;
  if (!BASE64.test(channelBinding) || !BASE64.test(proof) || proof === '') return null;
  return { channelBinding, nonce, proof: Buffer.from(proof, 'base64'), withoutProof: parts.slice(0, proofIndex).join(',') };
}
