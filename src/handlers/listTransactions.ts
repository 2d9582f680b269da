/**
 * ListTransactions: v0-2
 *
 * Behavior:
 * - Lists only the transactional ids the caller may DESCRIBE (no error for the others).
 * - Filters by state and producer id; unknown state names come back in unknown_state_filters.
 *
 * Version notes:
 * - v0: state and producer id filters.
 * - v1: duration_filter: only ongoing transactions open at least that long (KIP-994).
 * - v2: transactional_id_pattern, a regular expression the whole id must match (KIP-1152); an invalid one is
 *   INVALID_REGULAR_EXPRESSION.
 */
import { ErrorCode } from '../../protocol/errors';
import type { ListTransactionsRequest } from '../../protocol/generated/messages/ListTransactionsRequest';
import type { ListTransactionsResponseInput } from '../../protocol/generated/messages/ListTransactionsResponse';
import { txnServices } from '../txn/services';
import { TXN_STATUS_NAMES, TxnStatus } from '../txn/txnLogRecords';
import type { Handler } from './types';
import { authorizedTransactionalId } from '../security/acl/check';
import { AclOperation } from '../security/acl/model';

export const handleListTransactions: Handler<ListTransactionsRequest, ListTransactionsResponseInput> = async (ctx, req) => {
  const { coordinator } = await txnServices(ctx);
  const states = new Set(req.stateFilters);
  const pids = new Set(req.producerIdFilters);
  const minDuration = Number(req.durationFilter ?? -1n);
  // v2 (KIP-1152): a regular expression the whole transactional id must match; null or empty lists all.
  let pattern: RegExp | null = null;
  if (req.transactionalIdPattern) {
    try {
      pattern = new RegExp(`^(?:${req.transactionalIdPattern})$`, 'u');
    } catch (err) {
      ctx.broker.logger.info({ pattern: req.transactionalIdPattern, err: (err as Error).message }, 'ListTransactions: invalid transactional id pattern');
      return { throttleTimeMs: 0, errorCode: ErrorCode.INVALID_REGULAR_EXPRESSION, unknownStateFilters: [], transactionStates: [] };
    }
  }
  const transactionStates = [];
  for (const m of coordinator.all()) {
    const name = TXN_STATUS_NAMES[m.status]!;
    if (states.size > 0 && !states.has(name)) continue;
    // Like Kafka, only the transactional ids one may DESCRIBE are listed.
    if (!authorizedTransactionalId(ctx, AclOperation.DESCRIBE, m.transactionalId)) continue;
    if (pids.size > 0 && !pids.has(m.producerId)) continue;
    if (pattern && !pattern.test(m.transactionalId)) continue;
    // v1 duration filter: transactions open at least this long
    if (minDuration >= 0 && (m.status !== TxnStatus.Ongoing || ctx.now - m.startMs < minDuration)) continue;
    transactionStates.push({ transactionalId: m.transactionalId, producerId: m.producerId, transactionState: name });
  }
  return {
    throttleTimeMs: 0,
    errorCode: ErrorCode.NONE,
    unknownStateFilters: req.stateFilters.filter((s) => !TXN_STATUS_NAMES.includes(s)),
    transactionStates,
  };
};
