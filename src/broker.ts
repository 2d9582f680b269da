import { promises as fs } from 'node:fs';
import { LogManager } from '../storage';
import type { BrokerConfig } from './config/brokerConfig';
import { loadConfig } from './config/load';
import { unknownBrokerConfigs } from './admin/knownBrokerConfigs';
import { logConfigFromTopicConfigs } from './config/logConfigMapping';
import { applyAllSourceTagIndexes, withTagIndex } from './views/sourceIndexing';
import { FetchState } from './fetch/fetchState';
import type { BrokerServices } from './handlers/types';
import { createLogger, type Logger, type LogLevel } from './log';
import { lockDataDir } from './metadata/dataDirLock';
import { followMetadata, reconcileLogsAtStart } from './metadata/followMetadata';
import { clusterSecurityStores, isClustered, openBrokerConfigStore, openMetadataService } from './metadata/open';
import { DynamicBrokerConfigs, followDynamicBrokerConfigs } from './admin/dynamicBrokerConfigs';
import { tlsReloader } from './server/tlsReload';
import type { BrokerIdentity, MetadataService } from './metadata/types';
import type { BrokerServer } from './server/server';
import { interBrokerListener, listenerSpecs, startListeners, type BoundListener, type RunningListeners } from './server/listeners';
import { FileScramStore } from './security/scram/fileStore';
import { nodeFs } from '../storage/fs';
import type { BrokerMetrics } from './metrics/brokerMetrics';
import type { OpsServer } from './console/opsServer';
import { startGroupCoordinator } from './groups/services';
import { startTxnServices } from './txn/services';
import { startShareServices } from './share/services';
import { startTraceServices } from './trace/services';
import { startScheduledServices } from './scheduled/services';
import { ReplicaManager } from './replication/replicaManager';
import { replicationConfig } from './replication/config';
import { startQuotaServices } from './security/quota/services';
import { startAuthorizer } from './security/acl/services';

export interface StartBrokerOptions {
  host?: string;
  /** 0 = any free port. */
  port?: number;
  dataDir?: string;
  /** Kafka-style properties file. */
  configFile?: string;
  /** key=value properties applied over the file. */
  config?: Record<string, string>;
  logger?: Logger;
  logLevel?: LogLevel;
  /** Serve Prometheus metrics at /metrics over HTTP on this port (0 = any free port); off when absent. */
  metricsPort?: number;
  /** Address of the metrics/console HTTP server (default: the broker's host). */
  metricsHost?: string;
  /** Also serve the web console on the metrics port. */
  console?: boolean;
  /** How often the console samples throughput and group lag (default 5000 ms). */
  consoleSampleMs?: number;
  /**
   * Builds the metadata service instead of the one the config names (tests run
   * several in-process brokers on one shared cluster metadata). `self` has the
   * configured port, which may be 0; the bound address follows via setSelf.
   */
  metadata?: (config: BrokerConfig, self: BrokerIdentity) => Promise<MetadataService>;
}

export interface BrokerHandle {
  readonly host: string;
  readonly port: number;
  readonly config: BrokerConfig;
  readonly services: BrokerServices;
  /** Port of the metrics/console HTTP server, null when metrics are off. */
  readonly httpPort: number | null;
  /** The first listener's server, for introspection of live connections (all of them: `servers`). */
  readonly server: BrokerServer;
  /** Every listener with its bound and advertised address, in `listeners` order (the first is host/port). */
  readonly listeners: BoundListener[];
  /** One server per listener, same order. */
  readonly servers: BrokerServer[];
  /** Stops accepting, answers in-flight requests, flushes and closes the logs. Idempotent. */
  close(): Promise<void>;
}

export async function startBroker(opts: StartBrokerOptions = {}): Promise<BrokerHandle> {
  const config = loadConfig({ file: opts.configFile, overrides: opts.config, host: opts.host, port: opts.port, dataDir: opts.dataDir });
  await fs.mkdir(config.dataDir, { recursive: true });
  // One broker per data dir: two would interleave appends to the same segment files.
  const unlock = await lockDataDir(config.dataDir);
  let handle: BrokerHandle;
  try {
    handle = await startInLockedDir(opts, config);
  } catch (err) {
    await unlock();
    throw err;
  }
  const closeBroker = handle.close;
  let closing: Promise<void> | null = null;
  return Object.assign(handle, {
    close: () => (closing ??= closeBroker().finally(unlock)),
  });
}

function newBrokerMetrics(): BrokerMetrics {
  const { BrokerMetrics: Metrics } = require('./metrics/brokerMetrics') as typeof import('./metrics/brokerMetrics');
  return new Metrics();
}

async function startInLockedDir(opts: StartBrokerOptions, config: BrokerConfig): Promise<BrokerHandle> {
  const logger = opts.logger ?? createLogger(opts.logLevel ?? 'info');
  const unknown = unknownBrokerConfigs(config.raw);
  // as Kafka's "was supplied but isn't a known config": a typo would otherwise go unnoticed
  if (unknown.length > 0) logger.warn({ unknown }, 'broker properties were supplied that Brook does not know (a typo, or a Kafka setting it has no use for); they are ignored');
  if (opts.console && opts.metricsPort === undefined) throw new Error('the web console is served on the metrics port: give --metrics-port too');
  // TLS material and SASL settings are read now, so a bad file fails the start before anything is opened.
  const listenerSettings = listenerSpecs(config);
  // Loaded only with a metrics port: prom-client, the console and the schema registry's validators (ajv, avsc,
  // protobufjs) are a second of module loading on a busy machine, before the broker could listen.
  // (a named binding first: tsc emits `new (require(x) as T).C()` as `new require(x).C()`, which calls require as a constructor)
  const metrics = opts.metricsPort !== undefined ? newBrokerMetrics() : null;

  const rack = config.raw['broker.rack'] ?? null;
  const configuredSelf: BrokerIdentity = { nodeId: config.nodeId, host: config.host, port: config.port, rack };
  const metadata = opts.metadata ? await opts.metadata(config, configuredSelf) : await openMetadataService(config, configuredSelf, logger);
  const logs = new LogManager({
    dataDir: config.dataDir,
    logger: logger.child({ component: 'storage' }),
    defaults: config.logDefaults,
    fs: metrics?.timeSyncs(nodeFs),
    maxOpenSegmentHandles: config.maxOpenSegmentHandles,
    // topic-level overrides live in metadata: asked once per topic, not per partition (100,000 partitions are common)
    topicConfig: (topic) => {
      const info = metadata.topic(topic);
      return info ? withTagIndex(metadata, info, logConfigFromTopicConfigs(info.configs)) : null;
    },
  });
  await logs.open();
  // sources of tag views keep a tag index on append (derived from the views, not a topic config)
  applyAllSourceTagIndexes(metadata, logs);

  const services: BrokerServices = { config, metadata, logs, logger, fetch: new FetchState(config.fetchSessionCacheSlots) };
  services.clustered = isClustered(config, opts.metadata !== undefined);
  if (services.clustered) {
    await reconcileLogsAtStart(services).catch(async (err: unknown) => {
      await logs.close();
      await metadata.close();
      throw err;
    });
  }
  const unfollow = followMetadata(services);
  // Cluster mode: ACLs, SCRAM credentials and quotas are shared through etcd instead of data-dir files.
  const sharedStores = await clusterSecurityStores(metadata);
  const stopAuthorizer = await startAuthorizer(services, sharedStores?.acls);
  // Cluster mode: partition roles, follower fetchers, ISR and acks=all (src/replication); a single broker has none.
  if (opts.metadata !== undefined || config.raw['metadata.backend'] === 'etcd') {
    services.replication = new ReplicaManager(services, replicationConfig(config));
    await services.replication.start();
  }
  const detachMetrics = metrics?.attach(services);
  // Group coordinator: replays __consumer_offsets before the first client can ask for a group.
  const groups = await startGroupCoordinator(services);
  const txn = await startTxnServices(services);
  // Dynamic broker configs (log defaults, replication throttles): applied now and whenever any broker changes them.
  services.dynamicConfigs = new DynamicBrokerConfigs(await openBrokerConfigStore(metadata, config.dataDir), config.raw, config.nodeId);
  const unfollowDynamic = followDynamicBrokerConfigs(services, services.dynamicConfigs);
  const share = await startShareServices(services);
  const trace = await startTraceServices(services);
  const scheduled = await startScheduledServices(services);
  services.quotas = await startQuotaServices({ dataDir: config.dataDir, raw: config.raw, logger, store: sharedStores?.quotas });
  services.scram = sharedStores?.scram ?? (await FileScramStore.open(config.dataDir));
  let listeners: RunningListeners;
  try {
    listeners = await startListeners(services, config, listenerSettings);
  } catch (err) {
    unfollow();
    await logs.close();
    await metadata.close();
    throw err;
  }
  // Listener keystores are dynamic broker configs too: reloaded for new connections when changed.
  const reloadTls = tlsReloader(listeners.servers, logger);
  const dynamicConfigs = services.dynamicConfigs;
  const unfollowTls = dynamicConfigs.onChange(() => reloadTls(dynamicConfigs.effectiveProps()));
  reloadTls(dynamicConfigs.effectiveProps());
  const server = listeners.servers[0];
  const bound = listeners.bound[0];
  const advertised = bound.advertised;
  // In cluster mode this registers the broker; a refusal (node id taken) stops the start after cleanup below.
  const registeredAt = interBrokerListener(listeners.bound, config).advertised;
  // every listener's advertised address too, so other brokers send a client to this one on the listener it came in on
  const endpoints = Object.fromEntries(listeners.bound.map((l) => [l.name, { host: l.advertised.host, port: l.advertised.port }]));
  const registered = metadata.setSelf({ nodeId: config.nodeId, host: registeredAt.host, port: registeredAt.port, rack, endpoints }).then(
    () => null,
    (err: unknown) => err as Error,
  );
  const registrationError = await registered;
  logger.info(
    { listener: bound.name, securityProtocol: bound.securityProtocol, host: bound.host, port: bound.port, advertised: `${advertised.host}:${advertised.port}`, nodeId: config.nodeId, clusterId: metadata.clusterId, dataDir: config.dataDir, nodeFlags: process.execArgv },
    'listening',
  );
  for (const l of listeners.bound.slice(1)) logger.info({ listener: l.name, host: l.host, port: l.port, securityProtocol: l.securityProtocol, advertised: `${l.advertised.host}:${l.advertised.port}` }, 'listening');

  let ops: OpsServer | null = null;
  let closing: Promise<void> | null = null;
  const close = (): Promise<void> => {
    closing ??= (async () => {
      logger.info({}, 'shutting down');
      // Cluster mode: hand leadership to the other replicas while clients can still be redirected.
      await metadata.leaveCluster?.().catch((err: unknown) => logger.warn({ err: String(err) }, 'controlled shutdown failed; others will notice when the lease expires'));
      await ops?.close();
      detachMetrics?.();
      // Parked long polls answer now instead of holding up the drain.
      services.fetch?.waiters.shutdown();
      // Leaders stop leading before the drain, so waiting acks=all produces answer and no ISR shrinks to this broker.
      services.replication?.quiesce();
      await listeners.close();
      groups.stop();
      share.stop();
      await trace.stop();
      scheduled.stop();
      await services.replication?.stop();
      unfollow();
      await txn.stop();
      services.quotas?.stop();
      stopAuthorizer();
      unfollowDynamic();
      unfollowTls();
      await services.dynamicConfigs?.close();
      await logs.close();
      await metadata.close();
      logger.info({}, 'shutdown complete');
    })();
    return closing;
  };
  if (registrationError) {
    await close();
    throw registrationError;
  }
  if (metrics) {
    try {
      const { startOpsServer } = require('./console/opsServer') as typeof import('./console/opsServer');
      ops = await startOpsServer({ host: opts.metricsHost ?? config.host, port: opts.metricsPort!, services, metrics, console: opts.console === true, sampleIntervalMs: opts.consoleSampleMs });
    } catch (err) {
      await close();
      throw err;
    }
    logger.info({ host: ops.host, port: ops.port, console: opts.console === true }, 'http listening');
  }
  return { host: bound.host, port: bound.port, config, services, httpPort: ops?.port ?? null, server, listeners: listeners.bound, servers: listeners.servers, close };
}
