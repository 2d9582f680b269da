import type * as http from 'node:http';

/**
 * An HTTP answer other than success, carrying the body shape the API's clients
 * expect: Confluent's `{error_code, message}` for the REST proxy and the
 * Schema Registry, where error_code is the HTTP status or a 5-digit refinement.
 */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly errorCode: number,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = 'HttpError';
  }
}

const COMMON = { 'cache-control': 'no-store', 'x-content-type-options': 'nosniff' } as const;

export function sendText(res: http.ServerResponse, status: number, type: string, body: string | Buffer, extra: Record<string, string> = {}): void {
  res.writeHead(status, { ...COMMON, 'content-type': type, ...extra });
  res.end(body);
}

export function sendJson(res: http.ServerResponse, status: number, value: unknown, type = 'application/json'): void {
  if (status === 204) {
    res.writeHead(204, COMMON);
    res.end();
    return;
  }
  sendText(res, status, type, JSON.stringify(value));
}

export function sendError(res: http.ServerResponse, err: HttpError, type = 'application/json'): void {
  sendText(res, err.status, type, JSON.stringify({ error_code: err.errorCode, message: err.message }), err.headers);
}
