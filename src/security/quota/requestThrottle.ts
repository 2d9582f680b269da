import type { ProduceRequest } from '../../../protocol/generated/messages/ProduceRequest';
import type { RequestContext } from '../../handlers/types';
import type { ByteRateQuota } from './byteRateQuota';
import { FETCH_HONOURS_THROTTLE_FROM, PRODUCE_HONOURS_THROTTLE_FROM, throttleConnection } from './throttle';

/** Bytes a produce request carries: its record sets, one addition per partition (never per record). */
function produceBytes(req: ProduceRequest): number {
  let n = 0;
  for (const t of req.topicData) for (const p of t.partitionData) n += p.records?.length ?? 0;
  return n;
}

/**
 * Called after the append (Kafka throttles after the fact): records the
 * request against the client's producer_byte_rate and mutes the connection
 * when it went over. Returns throttle_time_ms for the response.
 */
export async function throttleProduce(ctx: RequestContext, quota: ByteRateQuota, req: ProduceRequest): Promise<number> {
  const now = Date.now();
  const ms = quota.record(ctx.connection.principal, ctx.clientId, produceBytes(req), now);
  await throttleConnection(ctx.connection, ms, ctx.apiVersion, PRODUCE_HONOURS_THROTTLE_FROM, now);
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
