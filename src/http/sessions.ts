import { randomBytes } from 'node:crypto';

export const SESSION_COOKIE = 'brook_session';

interface Session {
  principal: string;
  lastUsedMs: number;
}

/**
 * Console logins: a random id in an HttpOnly cookie maps to the principal
 * that logged in. Kept in memory only: a restart logs everyone out, which is
 * the safe side; the password itself is never kept.
 */
export class SessionStore {
  private readonly sessions = new Map<string, Session>();

  constructor(private readonly ttlMs: number) {}

  create(principal: string, nowMs = Date.now()): string {
    this.sweep(nowMs);
    const id = randomBytes(24).toString('base64url');
    this.sessions.set(id, { principal, lastUsedMs: nowMs });
    return id;
  }

  /** The principal of a live session (and the session's idle timer restarts), else null. */
  principal(id: string, nowMs = Date.now()): string | null {
    const s = this.sessions.get(id);
    if (!s) return null;
    if (nowMs - s.lastUsedMs > this.ttlMs) {
      this.sessions.delete(id);
      return null;
    }
    s.lastUsedMs = nowMs;
    return s.principal;
  }

  delete(id: string): void {
    this.sessions.delete(id);
  }

  private sweep(nowMs: number): void {
    for (const [id, s] of this.sessions) if (nowMs - s.lastUsedMs > this.ttlMs) this.sessions.delete(id);
  }
}

export function cookieValue(header: string | undefined, name: string): string | null {
  if (!header) return null;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    if (part.slice(0, eq).trim() !== name) continue;
    try {
      return decodeURIComponent(part.slice(eq + 1).trim());
    } catch {
      return null; // a malformed cookie is no session
    }
  }
  return null;
}
