import type { Reader } from '../../protocol/codec/reader';
import type { Writer } from '../../protocol/codec/writer';
import { ApiKey, apiDescriptor } from '../../protocol/generated/apis';
import type { Handler } from './types';
import { apiVersionsHandler } from './apiVersions';
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
import { handleAlterPartitionReassignments } from './alterPartitionReassignments';
import { handleListPartitionReassignments } from './listPartitionReassignments';
import { handleShareGroupHeartbeat } from './shareGroupHeartbeat';
import { handleShareGroupDescribe } from './shareGroupDescribe';
import { handleShareFetch } from './shareFetch';
import { handleReadShareGroupState } from './readShareGroupState';
import { handleInitializeShareGroupState } from './initializeShareGroupState';
import { handleWriteShareGroupState } from './writeShareGroupState';
import { handleDeleteShareGroupState } from './deleteShareGroupState';
import { handleShareAcknowledge } from './shareAcknowledge';
import { handleDescribeShareGroupOffsets } from './describeShareGroupOffsets';
import { handleAlterShareGroupOffsets } from './alterShareGroupOffsets';
import { handleDeleteShareGroupOffsets } from './deleteShareGroupOffsets';

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

/** The versions a handler implements, semantics included (not just the codec): its own declaration. */
type Entry = [key: ApiKey, handler: Handler<never, unknown>, minVersion: number, maxVersion: number];

/**
 * One line per implemented API with the version range its handler implements.
 * APIs absent here are neither advertised in ApiVersions nor served. What is
 * advertised is that range within the spec's, less a latest version the spec
 * marks unstable (latestVersionUnstable: still being designed upstream).
 * Handlers are typed with their generated request type; the server hands them
 * what the matching decoder produced.
 */
const ENTRIES: Entry[] = [
  [ApiKey.ApiVersions, apiVersionsHandler(() => supportedApis()), 0, 4],
  [ApiKey.Metadata, handleMetadata, 0, 13],
  [ApiKey.Produce, handleProduce, 0, 13],
  [ApiKey.Fetch, handleFetch, 0, 18],
  [ApiKey.ListOffsets, handleListOffsets, 0, 11],
  [ApiKey.CreateTopics, handleCreateTopics, 0, 7],
  [ApiKey.DeleteTopics, handleDeleteTopics, 0, 6],
  [ApiKey.CreatePartitions, handleCreatePartitions, 0, 3],
  [ApiKey.DescribeConfigs, handleDescribeConfigs, 0, 4],
  [ApiKey.AlterConfigs, handleAlterConfigs, 0, 2],
  [ApiKey.IncrementalAlterConfigs, handleIncrementalAlterConfigs, 0, 1],
  [ApiKey.DeleteRecords, handleDeleteRecords, 0, 2],
  [ApiKey.DescribeCluster, handleDescribeCluster, 0, 2],
  [ApiKey.DescribeLogDirs, handleDescribeLogDirs, 0, 4],
  [ApiKey.OffsetForLeaderEpoch, handleOffsetForLeaderEpoch, 0, 4],
  [ApiKey.FindCoordinator, handleFindCoordinator, 0, 6],
  [ApiKey.JoinGroup, handleJoinGroup, 0, 9],
  [ApiKey.SyncGroup, handleSyncGroup, 0, 5],
  [ApiKey.Heartbeat, handleHeartbeat, 0, 4],
  [ApiKey.LeaveGroup, handleLeaveGroup, 0, 5],
  [ApiKey.OffsetCommit, handleOffsetCommit, 0, 9],
  [ApiKey.OffsetFetch, handleOffsetFetch, 0, 9],
  [ApiKey.ListGroups, handleListGroups, 0, 5],
  [ApiKey.DescribeGroups, handleDescribeGroups, 0, 6],
  [ApiKey.DeleteGroups, handleDeleteGroups, 0, 2],
  [ApiKey.OffsetDelete, handleOffsetDelete, 0, 0],
  [ApiKey.ConsumerGroupHeartbeat, handleConsumerGroupHeartbeat, 0, 1],
  [ApiKey.ConsumerGroupDescribe, handleConsumerGroupDescribe, 0, 1],
  [ApiKey.InitProducerId, handleInitProducerId, 0, 5],
  [ApiKey.AddPartitionsToTxn, handleAddPartitionsToTxn, 0, 5],
  [ApiKey.AddOffsetsToTxn, handleAddOffsetsToTxn, 0, 4],
  [ApiKey.EndTxn, handleEndTxn, 0, 5],
  [ApiKey.TxnOffsetCommit, handleTxnOffsetCommit, 0, 5],
  [ApiKey.WriteTxnMarkers, handleWriteTxnMarkers, 0, 1],
  [ApiKey.DescribeTransactions, handleDescribeTransactions, 0, 0],
  [ApiKey.ListTransactions, handleListTransactions, 0, 2],
  [ApiKey.DescribeProducers, handleDescribeProducers, 0, 0],
  [ApiKey.SaslHandshake, handleSaslHandshake, 0, 1],
  [ApiKey.SaslAuthenticate, handleSaslAuthenticate, 0, 2],
  [ApiKey.DescribeUserScramCredentials, handleDescribeUserScramCredentials, 0, 0],
  [ApiKey.AlterUserScramCredentials, handleAlterUserScramCredentials, 0, 0],
  [ApiKey.DescribeClientQuotas, handleDescribeClientQuotas, 0, 1],
  [ApiKey.AlterClientQuotas, handleAlterClientQuotas, 0, 1],
  [ApiKey.CreateAcls, handleCreateAcls, 0, 3],
  [ApiKey.DescribeAcls, handleDescribeAcls, 0, 3],
  [ApiKey.DeleteAcls, handleDeleteAcls, 0, 3],
  [ApiKey.ElectLeaders, handleElectLeaders, 0, 2],
  [ApiKey.AlterPartitionReassignments, handleAlterPartitionReassignments, 0, 1],
  [ApiKey.ListPartitionReassignments, handleListPartitionReassignments, 0, 0],
  [ApiKey.ShareGroupHeartbeat, handleShareGroupHeartbeat, 1, 1],
  [ApiKey.ShareGroupDescribe, handleShareGroupDescribe, 1, 1],
  [ApiKey.ShareFetch, handleShareFetch, 1, 1],
  [ApiKey.InitializeShareGroupState, handleInitializeShareGroupState, 0, 0],
  [ApiKey.ReadShareGroupState, handleReadShareGroupState, 0, 0],
  [ApiKey.WriteShareGroupState, handleWriteShareGroupState, 0, 0],
  [ApiKey.DeleteShareGroupState, handleDeleteShareGroupState, 0, 0],
  [ApiKey.ShareAcknowledge, handleShareAcknowledge, 1, 1],
  [ApiKey.DescribeShareGroupOffsets, handleDescribeShareGroupOffsets, 0, 0],
  [ApiKey.AlterShareGroupOffsets, handleAlterShareGroupOffsets, 0, 0],
  [ApiKey.DeleteShareGroupOffsets, handleDeleteShareGroupOffsets, 0, 0],
];

let table: Map<number, RegisteredApi> | null = null;

function build(): Map<number, RegisteredApi> {
  const out = new Map<number, RegisteredApi>();
  for (const [key, handler, minVersion, maxVersion] of ENTRIES) {
    const d = apiDescriptor(key);
    if (!d) throw new Error(`no generated codec for api key ${key}`);
    const stableMax = d.latestVersionUnstable ? d.maxVersion - 1 : d.maxVersion;
    if (minVersion < d.minVersion || maxVersion > d.maxVersion) {
      throw new Error(`${d.name}: handler declares versions ${minVersion}-${maxVersion} outside the spec's ${d.minVersion}-${d.maxVersion}`);
    }
    out.set(key, {
      key,
      name: d.name,
      minVersion,
      maxVersion: Math.min(maxVersion, stableMax),
      requestHeaderVersion: (v) => d.requestHeaderVersion(v),
      responseHeaderVersion: (v) => d.responseHeaderVersion(v),
      decodeRequest: (r, v) => d.decodeRequest(r, v),
      encodeResponse: (w, v, m) => d.encodeResponse(w, v, m),
      handle: handler as Handler<unknown, unknown>,
    });
  }
  return out;
}

/** Built on first use: the ApiVersions entry lists the very table it is part of. */
export function lookupApi(key: number): RegisteredApi | undefined {
  table ??= build();
  return table.get(key);
}

/** Implemented APIs in api key order. */
export function supportedApis(): RegisteredApi[] {
  table ??= build();
  return [...table.values()].sort((a, b) => a.key - b.key);
}
