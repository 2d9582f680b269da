import { ApiKey } from '../../../protocol/generated/apis';
import type { InitProducerIdResponse } from '../../../protocol/generated/messages/InitProducerIdResponse';
import { buildRecordBatch } from '../../../protocol/records';
import type { RawClient } from '../../helpers/rawClient';

export async function initProducerId(c: RawClient, transactionalId: string | null = null, timeoutMs = 60_000) {
  return c.request<InitProducerIdResponse>(ApiKey.InitProducerId, 4, { transactionalId, transactionTimeoutMs: timeoutMs, producerId: -1n, producerEpoch: -1 });
}

export function idempotentBatch(producerId: bigint, epoch: number, baseSequence: number, values: string[], transactional = false): Buffer {
  return buildRecordBatch({ records: values.map((v) => ({ key: null, value: Buffer.from(v) })), producerId, producerEpoch: epoch, baseSequence, transactional });
}

