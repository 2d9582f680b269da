/** One message of a compat scenario, as produced. */
export interface CompatMessage {
  partition: number;
  key: string;
  value: string;
  headers: Array<[string, string]>;
  /** CreateTime set by the producer, or null when the client cannot set it. */
  timestamp: number | null;
}

export interface ConsumedMessage {
  partition: number;
  offset: number;
  key: string | null;
  value: string | null;
  headers: Array<[string, string]>;
  timestamp: number;
}

export type Codec = 'none' | 'gzip' | 'snappy' | 'lz4' | 'zstd';

/** Consumer group protocols: the classic JoinGroup/SyncGroup one and KIP-848's ConsumerGroupHeartbeat one. */
export type GroupProtocol = 'classic' | 'consumer';

/** SASL_SSL settings of the suite's secure listener, mapped by each driver onto its client's names. */
export interface SecureEndpoint {
  bootstrap: string;
  mechanism: 'PLAIN' | 'SCRAM-SHA-256';
  username: string;
  password: string;
  /** PEM file of the CA that signed the broker's certificate (CN=localhost, IP 127.0.0.1). */
  caFile: string;
}

/** What a real client can do in the compat scenario; each driver speaks through that client only. */
export interface ClientDriver {
  readonly name: string;
  readonly codecs: readonly Codec[];
  /** False when the client has no admin API (kcat): topics are then auto-created by producing. */
  readonly hasAdmin: boolean;
  /** False when the client cannot set headers per message (kcat sets the same headers on a whole run). */
  readonly perMessageHeaders: boolean;
  /** False when the client cannot set a CreateTime per message. */
  readonly setsTimestamps: boolean;
  /** Null when usable here, else why not (a missing Debian package, say). */
  unavailableReason(): Promise<string | null>;
  /** The client library's version as the client itself reports it. */
  version(): Promise<string>;
  /** Why a scenario this client cannot run is not applicable, by matrix column. */
  readonly notApplicable?: Readonly<Record<string, string>>;
  createTopic(bootstrap: string, topic: string, partitions: number): Promise<void>;
  deleteTopic(bootstrap: string, topic: string): Promise<void>;
  produce(bootstrap: string, topic: string, messages: CompatMessage[], codec: Codec): Promise<void>;
  consume(bootstrap: string, topic: string, partitions: number, expected: number): Promise<ConsumedMessage[]>;
  /** [earliest, latest] per partition. */
  listOffsets(bootstrap: string, topic: string, partitions: number): Promise<Map<number, [number, number]>>;

  /** Group protocols `groupConsume` speaks; none when the client has no group consumer. */
  readonly groupProtocols?: readonly GroupProtocol[];
  /**
   * Joins `group` subscribed to `topic`, reads `expected` messages from where the group's committed offsets
   * (or the beginning) say, commits what it read and leaves.
   */
  groupConsume?(bootstrap: string, topic: string, group: string, protocol: GroupProtocol, expected: number): Promise<ConsumedMessage[]>;
  /** Sends `committed` in one transaction that it commits, then `aborted` in one that it aborts. */
  transactionalProduce?(bootstrap: string, topic: string, transactionalId: string, committed: CompatMessage[], aborted: CompatMessage[]): Promise<void>;
  /** Produces `values` to partition 0 of `topic` over SASL_SSL and reads partition 0 back from the beginning. */
  secureRoundTrip?(endpoint: SecureEndpoint, topic: string, values: string[]): Promise<string[]>;
}
