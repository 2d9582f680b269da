import { ErrorCode, errorName } from '../../../protocol/errors';
import { ApiKey } from '../../../protocol/generated/apis';
import type { AlterPartitionReassignmentsResponse } from '../../../protocol/generated/messages/AlterPartitionReassignmentsResponse';
import type { DescribeClusterResponse } from '../../../protocol/generated/messages/DescribeClusterResponse';
import type { ElectLeadersResponse } from '../../../protocol/generated/messages/ElectLeadersResponse';
import type { IncrementalAlterConfigsResponse } from '../../../protocol/generated/messages/IncrementalAlterConfigsResponse';
import type { ListPartitionReassignmentsResponse } from '../../../protocol/generated/messages/ListPartitionReassignmentsResponse';
import type { MetadataResponse } from '../../../protocol/generated/messages/MetadataResponse';
import { FOLLOWER_THROTTLE, LEADER_THROTTLE } from '../../admin/dynamicBrokerConfigCatalog';
import { planBalanced, type Placement, type PlannerBroker } from '../../admin/reassignmentPlanner';
import type { AdminCommand } from './command';
import { CliError, usageError } from './errors';
import { formatJson, formatTable, ProgressLine, writeOut, type CliIO } from './io';
import { intValue, type ParsedFlags } from './options';
import type { RawAdminConnection } from './rawRequest';
import { withRawConnection } from './rawConnection';

const BROKER_RESOURCE = 4;
const SET = 0;
const DELETE = 1;

interface ClusterView {
  brokers: PlannerBroker[];
  placements: Placement[];
}

async function clusterView(c: RawAdminConnection, topics: readonly string[] | null): Promise<ClusterView> {
  const cluster = await c.request<DescribeClusterResponse>(ApiKey.DescribeCluster, { includeClusterAuthorizedOperations: false, endpointType: 1 });
  if (cluster.errorCode !== ErrorCode.NONE) throw new CliError(`cannot describe the cluster: ${errorName(cluster.errorCode)}`);
  const md = await c.request<MetadataResponse>(ApiKey.Metadata, {
    topics: topics === null ? null : topics.map((name) => ({ name, topicId: Buffer.alloc(16) })),
    allowAutoTopicCreation: false,
    includeClusterAuthorizedOperations: false,
    includeTopicAuthorizedOperations: false,
  });
  const placements: Placement[] = [];
  for (const t of md.topics) {
    if (t.errorCode !== ErrorCode.NONE) throw new CliError(`topic ${t.name}: ${errorName(t.errorCode)}`);
    for (const p of t.partitions) placements.push({ topic: t.name!, partition: p.partitionIndex, replicas: [...p.replicaNodes] });
  }
  placements.sort((a, b) => a.topic.localeCompare(b.topic) || a.partition - b.partition);
  return { brokers: cluster.brokers.map((b) => ({ nodeId: b.brokerId, rack: b.rack })), placements };
}

function brokerIds(flags: ParsedFlags, name: string): number[] {
  const raw = (flags.lists.get(name) ?? []).flatMap((v) => v.split(',')).filter((v) => v.trim() !== '');
  return raw.map((v) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < 0) throw usageError(`--${name} expects broker ids, got "${v}"`);
    return n;
  });
}

async function setThrottles(c: RawAdminConnection, brokers: readonly number[], rate: number | null): Promise<void> {
  const ops = [LEADER_THROTTLE, FOLLOWER_THROTTLE].map((name) => ({ name, configOperation: rate === null ? DELETE : SET, value: rate === null ? null : String(rate) }));
  const res = await c.request<IncrementalAlterConfigsResponse>(ApiKey.IncrementalAlterConfigs, {
    validateOnly: false,
    resources: brokers.map((id) => ({ resourceType: BROKER_RESOURCE, resourceName: String(id), configs: ops })),
  });
  const failed = res.responses.find((r) => r.errorCode !== ErrorCode.NONE);
  if (failed) throw new CliError(`cannot ${rate === null ? 'remove' : 'set'} the replication throttle on broker ${failed.resourceName}: ${errorName(failed.errorCode)}${failed.errorMessage ? `: ${failed.errorMessage}` : ''}`);
}

async function alter(c: RawAdminConnection, moves: ReadonlyArray<{ topic: string; partition: number; replicas: number[] | null }>): Promise<void> {
  const byTopic = new Map<string, Array<{ partitionIndex: number; replicas: number[] | null }>>();
  for (const m of moves) byTopic.set(m.topic, [...(byTopic.get(m.topic) ?? []), { partitionIndex: m.partition, replicas: m.replicas }]);
  const res = await c.request<AlterPartitionReassignmentsResponse>(ApiKey.AlterPartitionReassignments, {
    timeoutMs: 30_000,
    allowReplicationFactorChange: true,
    topics: [...byTopic].map(([name, partitions]) => ({ name, partitions })),
  });
  if (res.errorCode !== ErrorCode.NONE) throw new CliError(`reassignment refused: ${errorName(res.errorCode)}${res.errorMessage ? `: ${res.errorMessage}` : ''}`);
  const failed = res.responses.flatMap((t) => t.partitions.filter((p) => p.errorCode !== ErrorCode.NONE).map((p) => `${t.name}-${p.partitionIndex}: ${errorName(p.errorCode)}${p.errorMessage ? ` (${p.errorMessage})` : ''}`));
  if (failed.length > 0) throw new CliError(`reassignment refused for ${failed.length} partition(s):\n  ${failed.join('\n  ')}`);
}

async function inProgress(c: RawAdminConnection, moves: readonly Placement[]): Promise<ListPartitionReassignmentsResponse['topics']> {
  const byTopic = new Map<string, number[]>();
  for (const m of moves) byTopic.set(m.topic, [...(byTopic.get(m.topic) ?? []), m.partition]);
  const res = await c.request<ListPartitionReassignmentsResponse>(ApiKey.ListPartitionReassignments, { timeoutMs: 30_000, topics: [...byTopic].map(([name, partitionIndexes]) => ({ name, partitionIndexes })) });
  if (res.errorCode !== ErrorCode.NONE) throw new CliError(`cannot list reassignments: ${errorName(res.errorCode)}`);
  return res.topics;
}

/** Polls until none of the moves is in progress, then checks the replicas are the planned ones (the --verify step). */
async function waitAndVerify(c: RawAdminConnection, moves: readonly Placement[], io: CliIO, flags: ParsedFlags): Promise<void> {
  const waitMs = intValue(flags, 'wait-ms', { min: 0 }) ?? 3_600_000;
  const deadline = Date.now() + waitMs;
  const progress = new ProgressLine(io, io.stderrIsTTY || flags.switches.has('progress'), 1000);
  for (;;) {
    const ongoing = await inProgress(c, moves);
    const left = ongoing.reduce((n, t) => n + t.partitions.length, 0);
    if (left === 0) break;
    if (Date.now() > deadline) throw new CliError(`${left} of ${moves.length} partition move(s) still in progress after ${waitMs} ms (they go on; run again with --verify)`);
    progress.update(() => `moving: ${moves.length - left}/${moves.length} partitions done`);
    await new Promise((r) => setTimeout(r, 500));
  }
  progress.done();
  const now = await clusterView(c, [...new Set(moves.map((m) => m.topic))]);
  const actual = new Map(now.placements.map((p) => [`${p.topic}\u0000${p.partition}`, p.replicas.join(',')]));
  const off = moves.filter((m) => actual.get(`${m.topic}\u0000${m.partition}`) !== m.replicas.join(','));
  if (off.length > 0) throw new CliError(`${off.length} partition(s) ended with other replicas than planned (cancelled or replaced meanwhile?): ${off.map((m) => `${m.topic}-${m.partition}`).join(', ')}`);
}

async function preferredElection(c: RawAdminConnection, moves: readonly Placement[]): Promise<number> {
  const byTopic = new Map<string, number[]>();
  for (const m of moves) byTopic.set(m.topic, [...(byTopic.get(m.topic) ?? []), m.partition]);
  const res = await c.request<ElectLeadersResponse>(ApiKey.ElectLeaders, { electionType: 0, timeoutMs: 30_000, topicPartitions: [...byTopic].map(([topic, partitions]) => ({ topic, partitions })) });
  return res.replicaElectionResults.reduce((n, t) => n + t.partitionResult.filter((p) => p.errorCode === ErrorCode.NONE).length, 0);
}

/** Prints the plan, and unless --dry-run executes it (throttled if asked), waits and verifies. */
async function execute(c: RawAdminConnection, view: ClusterView, moves: Placement[], flags: ParsedFlags, io: CliIO, what: string): Promise<void> {
  const before = new Map(view.placements.map((p) => [`${p.topic}\u0000${p.partition}`, p.replicas]));
  const rows = moves.map((m) => ({ topic: m.topic, partition: m.partition, from: before.get(`${m.topic}\u0000${m.partition}`) ?? [], to: m.replicas }));
  const json = flags.switches.has('json');
  if (!json) await writeOut(io.stdout, moves.length === 0 ? `Nothing to move: ${what}.\n` : formatTable(['TOPIC', 'PARTITION', 'FROM', 'TO'], rows.map((r) => [r.topic, r.partition, r.from.join(','), r.to.join(',')])));
  if (moves.length === 0 || flags.switches.has('dry-run')) {
    if (json) await writeOut(io.stdout, formatJson({ moves: rows, executed: false }));
    return;
  }
  const throttle = intValue(flags, 'throttle', { min: 1 });
  const involved = [...new Set(moves.flatMap((m) => [...m.replicas, ...(before.get(`${m.topic}\u0000${m.partition}`) ?? [])]))].sort((a, b) => a - b);
  if (throttle !== undefined) await setThrottles(c, involved, throttle);
  try {
    await alter(c, moves);
    if (!json) await writeOut(io.stdout, `Started ${moves.length} partition move(s).\n`);
    if (flags.switches.has('no-wait')) {
      if (json) await writeOut(io.stdout, formatJson({ moves: rows, executed: true, completed: false }));
      return;
    }
    await waitAndVerify(c, moves, io, flags);
  } finally {
    // the throttle stays while moves go on without us (--no-wait); `--verify` after them removes it
    if (throttle !== undefined && !flags.switches.has('no-wait')) await setThrottles(c, involved, null);
  }
  const elected = await preferredElection(c, moves);
  if (json) await writeOut(io.stdout, formatJson({ moves: rows, executed: true, completed: true, leadersMoved: elected }));
  else await writeOut(io.stdout, `Completed ${moves.length} partition move(s); ${elected} leader(s) moved to the preferred replica.\n`);
}

const json = (flags: ParsedFlags) => flags.switches.has('json');

const EXECUTION_FLAGS = {
  'dry-run': { kind: 'switch', help: 'print the plan only' },
  'no-wait': { kind: 'switch', help: 'start the moves and return (check with --verify)' },
  throttle: { kind: 'value', help: 'bytes/s for catch-up traffic on the brokers involved, removed when done' },
  'wait-ms': { kind: 'value', help: 'give up waiting after this long (default 1 hour; the moves go on)' },
  progress: { kind: 'switch', help: 'show progress on stderr even when it is not a terminal' },
  'allow-lower-replication': { kind: 'switch', help: 'let a planned move lower replication factors when too few brokers may hold replicas' },
} as const;

/**
 * A plan that drops replicas because too few brokers may hold them lowers those partitions' replication factor for
 * good; Kafka's tools refuse that, so it needs --allow-lower-replication (more brokers first is the better answer).
 */
function refuseLowerReplication(view: ClusterView, moves: readonly Placement[], flags: ParsedFlags): void {
  if (flags.switches.has('allow-lower-replication')) return;
  const before = new Map(view.placements.map((p) => [`${p.topic}\u0000${p.partition}`, p.replicas.length]));
  const lowered = moves.filter((m) => m.replicas.length < (before.get(`${m.topic}\u0000${m.partition}`) ?? 0));
  if (lowered.length === 0) return;
  const first = lowered[0]!;
  throw new CliError(
    `this plan would lower the replication factor of ${lowered.length} partition(s) (${first.topic}-${first.partition} from ${before.get(`${first.topic}\u0000${first.partition}`)} to ${first.replicas.length}): ` +
      'too few brokers may hold their replicas. Add brokers first, or pass --allow-lower-replication to accept it',
  );
}

const reassign: AdminCommand = {
  name: 'cluster reassign',
  summary: 'move partitions onto a set of brokers: plan, execute, verify (kafka-reassign-partitions)',
  flags: {
    topic: { kind: 'list', help: 'topics to move (repeatable; default: every topic)' },
    brokers: { kind: 'list', help: 'broker ids the replicas go to, e.g. 2,3,4 (default: every live broker)' },
    partition: { kind: 'value', help: 'with one --topic and --replicas: just this partition' },
    replicas: { kind: 'value', help: 'with --topic/--partition: the exact replica list, e.g. 2,3' },
    cancel: { kind: 'switch', help: 'cancel the reassignments in progress of the given topics' },
    verify: { kind: 'switch', help: 'wait for the reassignments in progress of the given topics, then remove throttles' },
    ...EXECUTION_FLAGS,
  },
  details: 'The plan moves as few replicas as it can: replicas off brokers outside --brokers, then\neven counts per broker (racks kept apart), then even preferred leaders.\nExample: brook cluster reassign --topic orders --brokers 2,3,4 --throttle 10000000',
  async run(flags, io) {
    const topics = flags.lists.get('topic') ?? null;
    await withRawConnection(flags, io, async (c) => {
      const view = await clusterView(c, topics);
      if (flags.switches.has('cancel') || flags.switches.has('verify')) {
        const ongoing = await inProgress(c, view.placements);
        const list = ongoing.flatMap((t) => t.partitions.map((p) => ({ topic: t.name, partition: p.partitionIndex, replicas: p.replicas.filter((r) => !p.removingReplicas.includes(r)) })));
        if (flags.switches.has('cancel')) {
          if (list.length > 0) await alter(c, list.map((m) => ({ ...m, replicas: null })));
          await writeOut(io.stdout, `Cancelled ${list.length} reassignment(s).\n`);
          return;
        }
        await waitAndVerify(c, list, io, flags);
        const brokers = view.brokers.map((b) => b.nodeId);
        await setThrottles(c, brokers, null);
        await writeOut(io.stdout, `No reassignment in progress${list.length ? ` (${list.length} completed)` : ''}; replication throttles removed.\n`);
        return;
      }
      const exact = flags.values.get('replicas');
      if (exact !== undefined) {
        const partition = Number(flags.values.get('partition'));
        if (topics?.length !== 1 || !Number.isInteger(partition)) throw usageError('--replicas needs exactly one --topic and a --partition');
        const replicas = exact.split(',').map((v) => Number(v));
        return execute(c, view, [{ topic: topics[0]!, partition, replicas }], flags, io, 'already placed so');
      }
      const wanted = brokerIds(flags, 'brokers');
      const unknown = wanted.filter((id) => !view.brokers.some((b) => b.nodeId === id));
      if (unknown.length > 0) throw new CliError(`broker(s) ${unknown.join(',')} are not live`);
      const moves = planBalanced(view.placements, view.brokers, { allowed: wanted.length > 0 ? new Set(wanted) : undefined });
      refuseLowerReplication(view, moves, flags);
      return execute(c, view, moves, flags, io, 'the partitions are balanced on those brokers');
    });
  },
};

const decommission: AdminCommand = {
  name: 'cluster decommission',
  summary: 'move every replica off a broker so it can be stopped',
  flags: { broker: { kind: 'value', help: 'node id of the broker to empty' }, ...EXECUTION_FLAGS },
  details: 'Replicas go to the least loaded other live brokers (racks kept apart), replication\nfactors kept (refused when too few other brokers remain, unless --allow-lower-replication). Once it reports completion the broker holds nothing and can be stopped.\nA broker that died for good can be decommissioned too: its replicas are rebuilt elsewhere.',
  async run(flags, io) {
    const id = Number(flags.values.get('broker'));
    if (!Number.isInteger(id) || id < 0) throw usageError('--broker <node id> is required');
    await withRawConnection(flags, io, async (c) => {
      const view = await clusterView(c, null);
      // a broker that died for good is decommissioned the same way: its replicas are rebuilt on the others
      if (!view.brokers.some((b) => b.nodeId === id) && !json(flags)) await writeOut(io.stdout, `Broker ${id} is not live; its replicas are rebuilt from the other in-sync replicas.\n`);
      const others = new Set(view.brokers.map((b) => b.nodeId).filter((b) => b !== id));
      if (others.size === 0) throw new CliError(`broker ${id} is the only live broker; there is nowhere to move its replicas`);
      const onIt = view.placements.filter((p) => p.replicas.includes(id));
      const moves = planBalanced(onIt, view.brokers, { allowed: others });
      refuseLowerReplication(view, moves, flags);
      return execute(c, view, moves, flags, io, `broker ${id} holds no replica`);
    });
  },
};

const rebalance: AdminCommand = {
  name: 'cluster rebalance',
  summary: 'even out replicas and leaders across the live brokers and racks',
  flags: { topic: { kind: 'list', help: 'only these topics (repeatable; default: every topic)' }, ...EXECUTION_FLAGS },
  details: 'Moves the fewest replicas that bring every live broker within one replica of the\nothers, then reorders replicas so preferred leaders are even and elects them.',
  async run(flags, io) {
    await withRawConnection(flags, io, async (c) => {
      const view = await clusterView(c, flags.lists.get('topic') ?? null);
      const moves = planBalanced(view.placements, view.brokers);
      // with a broker down, fewer live brokers than a topic's replication factor
      refuseLowerReplication(view, moves, flags);
      return execute(c, view, moves, flags, io, 'replicas and leaders are already even');
    });
  },
};

export const reassignCommands: AdminCommand[] = [reassign, decommission, rebalance];
