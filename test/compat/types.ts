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
  createTopic(bootstrap: string, topic: string, partitions: number): Promise<void>;
  deleteTopic(bootstrap: string, topic: string): Promise<void>;
  produce(bootstrap: string, topic: string, messages: CompatMessage[], codec: Codec): Promise<void>;
  consume(bootstrap: string, topic: string, partitions: number, expected: number): Promise<ConsumedMessage[]>;
  /** [earliest, latest] per partition. */
  listOffsets(bootstrap: string, topic: string, partitions: number): Promise<Map<number, [number, number]>>;
}
