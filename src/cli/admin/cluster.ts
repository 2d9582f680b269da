import { ErrorCode, errorName } from '../../../protocol/errors';
import { ApiKey } from '../../../protocol/generated/apis';
import type { DescribeClusterResponse } from '../../../protocol/generated/messages/DescribeClusterResponse';
import type { ElectLeadersResponse } from '../../../protocol/generated/messages/ElectLeadersResponse';
import type { AdminCommand } from './command';
import { CliError, usageError } from './errors';
import { formatJson, formatTable, writeOut, type CliIO } from './io';
import type { ParsedFlags } from './options';
import { withRawConnection } from './rawConnection';

const describe: AdminCommand = {
  name: 'cluster describe',
  summary: 'cluster id, controller and live brokers',
  flags: {},
  async run(flags, io) {
    const res = await withRawConnection(flags, io, (c) => c.request<DescribeClusterResponse>(ApiKey.DescribeCluster, { includeClusterAuthorizedOperations: false, endpointType: 1 }));
    if (res.errorCode !== ErrorCode.NONE) throw new CliError(`cannot describe the cluster: ${errorName(res.errorCode)}${res.errorMessage ? `: ${res.errorMessage}` : ''}`);
    const brokers = res.brokers.map((b) => ({ nodeId: b.brokerId, host: b.host, port: b.port, rack: b.rack, controller: b.brokerId === res.controllerId }));
    if (flags.switches.has('json')) return writeOut(io.stdout, formatJson({ clusterId: res.clusterId, controllerId: res.controllerId, brokers }));
    const head = `Cluster: ${res.clusterId}\tController: ${res.controllerId}\n`;
    await writeOut(io.stdout, head + formatTable(['NODE', 'HOST', 'PORT', 'RACK', 'CONTROLLER'], brokers.map((b) => [b.nodeId, b.host, b.port, b.rack ?? '-', b.controller ? 'yes' : ''])));
  },
};

const ELECTION_TYPES: Record<string, number> = { preferred: 0, unclean: 1 };

const electLeaders: AdminCommand = {
  name: 'cluster elect-leaders',
  summary: 'preferred or unclean leader election (kafka-leader-election)',
  flags: {
    type: { kind: 'value', help: 'preferred (default) or unclean' },
    topic: { kind: 'value', help: 'only this topic (default: every partition)' },
    partition: { kind: 'list', help: 'only these partitions of --topic' },
  },
  details: 'Preferred moves leadership back to the first replica when it is alive and in sync;\nunclean elects any live replica for a partition without a leader (may lose data).',
  async run(flags, io) {
    const typeName = flags.values.get('type') ?? 'preferred';
    const electionType = ELECTION_TYPES[typeName];
    if (electionType === undefined) throw usageError(`--type must be preferred or unclean, got "${typeName}"`);
    const topic = flags.values.get('topic');
    const partitions = (flags.lists.get('partition') ?? []).map((p) => {
      const n = Number(p);
      if (!Number.isInteger(n) || n < 0) throw usageError(`--partition expects a partition number, got "${p}"`);
      return n;
    });
    if (partitions.length > 0 && topic === undefined) throw usageError('--partition needs --topic');
    let topicPartitions: Array<{ topic: string; partitions: number[] }> | null = null;
    if (topic !== undefined) {
      // A whole topic: ask the broker for its partition count first.
      const count = partitions.length > 0 ? 0 : await topicPartitionCount(flags, io, topic);
      topicPartitions = [{ topic, partitions: partitions.length > 0 ? partitions : Array.from({ length: count }, (_, i) => i) }];
    }
    const res = await withRawConnection(flags, io, (c) => c.request<ElectLeadersResponse>(ApiKey.ElectLeaders, { electionType, topicPartitions, timeoutMs: 30_000 }));
    if (res.errorCode !== ErrorCode.NONE) throw new CliError(`leader election refused: ${errorName(res.errorCode)}`);
    const rows = res.replicaElectionResults.flatMap((t) => t.partitionResult.map((p) => ({ topic: t.topic, partition: p.partitionId, result: p.errorCode === ErrorCode.NONE ? 'elected' : errorName(p.errorCode), message: p.errorMessage })));
    if (flags.switches.has('json')) await writeOut(io.stdout, formatJson(rows));
    else await writeOut(io.stdout, rows.length === 0 ? 'No partition needed an election.\n' : formatTable(['TOPIC', 'PARTITION', 'RESULT'], rows.map((r) => [r.topic, r.partition, r.result])));
    const failed = rows.filter((r) => r.result !== 'elected' && r.result !== 'ELECTION_NOT_NEEDED');
    if (failed.length > 0) throw new CliError(`${failed.length} partition(s) could not be elected`);
  },
};

async function topicPartitionCount(flags: ParsedFlags, io: CliIO, topic: string): Promise<number> {
  type Md = { topics: Array<{ name: string | null; errorCode: number; partitions: unknown[] }> };
  const md = await withRawConnection(flags, io, (c) =>
    c.request<Md>(ApiKey.Metadata, { topics: [{ name: topic, topicId: Buffer.alloc(16) }], allowAutoTopicCreation: false, includeClusterAuthorizedOperations: false, includeTopicAuthorizedOperations: false }),
  );
  const t = md.topics[0];
  if (!t || t.errorCode !== ErrorCode.NONE) throw new CliError(`unknown topic ${topic}${t ? `: ${errorName(t.errorCode)}` : ''}`);
  return t.partitions.length;
}

export const clusterCommands: AdminCommand[] = [describe, electLeaders];
