import { Reader } from '../../protocol/codec/reader';
import { Writer } from '../../protocol/codec/writer';
import { apiDescriptor } from '../../protocol/generated/apis';
import { lookupApi } from '../handlers/registry';
import type { BrokerServices, ConnectionInfo, RequestContext, SecurityProtocol } from '../handlers/types';

/** HTTP requests have no Kafka connection; their pseudo-connections count down from here so they never collide with real ids. */
let nextPseudoId = -1;
/** Pseudo-connections are kept per caller, so quota throttling (which mutes a connection) carries over between requests. */
const pseudoConnections = new Map<string, ConnectionInfo>();
const MAX_PSEUDO_CONNECTIONS = 10_000;

function pseudoConnection(caller: HttpCaller): ConnectionInfo {
  const key = `${caller.principal}\u0000${caller.remoteAddress}\u0000${caller.secure}`;
  let c = pseudoConnections.get(key);
  if (!c) {
    if (pseudoConnections.size >= MAX_PSEUDO_CONNECTIONS) pseudoConnections.clear();
    const protocol: SecurityProtocol = caller.secure ? 'SASL_SSL' : 'SASL_PLAINTEXT';
    c = { id: nextPseudoId--, remoteAddress: caller.remoteAddress, remotePort: 0, listenerName: 'HTTP', securityProtocol: protocol, principal: caller.principal };
    if (nextPseudoId < -1_000_000_000) nextPseudoId = -1;
    pseudoConnections.set(key, c);
  }
  return c;
}

export interface HttpCaller {
  principal: string;
  remoteAddress: string;
  /** HTTPS counts as SASL_SSL, plain HTTP as SASL_PLAINTEXT: the login is a SASL-equivalent user check. */
  secure: boolean;
}

/**
 * Runs a Kafka API in-process as the HTTP caller: the same handler a client
 * on a listener would reach, so ACLs are checked against the caller's
 * principal, produce goes through validation, leadership and acks=all, and
 * quotas and metrics see the traffic (a quota-throttled caller's next
 * request waits out the throttle, as a muted Kafka connection would). Requests are the generated request
 * types; the newest version the broker serves is used.
 */
export async function callBroker<Req, Res>(services: BrokerServices, caller: HttpCaller, apiKey: number, request: Req, version?: number): Promise<Res> {
  const api = lookupApi(apiKey);
  if (!api) throw new Error(`api ${apiKey} is not served`);
  const connection = pseudoConnection(caller);
  const ctx: RequestContext = {
    apiKey,
    apiVersion: version ?? api.maxVersion,
    correlationId: 0,
    clientId: 'brook-http',
    connection,
    broker: services,
    now: Date.now(),
  };
  const started = performance.now();
  const res = (await api.handle(ctx, request)) as Res;
  services.observer?.requestDone(ctx, request, res, performance.now() - started);
  return res;
}

/** Produce by topic name (v12+ name topics by id); HTTP callers name topics. */
export const PRODUCE_BY_NAME_VERSION = 11;
const NO_TOPIC_ID = Buffer.alloc(16);

/** A full Produce request (acks=all) for one topic, to run with PRODUCE_BY_NAME_VERSION. */
export function produceRequest(topic: string, partitionData: Array<{ index: number; records: Buffer }>): import('../../protocol/generated/messages/ProduceRequest').ProduceRequest {
  return { transactionalId: null, acks: -1, timeoutMs: 30_000, topicData: [{ name: topic, topicId: NO_TOPIC_ID, partitionData }] };
}

/**
 * The services as the broker itself sees them, without the authorizer: for
 * the registry's own writes to `_schemas`, which are the broker's doing, not
 * the caller's (the caller's right to register was checked before).
 */
export function internalServices(services: BrokerServices): BrokerServices {
  return Object.create(services, { authorizer: { value: undefined, enumerable: true } }) as BrokerServices;
}

/**
 * Like callBroker, but from the generated `...Input` shape at a chosen
 * version: the request is encoded and decoded as a client's would be, so
 * every field the handler reads has its wire default, and the answer comes
 * back decoded the same way (full response type, defaults filled in).
 */
export async function callApi<Res>(services: BrokerServices, caller: HttpCaller, apiKey: number, version: number, input: unknown): Promise<Res> {
  const d = apiDescriptor(apiKey);
  if (!d) throw new Error(`no codec for api ${apiKey}`);
  const w = new Writer();
  d.encodeRequest(w, version, input);
  const request = d.decodeRequest(new Reader(w.toBuffer()), version);
  const res = await callBroker<unknown, unknown>(services, caller, apiKey, request, version);
  const rw = new Writer();
  d.encodeResponse(rw, version, res);
  return d.decodeResponse(new Reader(rw.toBuffer()), version) as Res;
}
