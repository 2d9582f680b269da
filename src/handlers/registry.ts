import type { Reader } from '../../protocol/codec/reader';
import type { Writer } from '../../protocol/codec/writer';
import { ApiKey, apiDescriptor } from '../../protocol/generated/apis';
import type { Handler } from './types';
import { handleApiVersions } from './apiVersions';
import { handleMetadata } from './metadata';
import { handleProduce } from './produce';
import { handleFetch } from './fetch';
import { handleListOffsets } from './listOffsets';
import { handleCreateTopics } from './createTopics';
import { handleDeleteTopics } from './deleteTopics';
import { handleCreatePartitions } from './createPartitions';
import { handleDescribeConfigs } from './describeConfigs';
import { handleAlterConfigs } from './alterConfigs';
import { handleIncrementalAlterConfigs } from './incrementalAlterConfigs';
import { handleDeleteRecords } from './deleteRecords';
import { handleDescribeCluster } from './describeCluster';
import { handleDescribeLogDirs } from './describeLogDirs';
import { handleOffsetForLeaderEpoch } from './offsetForLeaderEpoch';
import { handleFindCoordinator } from './findCoordinator';
import { handleJoinGroup } from './joinGroup';
import { handleSyncGroup } from './syncGroup';
import { handleHeartbeat } from './heartbeat';
import { handleLeaveGroup } from './leaveGroup';
import { handleOffsetCommit } from './offsetCommit';
import { handleOffsetFetch } from './offsetFetch';
import { handleListGroups } from './listGroups';
import { handleDescribeGroups } from './describeGroups';
import { handleDeleteGroups } from './deleteGroups';
import { handleOffsetDelete } from './offsetDelete';
import { handleConsumerGroupHeartbeat } from './consumerGroupHeartbeat';
import { handleConsumerGroupDescribe } from './consumerGroupDescribe';
import { handleInitProducerId } from './initProducerId';
import { handleAddPartitionsToTxn } from './addPartitionsToTxn';
import { handleAddOffsetsToTxn } from './addOffsetsToTxn';
import { handleEndTxn } from './endTxn';
import { handleTxnOffsetCommit } from './txnOffsetCommit';
import { handleWriteTxnMarkers } from './writeTxnMarkers';
import { handleDescribeTransactions } from './describeTransactions';
import { handleListTransactions } from './listTransactions';
import { handleDescribeProducers } from './describeProducers';
import { handleSaslHandshake } from './saslHandshake';
import { handleSaslAuthenticate } from './saslAuthenticate';
import { handleDescribeUserScramCredentials } from './describeUserScramCredentials';
import { handleAlterUserScramCredentials } from './alterUserScramCredentials';
import { handleDescribeClientQuotas } from './describeClientQuotas';
import { handleAlterClientQuotas } from './alterClientQuotas';
import { handleCreateAcls } from './createAcls';
import { handleDescribeAcls } from './describeAcls';
import { handleDeleteAcls } from './deleteAcls';
import { handleElectLeaders } from './electLeaders';

/** Everything the server needs to serve one API. */
export interface RegisteredApi {
  key: number;
  name: string;
  minVersion: number;
  maxVersion: number;
  requestHeaderVersion(v: number): number;
  responseHeaderVersion(v: number): number;
  decodeRequest(r: Reader, v: number): unknown;
  encodeResponse(w: Writer, v: number, msg: unknown): void;
  handle: Handler<unknown, unknown>;
}

/** Narrows the advertised range when a handler cannot serve every version of the spec. */
interface VersionLimit {
  minVersion?: number;
  maxVersion?: number;
}

type Entry = [key: ApiKey, handler: Handler<never, unknown>, limit?: VersionLimit];

/**
 * One line per implemented API. APIs absent here are neither advertised in
 * ApiVersions nor served. Handlers are typed with their generated request type;
 * the server hands them what the matching decoder produced.
 */
const ENTRIES: Entry[] = [
  [ApiKey.ApiVersions, handleApiVersions],
  [ApiKey.Metadata, handleMetadata],
  [ApiKey.Produce, handleProduce],
  [ApiKey.Fetch, handleFetch],
  [ApiKey.ListOffsets, handleListOffsets],
  [ApiKey.CreateTopics, handleCreateTopics],
  [ApiKey.DeleteTopics, handleDeleteTopics],
  [ApiKey.CreatePartitions, handleCreatePartitions],
  [ApiKey.DescribeConfigs, handleDescribeConfigs],
  [ApiKey.AlterConfigs, handleAlterConfigs],
  [ApiKey.IncrementalAlterConfigs, handleIncrementalAlterConfigs],
  [ApiKey.DeleteRecords, handleDeleteRecords],
  [ApiKey.DescribeCluster, handleDescribeCluster],
  [ApiKey.DescribeLogDirs, handleDescribeLogDirs],
  [ApiKey.OffsetForLeaderEpoch, handleOffsetForLeaderEpoch],
  [ApiKey.FindCoordinator, handleFindCoordinator],
  [ApiKey.JoinGroup, handleJoinGroup],
  [ApiKey.SyncGroup, handleSyncGroup],
  [ApiKey.Heartbeat, handleHeartbeat],
  [ApiKey.LeaveGroup, handleLeaveGroup],
  [ApiKey.OffsetCommit, handleOffsetCommit],
  [ApiKey.OffsetFetch, handleOffsetFetch],
  [ApiKey.ListGroups, handleListGroups],
  [ApiKey.DescribeGroups, handleDescribeGroups],
  [ApiKey.DeleteGroups, handleDeleteGroups],
  [ApiKey.OffsetDelete, handleOffsetDelete],
  [ApiKey.ConsumerGroupHeartbeat, handleConsumerGroupHeartbeat],
  [ApiKey.ConsumerGroupDescribe, handleConsumerGroupDescribe],
  [ApiKey.InitProducerId, handleInitProducerId],
  [ApiKey.AddPartitionsToTxn, handleAddPartitionsToTxn],
  [ApiKey.AddOffsetsToTxn, handleAddOffsetsToTxn],
  [ApiKey.EndTxn, handleEndTxn],
  [ApiKey.TxnOffsetCommit, handleTxnOffsetCommit],
  [ApiKey.WriteTxnMarkers, handleWriteTxnMarkers],
  [ApiKey.DescribeTransactions, handleDescribeTransactions],
  [ApiKey.ListTransactions, handleListTransactions],
  [ApiKey.DescribeProducers, handleDescribeProducers],
  [ApiKey.SaslHandshake, handleSaslHandshake],
  [ApiKey.SaslAuthenticate, handleSaslAuthenticate],
  [ApiKey.DescribeUserScramCredentials, handleDescribeUserScramCredentials],
  [ApiKey.AlterUserScramCredentials, handleAlterUserScramCredentials],
  [ApiKey.DescribeClientQuotas, handleDescribeClientQuotas],
  [ApiKey.AlterClientQuotas, handleAlterClientQuotas],
  [ApiKey.CreateAcls, handleCreateAcls],
  [ApiKey.DescribeAcls, handleDescribeAcls],
  [ApiKey.DeleteAcls, handleDeleteAcls],
  [ApiKey.ElectLeaders, handleElectLeaders],
];

let table: Map<number, RegisteredApi> | null = null;

function build(): Map<number, RegisteredApi> {
  const out = new Map<number, RegisteredApi>();
  for (const [key, handler, limit] of ENTRIES) {
    const d = apiDescriptor(key);
    if (!d) throw new Error(`no generated codec for api key ${key}`);
    out.set(key, {
      key,
      name: d.name,
      minVersion: Math.max(d.minVersion, limit?.minVersion ?? d.minVersion),
      maxVersion: Math.min(d.maxVersion, limit?.maxVersion ?? d.maxVersion),
      requestHeaderVersion: (v) => d.requestHeaderVersion(v),
      responseHeaderVersion: (v) => d.responseHeaderVersion(v),
      decodeRequest: (r, v) => d.decodeRequest(r, v),
      encodeResponse: (w, v, m) => d.encodeResponse(w, v, m),
      handle: handler as Handler<unknown, unknown>,
    });
  }
  return out;
}

/** Built on first use so handler modules may import this one (ApiVersions lists it). */
export function lookupApi(key: number): RegisteredApi | undefined {
  table ??= build();
  return table.get(key);
}

/** Implemented APIs in api key order. */
export function supportedApis(): RegisteredApi[] {
  table ??= build();
  return [...table.values()].sort((a, b) => a.key - b.key);
}
