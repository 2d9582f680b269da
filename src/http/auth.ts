import type * as http from 'node:http';
import { ANONYMOUS_PRINCIPAL } from '../handlers/types';
import { HttpError } from './respond';
import { SESSION_COOKIE, SessionStore, cookieValue } from './sessions';
import type { HttpUsers } from './users';

/**
 * Who is making an HTTP request: HTTP Basic with a broker user (REST and
 * registry clients), or the session cookie of a console login. Without any
 * users configured everyone is User:ANONYMOUS (and only loopback callers get
 * past /metrics and /healthz, see startHttpServer).
 */
/** Failed logins allowed per client address per window before its attempts are refused unchecked. */
const MAX_FAILURES = 10;
const FAILURE_WINDOW_MS = 10_000;

export class HttpAuthenticator {
  /** address -> failed logins in the current window: password guessing (and the PBKDF2 work it costs) is capped. */
  private readonly failures = new Map<string, { count: number; sinceMs: number }>();

  constructor(
    readonly users: HttpUsers,
    readonly sessions: SessionStore,
  ) {}

  /**
   * Asked per request: a SCRAM user created after start (`brook users`) turns the
   * login on at once, instead of leaving the port open until a restart.
   */
  get loginRequired(): boolean {
    return this.users.configured();
  }

  /**
   * The principal, or null when the request carries no credentials at all. Wrong credentials throw 401.
   * `cookie` = false: only an Authorization header counts (the REST proxy and the registry, whose clients send one).
   */
  principalOf(req: http.IncomingMessage, cookie = true): string | null {
    if (!this.loginRequired) return ANONYMOUS_PRINCIPAL;
    const auth = req.headers.authorization;
    if (auth !== undefined) {
      const m = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(auth);
      if (!m) throw unauthorized('unsupported Authorization scheme (use Basic)');
      const text = Buffer.from(m[1]!, 'base64').toString('utf8');
      const colon = text.indexOf(':');
      if (colon < 0) throw unauthorized('malformed Basic credentials');
      return this.verify(req.socket.remoteAddress ?? 'unknown', text.slice(0, colon), text.slice(colon + 1));
    }
    const sid = cookie ? cookieValue(req.headers.cookie, SESSION_COOKIE) : null;
    if (sid !== null) return this.sessions.principal(sid);
    return null;
  }

  /** Checks a password unless the address failed too often lately (then 429 without checking). */
  verify(address: string, user: string, password: string, nowMs = Date.now()): string {
    let f = this.failures.get(address);
    if (f && nowMs - f.sinceMs > FAILURE_WINDOW_MS) {
      this.failures.delete(address);
      f = undefined;
    }
    if (f && f.count >= MAX_FAILURES) throw new HttpError(429, 42902, 'too many failed logins from this address; try again later', { 'retry-after': String(Math.ceil(FAILURE_WINDOW_MS / 1000)) });
    const principal = this.users.verify(user, password, nowMs);
    if (principal) return principal;
    if (this.failures.size > 10_000) this.failures.clear();
    if (f) f.count++;
    else this.failures.set(address, { count: 1, sinceMs: nowMs });
    throw unauthorized('Authentication failed: invalid username or password');
  }

  /** Like principalOf, but a request without credentials is a 401 too. */
  require(req: http.IncomingMessage, cookie = true): string {
    const p = this.principalOf(req, cookie);
    if (p === null) throw unauthorized('Authentication required');
    return p;
  }
}

export function unauthorized(message: string): HttpError {
  return new HttpError(401, 40101, message, { 'www-authenticate': 'Basic realm="brook", charset="UTF-8"' });
}

export function forbidden(message: string): HttpError {
  return new HttpError(403, 40301, message);
}
