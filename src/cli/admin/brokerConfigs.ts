import { ErrorCode, errorName } from '../../../protocol/errors';
import { ApiKey } from '../../../protocol/generated/apis';
import type { DescribeConfigsResponse } from '../../../protocol/generated/messages/DescribeConfigsResponse';
import { alterConfigs } from './alterConfigs';
import { ConfigSource, configSourceName } from '../../admin/configTypes';
import type { AdminCommand } from './command';
import { CliError, usageError } from './errors';
import { formatJson, formatTable, writeOut } from './io';
import { withNodeConnection, withRawConnection } from './rawConnection';
import type { RawAdminConnection } from './rawRequest';

const BROKER_RESOURCE = 4;

/**
 * `brook cluster configs`: dynamic broker configs, per broker (--broker N) or
 * the cluster-wide default (no --broker: the empty resource name that
 * kafka-configs.sh --entity-default sends, which kafkajs and librdkafka refuse to send).
 */
const configs: AdminCommand = {
  name: 'cluster configs',
  summary: 'show or change dynamic broker configs (cluster default, or one broker with --broker)',
  flags: {
    broker: { kind: 'value', help: 'node id (default: the cluster-wide default for every broker)' },
    set: { kind: 'list', help: 'name=value to set' },
    delete: { kind: 'list', help: 'name to remove' },
  },
  details: 'Example: brook cluster configs --set log.retention.ms=86400000\n         brook cluster configs --broker 2 --set follower.replication.throttled.rate=10000000',
  async run(flags, io) {
    const broker = flags.values.get('broker') ?? '';
    if (broker !== '' && !/^\d+$/.test(broker)) throw usageError(`--broker expects a node id, got "${broker}"`);
    const sets = (flags.lists.get('set') ?? []).map((kv) => {
      const eq = kv.indexOf('=');
      if (eq <= 0) throw usageError(`--set expects name=value, got "${kv}"`);
      return { name: kv.slice(0, eq), configOperation: 0 as const, value: kv.slice(eq + 1) };
    });
    const deletes = (flags.lists.get('delete') ?? []).map((name) => ({ name, configOperation: 1 as const, value: null }));
    const describe = (on: RawAdminConnection) =>
      on.request<DescribeConfigsResponse>(ApiKey.DescribeConfigs, { resources: [{ resourceType: BROKER_RESOURCE, resourceName: broker, configurationKeys: null }], includeSynonyms: false, includeDocumentation: false });
    await withRawConnection(flags, io, async (c) => {
      if (sets.length + deletes.length > 0) await alterConfigs(c, BROKER_RESOURCE, broker, [...sets, ...deletes]);
      // one broker's configs are described by that broker (it refuses another's id), the cluster default by any
      const res = broker === '' ? await describe(c) : await withNodeConnection(c, Number(broker), flags, io, describe);
      const r = res.results[0]!;
      if (r.errorCode !== ErrorCode.NONE) throw new CliError(`cannot describe: ${errorName(r.errorCode)}${r.errorMessage ? `: ${r.errorMessage}` : ''}`);
      const dynamic = r.configs.filter((e) => e.configSource === ConfigSource.DYNAMIC_BROKER_CONFIG || e.configSource === ConfigSource.DYNAMIC_DEFAULT_BROKER_CONFIG);
      const rows = dynamic.map((e) => ({ name: e.name, value: e.value, source: configSourceName(e.configSource) ?? String(e.configSource) }));
      if (flags.switches.has('json')) return writeOut(io.stdout, formatJson(rows));
      await writeOut(io.stdout, rows.length === 0 ? 'No dynamic broker configs.\n' : formatTable(['NAME', 'VALUE', 'SOURCE'], rows.map((x) => [x.name, x.value, x.source])));
    });
  },
};

export const brokerConfigCommands: AdminCommand[] = [configs];
