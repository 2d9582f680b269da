import type { Etcd3, Watcher } from 'etcd3';
import { SHUTDOWN_CALL_MS, settledWithin } from './boundedCall';
import type { Logger } from '../../log';

/**
 * One JSON document in one etcd key, shared by every broker: reads come from a
 * local copy kept current by a watch; updates are read-modify-write with a
 * compare-and-swap on the key's revision, retried on conflict, so concurrent
 * updates from different brokers all land. Listeners hear every new value,
 * local or remote, once.
 */
export class EtcdDocument<T> {
  private revision = 0;
  private watcher: Watcher | null = null;
  private readonly listeners = new Set<(value: T) => void>();
  private closed = false;

  private constructor(
    private readonly client: Etcd3,
    private readonly key: string,
    private current: T,
    private readonly empty: T,
    private readonly logger: Logger,
  ) {}

  static async open<T>(client: Etcd3, key: string, empty: T, logger: Logger): Promise<EtcdDocument<T>> {
    const doc = new EtcdDocument<T>(client, key, empty, empty, logger);
    await doc.reload();
    return doc;
  }

  get value(): T {
    return this.current;
  }

  onChange(listener: (value: T) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Applies `change` to the latest value until the write lands; resolves with the stored value. */
  async update(change: (current: T) => T): Promise<T> {
    for (let attempt = 0; attempt < 50; attempt++) {
      const next = change(this.current);
      const txn = this.revision === 0 ? this.client.if(this.key, 'Create', '==', 0) : this.client.if(this.key, 'Mod', '==', String(this.revision));
      const res = await txn.then(this.client.put(this.key).value(JSON.stringify(next))).commit();
      if (res.succeeded) {
        this.set(next, Number(res.header.revision));
        return next;
      }
      // Someone else wrote first: start again from their value.
      await this.fetch();
    }
    throw new Error(`etcd key ${this.key} kept changing under 50 attempts to update it`);
  }

  private set(value: T, revision: number): void {
    if (revision <= this.revision) return;
    this.revision = revision;
    this.current = value;
    for (const l of this.listeners) {
      try {
        l(value);
      } catch (err) {
        this.logger.error({ key: this.key, err: String(err) }, 'document listener failed');
      }
    }
  }

  private async fetch(): Promise<number> {
    const res = await this.client.get(this.key).exec();
    const kv = res.kvs[0];
    if (kv) this.set(JSON.parse(kv.value.toString()) as T, Number(kv.mod_revision));
    else if (this.revision !== 0) {
      // Deleted behind our back: back to empty, and the next update creates it again.
      this.revision = 0;
      this.current = this.empty;
      for (const l of this.listeners) l(this.empty);
    }
    return Number(res.header.revision);
  }

  private async reload(): Promise<void> {
    const at = await this.fetch();
    if (this.closed) return;
    const watcher = await this.client.watch().key(this.key).startRevision(String(at + 1)).create();
    this.watcher = watcher;
    watcher.on('put', (kv) => this.set(JSON.parse(kv.value.toString()) as T, Number(kv.mod_revision)));
    watcher.on('delete', () => void this.fetch().catch(() => undefined));
    watcher.on('error', (err) => {
      if (this.closed || this.watcher !== watcher) return;
      this.logger.warn({ key: this.key, err: err.message }, 'etcd watch failed; reading the key again');
      this.watcher = null;
      void watcher.cancel().catch(() => undefined);
      void this.reload().catch(() => undefined);
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    this.listeners.clear();
    // bounded (boundedCall.ts): the watch ends with the connection anyway
    if (this.watcher) await settledWithin(this.watcher.cancel(), SHUTDOWN_CALL_MS);
  }
}
