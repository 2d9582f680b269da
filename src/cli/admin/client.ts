import { Kafka, logLevel, type KafkaConfig } from 'kafkajs';
import { usageError } from './errors';
import { intValue, type FlagSpecs, type ParsedFlags } from './options';
import type { CliIO } from './io';
import { cliSecurity, kafkajsSecurity } from './clientSecurity';

/** Flags every command that talks to a broker accepts. */
export const CONNECTION_FLAGS: FlagSpecs = {
  'bootstrap-server': { kind: 'value', alias: 'b', help: 'host:port[,host:port] of any broker (env BROOK_BOOTSTRAP_SERVER, default 127.0.0.1:9092)' },
  'timeout-ms': { kind: 'value', help: 'give up on an unreachable broker after this long (default 5000)' },
  'client-id': { kind: 'value', help: 'client id sent to the broker (default brook-cli)' },
  'command-config': { kind: 'value', help: 'Kafka client properties for TLS/SASL listeners: security.protocol, sasl.mechanism, sasl.jaas.config, ssl.* PEM files (env BROOK_COMMAND_CONFIG)' },
  verbose: { kind: 'switch', help: 'show the client library log on stderr' },
  json: { kind: 'switch', help: 'machine-readable JSON on stdout' },
  help: { kind: 'switch', alias: 'h', help: 'show help for this command' },
};

export interface Connection {
  kafka: Kafka;
  brokers: string[];
  config: KafkaConfig;
}

export function parseBrokers(list: string): string[] {
  const brokers = list.split(',').map((s) => s.trim()).filter((s) => s.length > 0);
  if (brokers.length === 0) throw usageError('--bootstrap-server is empty');
  for (const b of brokers) {
    const m = /^(\[[^\]]+\]|[^:]+):(\d+)$/.exec(b);
    if (!m || Number(m[2]) < 1 || Number(m[2]) > 65535) throw usageError(`--bootstrap-server expects host:port, got "${b}"`);
  }
  return brokers;
}

export function connect(flags: ParsedFlags, io: CliIO): Connection {
  const brokers = parseBrokers(flags.values.get('bootstrap-server') ?? io.env.BROOK_BOOTSTRAP_SERVER ?? '127.0.0.1:9092');
  const timeoutMs = intValue(flags, 'timeout-ms', { min: 1 }) ?? 5000;
  const verbose = flags.switches.has('verbose');
  const config: KafkaConfig = {
    clientId: flags.values.get('client-id') ?? 'brook-cli',
    brokers,
    connectionTimeout: Math.min(timeoutMs, 10_000),
    requestTimeout: Math.max(timeoutMs, 1000),
    // A CLI should fail fast and say why instead of retrying for half a minute.
    retry: { retries: 2, initialRetryTime: 100, maxRetryTime: Math.max(200, Math.floor(timeoutMs / 3)) },
    logLevel: verbose ? logLevel.INFO : logLevel.NOTHING,
    ...kafkajsSecurity(cliSecurity(flags, io)),
    logCreator: () => ({ namespace, level, log }) => {
      if (verbose) io.stderr.write(`[kafkajs ${namespace} ${level}] ${log.message}\n`);
    },
  };
  return { kafka: new Kafka(config), brokers, config };
}
