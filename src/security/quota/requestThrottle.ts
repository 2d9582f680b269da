import type { FetchRequest } from '../../../protocol/generated/messages/FetchRequest';
import type { ProduceRequest } from '../../../protocol/generated/messages/ProduceRequest';
import { setTimeout as sleep } from 'node:timers/promises';
import type { RequestContext } from '../../handlers/types';
import type { ConnectionInfo } from '../../net/connection';
import type { ByteRateQuota } from './byteRateQuota';
import { FETCH_HONOURS_THROTTLE_FROM, PRODUCE_HONOURS_THROTTLE_FROM, throttleConnection } from './throttle';

/** Bytes a produce request carries: its record sets, one addition per partition (never per record). */
function produceBytes(req: ProduceRequest): number {
  let n = 0;
  for (const t of req.topicData) for (const p of t.partitionData) n += p.records?.length ?? 0;
  return n;
}

/** Per connection: settles when the previous produce of a quota-limited client has been accounted for. */
const produceTurns = new WeakMap<ConnectionInfo, Promise<void>>();

/**
 * Kafka reads one request per connection at a time, so a muted connection
 * stops a client at once. Brook runs pipelined requests concurrently, so a
 * client with a producer quota takes turns here instead: each of its produce
 * requests starts after the previous one was accounted for and after any
 * throttle time that left, exactly as if it had been read after the mute.
 * Null (nothing to wait for, nothing to account) when no quota applies.
 */
export async function takeProduceTurn(ctx: RequestContext, quota: ByteRateQuota): Promise<(() => void) | null> {
  if (quota.match(ctx.connection.principal, ctx.clientId) === null) return null;
  const conn = ctx.connection;
  const previous = produceTurns.get(conn) ?? Promise.resolve();
  let release!: () => void;
  const mine = new Promise<void>((resolve) => (release = resolve));
  produceTurns.set(conn, mine);
  await previous;
  const left = (conn.throttledUntilMs ?? 0) - Date.now();
  if (left > 0) await sleep(left);
  // The append happens now, not when the request was read: log-append timestamps must say so.
  ctx.now = Date.now();
  return release;
}

/**
 * Called after the append (Kafka throttles after the fact): records the
 * request against the client's producer_byte_rate, mutes the connection when
 * it went over and lets the client's next produce take its turn. Returns
 * throttle_time_ms for the response.
 */
export async function throttleProduce(ctx: RequestContext, quota: ByteRateQuota, req: ProduceRequest, endTurn: () => void): Promise<number> {
  const now = Date.now();
  const ms = quota.record(ctx.connection.principal, ctx.clientId, produceBytes(req), now);
  const throttled = throttleConnection(ctx.connection, ms, ctx.apiVersion, PRODUCE_HONOURS_THROTTLE_FROM, now);
  endTurn();
  await throttled;
  return ms;
}

/**
 * Records a fetch response of `bytes` against consumer_byte_rate. When that
 * puts the client over its quota the bytes are taken back and the caller
 * answers with no data (`withhold`), as Kafka does: the client gets the same
 * data after backing off, and the rate only counts what was actually sent.
 * A response larger than the whole window's allowance could never fit, so it
 * is sent and throttled instead of being withheld forever.
 */
export async function throttleFetch(ctx: RequestContext, quota: ByteRateQuota, bytes: number): Promise<{ throttleTimeMs: number; withhold: boolean }> {
  const now = Date.now();
  const { principal } = ctx.connection;
  const ms = quota.record(principal, ctx.clientId, bytes, now);
  if (ms <= 0) return { throttleTimeMs: 0, withhold: false };
  const withhold = bytes > 0 && bytes <= quota.maxBytesInWindow(principal, ctx.clientId);
  if (withhold) quota.unrecord(principal, ctx.clientId, bytes);
  await throttleConnection(ctx.connection, ms, ctx.apiVersion, FETCH_HONOURS_THROTTLE_FROM, now);
  return { throttleTimeMs: ms, withhold };
}

/**
 * The consumer quota a fetch is subject to, null for none. One branch when no
 * consumer quota exists; followers replicating are not clients (Kafka leaves
 * them to replication quotas), so a `<default>` client-id quota cannot slow replication.
 */
export function fetchQuotaFor(ctx: RequestContext, req: FetchRequest): ByteRateQuota | null {
  const quota = ctx.broker.quotas?.fetch;
  if (!quota?.active) return null;
  const replicaId = ctx.apiVersion >= 15 ? req.replicaState.replicaId : req.replicaId;
  return replicaId >= 0 ? null : quota;
}
