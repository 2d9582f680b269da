import { coreBrokerConfigNames } from './brokerConfigs';
import { dynamicBrokerConfigDef, dynamicBrokerConfigDefs, isReadOnlyBrokerConfig } from './dynamicBrokerConfigCatalog';

/**
 * Broker properties read where they are used (security, replication, groups, transactions, quotas,
 * etcd, listeners) rather than through one of the config catalogs. test/admin/knownBrokerConfigs.test.ts
 * finds the property reads in src/ and fails when one is missing here.
 */
const READ_WHERE_USED = [
  // src/config/load.ts, listeners
  'host', 'port', 'log.dir', 'listener.security.protocol.map', 'inter.broker.listener.name', 'security.inter.broker.protocol',
  'sasl.mechanism.inter.broker.protocol', 'ssl.endpoint.identification.algorithm',
  // TLS and SASL of a listener (also as listener.name.<l>.<key>)
  'ssl.ca.location', 'ssl.certificate.location', 'ssl.client.auth', 'ssl.enabled.protocols', 'ssl.key.location', 'ssl.key.password',
  'ssl.keystore.certificate.chain', 'ssl.keystore.key', 'ssl.keystore.location', 'ssl.keystore.type', 'ssl.principal.mapping.rules',
  'ssl.truststore.certificates', 'ssl.truststore.location', 'ssl.truststore.type', 'sasl.enabled.mechanisms', 'sasl.jaas.config',
  'plain.sasl.jaas.config', 'scram-sha-256.sasl.jaas.config', 'scram-sha-512.sasl.jaas.config', 'sasl.server.max.receive.size',
  'connections.max.reauth.ms', 'connection.failed.authentication.delay.ms', 'brook.ssl.handshake.timeout.ms', 'brook.sasl.authentication.timeout.ms',
  'max.connections', 'max.connections.per.ip', 'max.connections.per.ip.overrides',
  // authorization and quotas
  'authorizer.class.name', 'allow.everyone.if.no.acl.found', 'super.users', 'quota.window.num', 'quota.window.size.seconds',
  // cluster mode
  'metadata.backend', 'etcd.endpoints', 'etcd.prefix', 'broker.rack', 'broker.session.timeout.ms', 'cluster.id', 'auto.leader.rebalance.enable',
  'unclean.leader.election.enable', 'replica.lag.time.max.ms', 'replica.fetch.max.bytes', 'replica.fetch.response.max.bytes', 'replica.fetch.wait.max.ms',
  'replica.fetch.min.bytes', 'replica.fetch.backoff.ms', 'replica.high.watermark.checkpoint.interval.ms', 'request.timeout.ms',
  // groups, offsets and transactions
  'group.min.session.timeout.ms', 'group.max.session.timeout.ms', 'group.initial.rebalance.delay.ms', 'group.max.size', 'offset.metadata.max.bytes',
  'offsets.retention.minutes', 'offsets.retention.check.interval.ms', 'offsets.topic.num.partitions', 'offsets.topic.replication.factor',
  'offsets.commit.timeout.ms', 'group.consumer.session.timeout.ms', 'group.consumer.heartbeat.interval.ms', 'group.share.max.share.sessions',
  'group.consumer.min.session.timeout.ms', 'group.consumer.max.session.timeout.ms', 'group.consumer.min.heartbeat.interval.ms',
  'group.consumer.max.heartbeat.interval.ms',
  'transaction.state.log.replication.factor', 'transaction.state.log.min.isr', 'transactional.id.expiration.ms',
  'transaction.abort.timed.out.transaction.cleanup.interval.ms', 'transaction.remove.expired.transaction.cleanup.interval.ms',
  'producer.id.expiration.ms', 'producer.id.expiration.check.interval.ms',
];

let known: Set<string> | null = null;

function knownNames(): Set<string> {
  known ??= new Set([
    ...coreBrokerConfigNames(),
    ...dynamicBrokerConfigDefs().map((d) => d.name),
    ...READ_WHERE_USED,
  ]);
  return known;
}

/** Whether the broker reads the property `name` (per-listener `listener.name.<l>.` keys count as the key's). */
export function isKnownBrokerConfig(name: string): boolean {
  if (knownNames().has(name) || isReadOnlyBrokerConfig(name) || dynamicBrokerConfigDef(name) !== undefined) return true;
  // listener.name.<listener>.<key>: Kafka's per-listener override of any key, often mechanism-prefixed
  return /^listener\.name\.[^.]+\.\S+/.test(name);
}

/**
 * Properties given to the broker that nothing reads: typos, or Kafka settings Brook has no use for.
 * Kafka logs such as "The configuration 'x' was supplied but isn't a known config"; Brook logs them once at start.
 */
export function unknownBrokerConfigs(props: Readonly<Record<string, string>>): string[] {
  return Object.keys(props).filter((name) => !isKnownBrokerConfig(name)).sort();
}
