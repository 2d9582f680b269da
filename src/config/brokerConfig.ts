import type { LogConfig } from '../../storage/config';
import type { AdvertisedListener, ListenerConfig } from '../net/listeners';

export type { AdvertisedListener } from '../net/listeners';

/** Everything the broker reads from its properties file / flags, already parsed and typed. */
export interface BrokerConfig {
  nodeId: number;
  host: string;
  /** 0 = any free port; the bound port is known after listen. */
  port: number;
  dataDir: string;
  /** Every listener (at least one); host/port above are the first one's. */
  listeners: ListenerConfig[];
  /** Empty = advertise the bound host/port. */
  advertisedListeners: AdvertisedListener[];
  clusterId: string | null;
  numPartitions: number;
  defaultReplicationFactor: number;
  autoCreateTopicsEnable: boolean;
  deleteTopicEnable: boolean;
  socketRequestMaxBytes: number;
  connectionsMaxIdleMs: number;
  /** Pause reading a connection when this many requests wait for their responses. */
  maxInFlightRequestsPerConnection: number;
  /** Pause reading a connection while its socket holds more unsent bytes than this. */
  socketWriteHighWaterMark: number;
  fetchSessionCacheSlots: number;
  /** Upper bound for a fetch's max_wait_ms so a client cannot park a request forever. */
  fetchMaxWaitMsCap: number;
  /** Segment file descriptors kept open at most over all partitions (random eviction of idle ones; active segments included). */
  maxOpenSegmentHandles: number;
  /** Defaults for every partition log; topic configs override them. */
  logDefaults: Partial<LogConfig>;
  /** Original key=value pairs, for DescribeConfigs later. */
  raw: Record<string, string>;
}
