import { ErrorCode, errorName } from '../../../protocol/errors';
import { ApiKey } from '../../../protocol/generated/apis';
import type { DescribeClusterResponse } from '../../../protocol/generated/messages/DescribeClusterResponse';
import { parseBrokers } from './client';
import { CliError } from './errors';
import { cliSecurity } from './clientSecurity';
import type { CliIO } from './io';
import { intValue, type ParsedFlags } from './options';
import { RawAdminConnection } from './rawRequest';

/** A connection to `broker` (host:port) with the command's --client-id, --timeout-ms and security settings. */
function connect(broker: string, flags: ParsedFlags, io: CliIO): Promise<RawAdminConnection> {
  return RawAdminConnection.open(broker, flags.values.get('client-id') ?? 'brook-cli', intValue(flags, 'timeout-ms', { min: 1 }) ?? 5000, cliSecurity(flags, io));
}

/**
 * Runs `fn` on a protocol connection to the first bootstrap broker that answers, for the
 * commands whose APIs kafkajs lacks (quotas, SCRAM users, cluster), with the
 * same flags as every admin command: --bootstrap-server, --client-id,
 * --timeout-ms and the --command-config security settings.
 */
export async function withRawConnection<T>(flags: ParsedFlags, io: CliIO, fn: (c: RawAdminConnection) => Promise<T>): Promise<T> {
  const brokers = parseBrokers(flags.values.get('bootstrap-server') ?? io.env.BROOK_BOOTSTRAP_SERVER ?? '127.0.0.1:9092');
  // the first bootstrap broker that answers, as a Kafka client's bootstrap does
  let c: RawAdminConnection | null = null;
  let lastError: unknown = null;
  for (const broker of brokers) {
    try {
      c = await connect(broker, flags, io);
      break;
    } catch (err) {
      lastError = err;
    }
  }
  if (!c) throw lastError;
  try {
    return await fn(c);
  } finally {
    c.close();
  }
}

/**
 * Runs `fn` on a connection to broker `nodeId` itself, found through `c`: requests about one broker's own resources
 * (DescribeConfigs of BROKER `nodeId`) are answered by that broker only, as Kafka's admin client sends them.
 */
export async function withNodeConnection<T>(c: RawAdminConnection, nodeId: number, flags: ParsedFlags, io: CliIO, fn: (node: RawAdminConnection) => Promise<T>): Promise<T> {
  const cluster = await c.request<DescribeClusterResponse>(ApiKey.DescribeCluster, { includeClusterAuthorizedOperations: false, endpointType: 1 });
  if (cluster.errorCode !== ErrorCode.NONE) throw new CliError(`cannot describe the cluster: ${errorName(cluster.errorCode)}`);
  const b = cluster.brokers.find((x) => x.brokerId === nodeId);
  if (!b) throw new CliError(`broker ${nodeId} is not live (live: ${cluster.brokers.map((x) => x.brokerId).join(', ') || 'none'})`);
  const host = b.host.includes(':') ? `[${b.host}]` : b.host;
  const node = await connect(`${host}:${b.port}`, flags, io);
  try {
    return await fn(node);
  } finally {
    node.close();
  }
}
