import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { writeFileAtomic } from '../../metadata/atomicFile';

/** Dynamic broker configs as stored: the cluster-wide defaults and per-broker values (keyed by node id). */
export interface StoredBrokerConfigs {
  cluster: Record<string, string>;
  brokers: Record<string, Record<string, string>>;
}

export const EMPTY_BROKER_CONFIGS: StoredBrokerConfigs = { cluster: {}, brokers: {} };

/** Where dynamic broker configs persist: an etcd key shared by the cluster, or a file in a single broker's data dir. */
export interface BrokerConfigStore {
  readonly value: StoredBrokerConfigs;
  /** Read-modify-write against the latest value; resolves with what was stored. */
  update(change: (current: StoredBrokerConfigs) => StoredBrokerConfigs): Promise<StoredBrokerConfigs>;
  /** Every new value, local or (in a cluster) written by another broker. */
  onChange(listener: (value: StoredBrokerConfigs) => void): () => void;
  close(): Promise<void>;
}

export const BROKER_CONFIGS_FILE = 'dynamic-broker-configs.json';

/**
 * Owner-only: the file holds dynamic listener secrets (ssl.key.password, an inline ssl.keystore.key) in clear,
 * as the properties file holds the static ones; Brook has no password.encoder.secret.
 */
const BROKER_CONFIGS_MODE = 0o600;

/** A single broker's dynamic configs: one JSON file written atomically, changes serialized. */
export class FileBrokerConfigStore implements BrokerConfigStore {
  private current: StoredBrokerConfigs = EMPTY_BROKER_CONFIGS;
  private chain: Promise<unknown> = Promise.resolve();
  private readonly listeners = new Set<(value: StoredBrokerConfigs) => void>();

  private constructor(private readonly file: string) {}

  static async open(dataDir: string): Promise<FileBrokerConfigStore> {
    const store = new FileBrokerConfigStore(path.join(dataDir, BROKER_CONFIGS_FILE));
    try {
      const parsed = JSON.parse(await fs.readFile(store.file, 'utf8')) as Partial<StoredBrokerConfigs>;
      store.current = { cluster: { ...(parsed.cluster ?? {}) }, brokers: { ...(parsed.brokers ?? {}) } };
      // a file written by an older Brook (umask mode) is tightened at once, not at the next change
      await fs.chmod(store.file, BROKER_CONFIGS_MODE);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw new Error(`cannot read ${store.file}: ${(err as Error).message}`);
    }
    return store;
  }

  get value(): StoredBrokerConfigs {
    return this.current;
  }

  update(change: (current: StoredBrokerConfigs) => StoredBrokerConfigs): Promise<StoredBrokerConfigs> {
    const run = this.chain.then(async () => {
      const next = change(this.current);
      await writeFileAtomic(this.file, JSON.stringify(next, null, 1), BROKER_CONFIGS_MODE);
      this.current = next;
      for (const l of this.listeners) l(next);
      return next;
    });
    this.chain = run.catch(() => undefined);
    return run;
  }

  onChange(listener: (value: StoredBrokerConfigs) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async close(): Promise<void> {
    await this.chain;
    this.listeners.clear();
  }
}
