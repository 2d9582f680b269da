import * as http from 'node:http';
import * as https from 'node:https';
import type { AddressInfo } from 'node:net';
import type { BrokerServices } from '../handlers/types';
import type { Logger } from '../log';
import { listenerTlsSettings } from '../security/tls/listenerTls';
import { HttpAuthenticator, unauthorized } from './auth';
import type { HttpCaller } from './brokerCall';
import { RateLimiter, readBody, readJson } from './limits';
import { loginPage } from './loginPage';
import { HttpError, sendError, sendJson, sendText } from './respond';
import { isJsonMediaType, mediaType, requireJsonBody, requireSameOrigin } from './requestGuard';
import { matchRoute, type ApiRequest, type Route } from './router';
import { SESSION_COOKIE, SessionStore, cookieValue } from './sessions';
import type { HttpSettings } from './settings';
import { HttpUsers } from './users';

/** A group of routes with the content type its clients expect for JSON and errors. */
export interface RouteSet {
  name: string;
  routes: Route[];
  contentType: string;
  /** Paths under which an unknown route is this API's JSON 404 (Confluent's {error_code, message}), not the console's. */
  prefixes?: string[];
}

/** Routes served without a login (probes and scrapes), and the console's pages, which log in through /login. */
export interface PublicHandlers {
  /** Answers a request that needs no login, or returns false. */
  open(path: string, req: http.IncomingMessage, res: http.ServerResponse): Promise<boolean>;
  /** Console pages and their JSON: may assume a caller. Returns false when not its path. */
  console?: (path: string, url: URL, caller: HttpCaller, req: http.IncomingMessage, res: http.ServerResponse) => Promise<boolean>;
}

export interface HttpServerOptions {
  host: string;
  port: number;
  services: BrokerServices;
  settings: HttpSettings;
  apis: RouteSet[];
  handlers: PublicHandlers;
  logger: Logger;
}

export interface RunningHttpServer {
  readonly host: string;
  readonly port: number;
  readonly secure: boolean;
  /** Whether a login was needed when the server started (it turns on later if users appear). */
  readonly loginRequired: boolean;
  close(): Promise<void>;
}

const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost']);

function remoteAddress(req: http.IncomingMessage): string {
  return req.socket.remoteAddress ?? 'unknown';
}

/** A caller on this machine: 127.0.0.0/8 (also IPv4-mapped) or ::1. */
export function isLoopbackAddress(address: string): boolean {
  return address === '::1' || /^(::ffff:)?127\./.test(address);
}

/**
 * The broker's one HTTP port: /metrics and /healthz for operators, the
 * console behind a login form, and the REST proxy and Schema Registry behind
 * HTTP Basic, all authenticated with the broker's own users. Every request
 * counts against a per-address rate limit and every body against a size
 * limit. The port binds the configured host. With no user configured nobody
 * could log in, so /metrics and /healthz answer everyone (a Prometheus in
 * another container must reach them) and everything else, open without a
 * login, answers loopback callers only (403 for others) until a user exists.
 */
export async function startHttpServer(opts: HttpServerOptions): Promise<RunningHttpServer> {
  const { services, settings, logger } = opts;
  const users = new HttpUsers(services.config, services.scram);
  const loginRequired = users.configured();
  const host = opts.host;
  if (!loginRequired && !LOOPBACK.has(host)) {
    logger.warn(
      { host },
      'no SASL/PLAIN or SCRAM users are configured: on this HTTP port only /metrics and /healthz answer other machines; the console, REST proxy and schema registry ask for no login and answer loopback callers only until a user exists',
    );
  } else if (!loginRequired) {
    logger.info({ host }, 'no SASL/PLAIN or SCRAM users are configured: the HTTP port on loopback asks for no login until one is');
  }
  const auth = new HttpAuthenticator(users, new SessionStore(settings.sessionTtlMs));
  const limiter = new RateLimiter(settings.rateLimitPerSec);
  const secure = settings.tlsListener !== null;

  const login = async (req: http.IncomingMessage, res: http.ServerResponse): Promise<void> => {
    const body = (await readBody(req, 16 * 1024)).toString('utf8');
    let form: Record<string, unknown>;
    if (isJsonMediaType(mediaType(req.headers['content-type']))) {
      try {
        form = JSON.parse(body || '{}') as Record<string, unknown>;
      } catch (err) {
        return sendError(res, new HttpError(400, 400, `malformed JSON: ${(err as Error).message}`));
      }
      if (typeof form !== 'object' || form === null) return sendError(res, new HttpError(400, 400, 'send {"user", "password"}'));
    } else form = Object.fromEntries(new URLSearchParams(body));
    let principal: string | null = 'User:ANONYMOUS';
    if (auth.loginRequired) {
      try {
        principal = auth.verify(remoteAddress(req), String(form.user ?? ''), String(form.password ?? ''));
      } catch (err) {
        if ((err as HttpError).status === 429) return sendText(res, 429, 'text/html; charset=utf-8', loginPage('Too many failed logins; wait a few seconds.'));
        principal = null;
      }
    }
    if (!principal) {
      logger.info({ user: String(form.user ?? ''), remote: remoteAddress(req) }, 'console login failed');
      return sendText(res, 401, 'text/html; charset=utf-8', loginPage('Wrong user or password.'));
    }
    const sid = auth.sessions.create(principal);
    const cookie = `${SESSION_COOKIE}=${sid}; Path=/; HttpOnly; SameSite=Strict${secure ? '; Secure' : ''}`;
    sendText(res, 303, 'text/plain', 'logged in\n', { location: '/', 'set-cookie': cookie });
  };

  const serve = async (req: http.IncomingMessage, res: http.ServerResponse, url: URL): Promise<void> => {
    const path = url.pathname;
    const method = req.method ?? 'GET';
    if (await opts.handlers.open(path, req, res)) return;
    // Asked per request: once a user exists everyone may log in; until then nobody is asked, so only this machine.
    if (!auth.loginRequired && !isLoopbackAddress(remoteAddress(req))) {
      logger.debug({ path, remote: remoteAddress(req) }, 'http request refused: no users are configured, so only loopback callers are served');
      return sendText(
        res,
        403,
        'text/plain',
        'no SASL/PLAIN or SCRAM users are configured, so this port serves only /metrics and /healthz to other machines; create a user (brook users scram --add NAME --password ...) to log in from here\n',
      );
    }
    if (path === '/login') {
      if (method === 'POST') return login(req, res);
      return sendText(res, 200, 'text/html; charset=utf-8', loginPage(null));
    }
    if (path === '/logout') {
      const sid = cookieValue(req.headers.cookie, SESSION_COOKIE);
      if (sid) auth.sessions.delete(sid);
      return sendText(res, 303, 'text/plain', 'logged out\n', { location: '/login', 'set-cookie': `${SESSION_COOKIE}=; Path=/; Max-Age=0` });
    }
    for (const set of opts.apis) {
      const found = matchRoute(set.routes, method, path);
      if (found === null) continue;
      try {
        if (found === 'methodMismatch') throw new HttpError(405, 405, `HTTP ${method} is not supported on ${path}`);
        // A page elsewhere can make a browser post a form or a Blob with its cached Basic credentials: see requestGuard.
        requireSameOrigin(req, method);
        requireJsonBody(req, method);
        // The console's session cookie is not a credential here: a browser attaches it by itself, an API client never needs it.
        const caller: HttpCaller = { principal: auth.require(req, false), remoteAddress: remoteAddress(req), secure };
        const apiReq: ApiRequest = { method, url, caller, req, res, json: () => readJson(req, settings.maxRequestBytes) };
        const out = await found.route.handle(apiReq, found.params);
        if ('handled' in out) return;
        return sendJson(res, out.status, out.body, set.contentType);
      } catch (err) {
        if (err instanceof HttpError) {
          if (err.status >= 500) logger.warn({ api: set.name, path, err: err.message }, 'http api failed');
          else logger.info({ api: set.name, method, path, status: err.status, errorCode: err.errorCode, remote: remoteAddress(req), err: err.message }, 'http request refused');
          return sendError(res, err, set.contentType);
        }
        throw err;
      }
    }
    const owner = opts.apis.find((set) => set.prefixes?.some((p) => path.startsWith(p)));
    if (owner) return sendError(res, new HttpError(404, 404, `HTTP 404 Not Found: ${method} ${path}`), owner.contentType);
    if (opts.handlers.console) {
      let principal: string | null;
      try {
        principal = auth.principalOf(req);
      } catch (err) {
        return sendError(res, err as HttpError);
      }
      if (principal === null) {
        if (path.startsWith('/api/')) return sendError(res, unauthorized('log in first'));
        return sendText(res, 303, 'text/plain', 'log in first\n', { location: '/login' });
      }
      try {
        // the session cookie rides along on requests a page elsewhere makes (SameSite does not stop other ports of this host)
        requireSameOrigin(req, method);
      } catch (err) {
        return sendError(res, err as HttpError);
      }
      if (await opts.handlers.console(path, url, { principal, remoteAddress: remoteAddress(req), secure }, req, res)) return;
    }
    sendText(res, 404, 'text/plain', opts.handlers.console ? 'not found\n' : 'not found (the web console is off; start the broker with --console)\n');
  };

  const listener = (req: http.IncomingMessage, res: http.ServerResponse): void => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (!limiter.take(remoteAddress(req))) {
      req.resume();
      logger.debug({ remote: remoteAddress(req), path: url.pathname }, 'http request over the rate limit');
      return sendError(res, new HttpError(429, 42901, `too many requests (brook.http.rate.limit.per.sec=${settings.rateLimitPerSec})`, { 'retry-after': '1' }));
    }
    serve(req, res, url).catch((err: unknown) => {
      if (err instanceof HttpError) {
        if (!res.headersSent) sendError(res, err);
        return;
      }
      logger.warn({ path: url.pathname, err: err instanceof Error ? err.stack : String(err) }, 'http request failed');
      if (!res.headersSent) sendError(res, new HttpError(500, 50001, 'internal error'));
      else res.destroy();
    });
  };

  let server: http.Server;
  if (secure) {
    const tls = listenerTlsSettings(services.config.raw, settings.tlsListener!);
    // Browsers and curl log in with a password here; client certificates are the Kafka listener's business.
    server = https.createServer({ ...tls.options, requestCert: false, rejectUnauthorized: false }, listener);
  } else {
    server = http.createServer(listener);
  }
  // Browsers keep connections alive; do not let them hold up broker shutdown.
  server.keepAliveTimeout = 5000;
  server.headersTimeout = 30_000;
  server.requestTimeout = 60_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const addr = server.address() as AddressInfo;
  return {
    host: addr.address,
    port: addr.port,
    secure,
    loginRequired,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
