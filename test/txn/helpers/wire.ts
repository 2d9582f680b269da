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


/** Raw transactional calls at the versions kafkajs/librdkafka use most. */
export async function addPartitions(c: RawClient, id: string, pid: bigint, epoch: number, topic: string, partitions: number[]) {
  const res = await c.request<{ resultsByTopicV3AndBelow: Array<{ resultsByPartition: Array<{ partitionIndex: number; partitionErrorCode: number }> }> }>(ApiKey.AddPartitionsToTxn, 3, {
    v3AndBelowTransactionalId: id,
    v3AndBelowProducerId: pid,
    v3AndBelowProducerEpoch: epoch,
    v3AndBelowTopics: [{ name: topic, partitions }],
  });
  return res.resultsByTopicV3AndBelow[0].resultsByPartition.map((r) => r.partitionErrorCode);
}

export async function endTxn(c: RawClient, id: string, pid: bigint, epoch: number, committed: boolean): Promise<number> {
  const res = await c.request<{ errorCode: number }>(ApiKey.EndTxn, 3, { transactionalId: id, producerId: pid, producerEpoch: epoch, committed });
  return res.errorCode;
}

export async function describeTxn(c: RawClient, id: string) {
  const res = await c.request<{ transactionStates: Array<{ errorCode: number; transactionState: string; producerEpoch: number; topics: Array<{ topic: string; partitions: number[] }> }> }>(
    ApiKey.DescribeTransactions,
    0,
    { transactionalIds: [id] },
  );
  return res.transactionStates[0];
}

/** Produce as a transactional producer: the request names its transactional id, as Kafka requires. */
export async function produceTxn(c: RawClient, transactionalId: string, topic: string, partition: number, records: Buffer) {
  const res = await c.request<{ responses: Array<{ partitionResponses: Array<{ errorCode: number; baseOffset: bigint }> }> }>(ApiKey.Produce, 11, {
    transactionalId,
    acks: -1,
    timeoutMs: 5000,
    topicData: [{ name: topic, partitionData: [{ index: partition, records }] }],
  });
  return res.responses[0].partitionResponses[0];
}

export async function txnOffsetCommit(c: RawClient, id: string, pid: bigint, epoch: number, groupId: string, topic: string, offset: number, generationId = -1) {
  const res = await c.request<{ topics: Array<{ partitions: Array<{ errorCode: number }> }> }>(ApiKey.TxnOffsetCommit, 3, {
    transactionalId: id,
    groupId,
    producerId: pid,
    producerEpoch: epoch,
    generationId,
    memberId: generationId < 0 ? '' : 'nobody',
    groupInstanceId: null,
    topics: [{ name: topic, partitions: [{ partitionIndex: 0, committedOffset: BigInt(offset), committedLeaderEpoch: -1, committedMetadata: null }] }],
  });
  return res.topics[0].partitions[0].errorCode;
}

export async function addOffsets(c: RawClient, id: string, pid: bigint, epoch: number, groupId: string): Promise<number> {
  return (await c.request<{ errorCode: number }>(ApiKey.AddOffsetsToTxn, 3, { transactionalId: id, producerId: pid, producerEpoch: epoch, groupId })).errorCode;
}
