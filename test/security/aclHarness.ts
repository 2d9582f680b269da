import { Reader } from '../../protocol/codec/reader';
import { Writer } from '../../protocol/codec/writer';
import { apiDescriptor } from '../../protocol/generated/apis';
import { lookupApi } from '../../src/handlers/registry';
import type { BrokerServices, RequestContext } from '../../src/handlers/types';
import { AclOperation, AclPermission, PatternType, ResourceType, type AclBinding } from '../../src/security/acl/model';

/**
 * Serves one request as a given principal, the way the server would after
 * authentication: the request and the response both go through the generated
 * codecs of that version, so the test sees exactly what a client would decode.
 * Null when the handler answers nothing (acks=0).
 */
export async function callAs<T>(services: BrokerServices, principal: string, apiKey: number, version: number, body: unknown, host = '127.0.0.1'): Promise<T> {
  const d = apiDescriptor(apiKey)!;
  const w = new Writer();
  d.encodeRequest(w, version, body);
  const req = d.decodeRequest(new Reader(w.toBuffer()), version);
  const ctx: RequestContext = {
    apiKey,
    apiVersion: version,
    correlationId: 1,
    clientId: 'acl-test',
    connection: { id: 0, remoteAddress: host, remotePort: 40000, listenerName: 'SASL_PLAINTEXT', securityProtocol: 'SASL_PLAINTEXT', principal },
    broker: services,
    now: Date.now(),
  };
  const res = await lookupApi(apiKey)!.handle(ctx, req);
  if (res === null) return null as T;
  const out = new Writer();
  d.encodeResponse(out, version, res);
  return d.decodeResponse(new Reader(out.toBuffer()), version) as T;
}

/** A stored ALLOW (unless said otherwise) binding with Kafka's defaults for the rest. */
export function allow(principal: string, operation: number, resourceType: number, resourceName: string, extra: Partial<AclBinding> = {}): AclBinding {
  return { resourceType, resourceName, patternType: PatternType.LITERAL, principal, host: '*', operation, permission: AclPermission.ALLOW, ...extra };
}

export { AclOperation as Op, ResourceType as RT, PatternType, AclPermission };
