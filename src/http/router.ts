import type * as http from 'node:http';
import type { HttpCaller } from './brokerCall';
import { HttpError } from './respond';

/** One HTTP request as the API modules see it: who asks, what, and the body on demand (size-limited). */
export interface ApiRequest {
  method: string;
  url: URL;
  caller: HttpCaller;
  req: http.IncomingMessage;
  res: http.ServerResponse;
  /** The parsed JSON body (null when empty); malformed JSON or an oversize body throws the HttpError to answer. */
  json(): Promise<unknown>;
}

/** What a route answers: a JSON value with its status, or `handled` when it wrote the response itself. */
export type ApiResult = { status: number; body: unknown } | { handled: true };

export interface Route {
  method: string;
  pattern: RegExp;
  handle(r: ApiRequest, params: string[]): Promise<ApiResult> | ApiResult;
}

export function ok(body: unknown, status = 200): ApiResult {
  return { status, body };
}

/** A %-encoded path segment; a malformed escape is a 400, not an internal error. */
export function decodePathPart(p: string): string {
  try {
    return decodeURIComponent(p);
  } catch {
    // A malformed %-escape is the client's mistake, not an internal error.
    throw new HttpError(400, 400, `malformed percent-encoding in the path: ${p}`);
  }
}

/** The first route whose pattern matches the path, with decoded capture groups; `methodMismatch` when only the method differs. */
export function matchRoute(routes: readonly Route[], method: string, path: string): { route: Route; params: string[] } | 'methodMismatch' | null {
  let pathMatched = false;
  for (const route of routes) {
    const m = route.pattern.exec(path);
    if (!m) continue;
    pathMatched = true;
    if (route.method !== method) continue;
    return { route, params: m.slice(1).map((p) => decodePathPart(p ?? '')) };
  }
  return pathMatched ? 'methodMismatch' : null;
}
