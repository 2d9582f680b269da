import { setTimeout as sleep } from 'node:timers/promises';
import type { ConnectionInfo } from '../../net/connection';

/**
 * Throttles a client that went over its quota, KIP-219 style: the connection
 * stops being read for `ms` (the server honours `throttledUntilMs`), and
 * clients too old to back off by themselves (request version below
 * `honouredFrom`) also get their response only after the throttle time.
 * Resolves when the response may go out.
 */
export async function throttleConnection(conn: ConnectionInfo, ms: number, apiVersion: number, honouredFrom: number, now: number): Promise<void> {
  if (ms <= 0) return;
  const until = now + ms;
  if ((conn.throttledUntilMs ?? 0) < until) conn.throttledUntilMs = until;
  if (apiVersion < honouredFrom) await sleep(ms);
}

/** Produce v6+ and Fetch v8+ clients wait out throttle_time_ms themselves (KIP-219). */
export const PRODUCE_HONOURS_THROTTLE_FROM = 6;
export const FETCH_HONOURS_THROTTLE_FROM = 8;
