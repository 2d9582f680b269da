import type { BrokerConfig } from './config/brokerConfig';
import type { Logger } from './log';
import type { MetadataService } from './metadata/types';
import type { LogManager } from '../storage';

/**
 * What every broker component may lean on: configuration, metadata, the
 * partition logs and the logger. Coordinators, replication and the write path
 * take this (or a part of it) plus the few peers they name, never the whole
 * BrokerServices of the request handlers, so none of them depends on the
 * handler layer.
 */
export interface BrokerCore {
  config: BrokerConfig;
  metadata: MetadataService;
  /** Cluster mode: the metadata is shared with other brokers, which lead some partitions and coordinators. */
  clustered?: boolean;
  logs: LogManager;
  logger: Logger;
}
