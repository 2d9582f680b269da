import type { BrokerConfig } from '../config/brokerConfig';
import type { Logger } from '../log';
import { clusterConfig } from './etcd/clusterConfig';
import type { EtcdMetadataService } from './etcd/etcdMetadataService';
import type { ClusterSecurityStores } from './etcd/securityStores';
import { LocalMetadataService } from './localMetadataService';
import { FileBrokerConfigStore, type BrokerConfigStore } from '../config/dynamic/store';
import type { BrokerIdentity, MetadataService } from './types';

/** The metadata backend the config names: the data-dir file (default) or etcd (`metadata.backend=etcd`). */
export async function openMetadataService(config: BrokerConfig, self: BrokerIdentity, logger: Logger): Promise<MetadataService> {
  const cluster = clusterConfig(config);
  if (cluster.backend === 'etcd') {
    // Loaded only here: the etcd client brings gRPC, which a single broker does not need to load.
    const { EtcdMetadataService } = require('./etcd/etcdMetadataService') as typeof import('./etcd/etcdMetadataService');
    return EtcdMetadataService.open({
      cluster,
      self,
      clusterId: config.clusterId,
      defaultPartitions: config.numPartitions,
      defaultReplicationFactor: config.defaultReplicationFactor,
      logger: logger.child({ component: 'metadata' }),
    });
  }
  return LocalMetadataService.open({ dataDir: config.dataDir, self, defaultPartitions: config.numPartitions, clusterId: config.clusterId });
}

/** True when this broker shares its metadata with others (etcd, or a test's shared in-memory cluster). */
export function isClustered(config: BrokerConfig, customFactory: boolean): boolean {
  return customFactory || clusterConfig(config).backend === 'etcd';
}

/** Cluster mode keeps ACLs, SCRAM credentials and quotas in etcd; null means the data-dir files. */
export async function clusterSecurityStores(metadata: MetadataService): Promise<ClusterSecurityStores | null> {
  const etcd = metadata as Partial<Pick<EtcdMetadataService, 'securityStores'>>;
  return typeof etcd.securityStores === 'function' ? etcd.securityStores() : null;
}

/** Where dynamic broker configs live: etcd (shared by the cluster) or a file in the data dir. */
export async function openBrokerConfigStore(metadata: MetadataService, dataDir: string): Promise<BrokerConfigStore> {
  const etcd = metadata as Partial<Pick<EtcdMetadataService, 'brokerConfigStore'>>;
  return typeof etcd.brokerConfigStore === 'function' ? etcd.brokerConfigStore() : FileBrokerConfigStore.open(dataDir);
}
