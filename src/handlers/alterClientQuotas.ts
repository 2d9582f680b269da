/**
 * AlterClientQuotas: v0-1
 *
 * Behavior:
 * - Needs ALTER_CONFIGS on the cluster (CLUSTER_AUTHORIZATION_FAILED on every entry); UNKNOWN_SERVER_ERROR when
 *   quotas are not set up or cannot be stored.
 * - Each entry is checked on its own: a bad entity, repeated key, unknown key or bad value is INVALID_REQUEST for
 *   that entry only. validate_only checks without storing.
 *
 * Version notes:
 * - v0: as above. v1: flexible.
 */
import { ErrorCode } from '../../protocol/errors';
import type { AlterClientQuotasRequest } from '../../protocol/generated/messages/AlterClientQuotasRequest';
import type { AlterClientQuotasResponseInput } from '../../protocol/generated/messages/AlterClientQuotasResponse';
import { AclOperation } from '../security/acl/model';
import { authorizedCluster } from '../security/acl/check';
import { entityFromWire, isQuotaKey, validateQuotaValue } from '../security/quota/entity';
import type { QuotaChange } from '../security/quota/store';
import type { Handler } from './types';

type EntryResult = NonNullable<AlterClientQuotasResponseInput['entries']>[number];

/** The change an entry asks for, or why it is invalid (Kafka answers INVALID_REQUEST for that entry only). */
function changeFor(entry: AlterClientQuotasRequest['entries'][number]): QuotaChange | string {
  const entity = entityFromWire(entry.entity);
  if (typeof entity === 'string') return entity;
  const change: QuotaChange = { entity, set: {}, remove: [] };
  const seen = new Set<string>();
  for (const op of entry.ops) {
    if (seen.has(op.key)) return `quota key ${op.key} appears more than once`;
    seen.add(op.key);
    if (op.remove) {
      if (!isQuotaKey(entity, op.key)) return `${op.key} is not a quota key for this entity`;
      change.remove.push(op.key);
      continue;
    }
    const problem = validateQuotaValue(entity, op.key, op.value);
    if (problem !== null) return problem;
    change.set[op.key] = op.value;
  }
  return change;
}

export const handleAlterClientQuotas: Handler<AlterClientQuotasRequest, AlterClientQuotasResponseInput> = async (ctx, req) => {
  const result = (entry: AlterClientQuotasRequest['entries'][number], errorCode: number, errorMessage: string | null): EntryResult => ({
    errorCode,
    errorMessage,
    entity: entry.entity.map((e) => ({ entityType: e.entityType, entityName: e.entityName })),
  });
  const quotas = ctx.broker.quotas;
  if (!authorizedCluster(ctx, AclOperation.ALTER_CONFIGS) || !quotas) {
    const code = quotas ? ErrorCode.CLUSTER_AUTHORIZATION_FAILED : ErrorCode.UNKNOWN_SERVER_ERROR;
    return { throttleTimeMs: 0, entries: req.entries.map((e) => result(e, code, null)) };
  }
  const changes: QuotaChange[] = [];
  const entries = req.entries.map((e) => {
    const change = changeFor(e);
    if (typeof change === 'string') return result(e, ErrorCode.INVALID_REQUEST, change);
    changes.push(change);
    return result(e, ErrorCode.NONE, null);
  });
  if (!req.validateOnly && changes.length > 0) {
    try {
      await quotas.store.alter(changes);
    } catch (err) {
      const message = `cannot store quotas: ${(err as Error).message}`;
      ctx.broker.logger.error({ err: (err as Error).message }, 'cannot store client quotas');
      return { throttleTimeMs: 0, entries: entries.map((e) => (e.errorCode === ErrorCode.NONE ? { ...e, errorCode: ErrorCode.UNKNOWN_SERVER_ERROR, errorMessage: message } : e)) };
    }
    ctx.broker.logger.info({ principal: ctx.connection.principal, entities: changes.length }, 'client quotas altered');
  }
  return { throttleTimeMs: 0, entries };
};
