import type * as http from 'node:http';
import { HttpError } from './respond';

/**
 * Reads a request body up to `maxBytes`; a longer one is refused with 413
 * before it is buffered whole, so one client cannot make the broker hold an
 * arbitrary amount of memory.
 */
export function readBody(req: http.IncomingMessage, maxBytes: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > maxBytes) {
    req.resume();
    return Promise.reject(new HttpError(413, 413, `request body of ${declared} bytes exceeds the limit of ${maxBytes} (brook.http.max.request.bytes)`, { connection: 'close' }));
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let failed = false;
    req.on('data', (c: Buffer) => {
      if (failed) return;
      size += c.length;
      if (size > maxBytes) {
        failed = true;
        reject(new HttpError(413, 413, `request body exceeds the limit of ${maxBytes} bytes (brook.http.max.request.bytes)`, { connection: 'close' }));
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => {
      if (!failed) resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks));
    });
    req.on('error', (err) => {
      if (!failed) reject(err);
    });
  });
}

/** Parses a JSON body; malformed JSON is a 400 with Confluent's code, never an exception escaping to the server. */
export async function readJson(req: http.IncomingMessage, maxBytes: number): Promise<unknown> {
  const body = await readBody(req, maxBytes);
  if (body.length === 0) return null;
  try {
    return JSON.parse(body.toString('utf8'));
  } catch (err) {
    throw new HttpError(400, 400, `malformed JSON: ${(err as Error).message}`);
  }
}

interface Bucket {
  tokens: number;
  updatedMs: number;
}

/**
 * Requests per second per client address, as a token bucket holding one
 * second's worth (a burst of that many, then the steady rate). Buckets of
 * addresses that went quiet are dropped so the map stays small.
 */
export class RateLimiter {
  private readonly buckets = new Map<string, Bucket>();
  private lastSweepMs = 0;

  constructor(private readonly perSecond: number) {}

  /** true = serve; false = answer 429. A rate of 0 means unlimited. */
  take(address: string, nowMs = Date.now()): boolean {
    if (this.perSecond <= 0) return true;
    if (nowMs - this.lastSweepMs > 60_000) this.sweep(nowMs);
    let b = this.buckets.get(address);
    if (!b) {
      b = { tokens: this.perSecond, updatedMs: nowMs };
      this.buckets.set(address, b);
    }
    b.tokens = Math.min(this.perSecond, b.tokens + ((nowMs - b.updatedMs) / 1000) * this.perSecond);
    b.updatedMs = nowMs;
    if (b.tokens < 1) return false;
    b.tokens -= 1;
    return true;
  }

  private sweep(nowMs: number): void {
    this.lastSweepMs = nowMs;
    for (const [k, b] of this.buckets) if (nowMs - b.updatedMs > 10_000) this.buckets.delete(k);
  }
}
