import type * as http from 'node:http';
import { HttpError } from './respond';

/**
 * Cross-site request forgery defences for the HTTP port. A page on another
 * origin can make a browser send a POST with the user's session cookie or
 * cached Basic credentials, but only with a CORS-safelisted content type
 * (text/plain, urlencoded, multipart, or none at all for a Blob body) unless
 * a preflight is granted, and this server never grants one. So a state
 * change must carry a JSON media type (parsed, not substring-matched:
 * `text/plain; x=application/json` is text/plain), and a browser's own
 * provenance headers (Sec-Fetch-Site, Origin) must say the request came from
 * this origin. Programs (curl, client libraries) send neither header and are
 * not affected.
 */

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** The media type of a Content-Type header, lowercased, without parameters; null when there is none. */
export function mediaType(header: string | undefined): string | null {
  if (header === undefined) return null;
  const t = header.split(';', 1)[0]!.trim().toLowerCase();
  return t === '' ? null : t;
}

/** `application/json` or a JSON-structured type (`application/vnd.kafka.v2+json`, `application/vnd.schemaregistry.v1+json`). */
export function isJsonMediaType(t: string | null): boolean {
  return t === 'application/json' || (t !== null && /^application\/[a-z0-9.!#$&^_-]+\+json$/.test(t));
}

/** Whether the request carries a body (a length above zero, or chunked). */
function hasBody(req: http.IncomingMessage): boolean {
  if (req.headers['transfer-encoding'] !== undefined) return true;
  const n = Number(req.headers['content-length'] ?? 0);
  return Number.isFinite(n) && n > 0;
}

export function isStateChanging(method: string): boolean {
  return !SAFE_METHODS.has(method);
}

/** 415 unless a state-changing request with a body says it is JSON; a body without a content type is refused too. */
export function requireJsonBody(req: http.IncomingMessage, method: string): void {
  if (!isStateChanging(method) || !hasBody(req)) return;
  const t = mediaType(req.headers['content-type']);
  if (!isJsonMediaType(t)) throw new HttpError(415, 415, t === null ? 'send a JSON body with content-type application/json' : `send a JSON body (content-type ${t} is not served)`);
}

/**
 * 403 for a state-changing request a browser marks as coming from another
 * origin: Sec-Fetch-Site other than same-origin or none (typed by the user),
 * or an Origin whose host is not the one addressed. Same-site other ports
 * count as foreign too: any web app on this host could otherwise act for the
 * user.
 */
export function requireSameOrigin(req: http.IncomingMessage, method: string): void {
  if (!isStateChanging(method)) return;
  const site = req.headers['sec-fetch-site'];
  if (site !== undefined && site !== 'same-origin' && site !== 'none') throw new HttpError(403, 40301, `cross-origin request refused (sec-fetch-site ${site})`);
  const origin = req.headers.origin;
  if (origin === undefined) return;
  let host: string | null;
  try {
    host = new URL(origin).host.toLowerCase();
  } catch {
    host = null; // "null": a sandboxed or opaque origin
  }
  // The host only, not the scheme: behind a TLS-terminating proxy the page is https and this port plain http.
  const own = [req.headers.host, req.headers['x-forwarded-host']].filter((h): h is string => typeof h === 'string').map((h) => h.toLowerCase());
  if (host === null || !own.includes(host)) throw new HttpError(403, 40301, `cross-origin request refused (origin ${origin})`);
}
