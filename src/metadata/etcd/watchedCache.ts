import type { Etcd3, Watcher } from 'etcd3';
import { SHUTDOWN_CALL_MS, settledWithin } from './boundedCall';
import type { Logger } from '../../log';
import type { MetadataListener } from '../types';
import type { KeyLayout } from './layout';
import { MetadataCache, type KeyChange } from './metadataCache';
import { ChangeListeners } from '../changeListeners';

/** Longest a write waits for this broker's watch to deliver it back. */
const CATCH_UP_MS = 15_000;

const rev = (r: string | number): number => Number(r);

/**
 * Keeps a MetadataCache in step with etcd: one watch on the cluster prefix,
 * applied one revision at a time with the events it amounts to delivered to
 * the listeners (and awaited) before the next; a full re-read when the watch
 * cannot resume. Writers wait here until their own change has come back.
 */
export class WatchedCache {
  readonly cache: MetadataCache;
  private readonly listeners = new ChangeListeners();
  private watcher: Watcher | null = null;
  /** Watch responses are applied one after another, in revision order. */
  private applyChain: Promise<void> = Promise.resolve();
  private appliedRevision = 0;
  private readonly revisionWaiters: Array<{ revision: number; resolve: () => void }> = [];
  private readonly stateWaiters = new Set<() => void>();
  private closed = false;

  constructor(
    private readonly client: Etcd3,
    private readonly keys: KeyLayout,
    private readonly logger: Logger,
  ) {
    this.cache = new MetadataCache(keys);
  }

  /** Loads every key and starts the watch. */
  start(): Promise<void> {
    return this.resync();
  }

  onChange(listener: MetadataListener): () => void {
    return this.listeners.add(listener);
  }

  /** Resolves on the next applied change or after `ms`. */
  nextChange(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        off();
        resolve();
      }, ms);
      const off = this.onChange(() => {
        clearTimeout(timer);
        off();
        resolve();
      });
    });
  }

  /**
   * Reads every key, turns the difference to the cache into events, and
   * (re)starts the watch right after the revision read. Used at start and
   * whenever the watch cannot resume by itself (compaction, a lost stream).
   */
  private async resync(): Promise<void> {
    const old = this.watcher;
    this.watcher = null;
    if (old) await old.cancel().catch(() => undefined);
    const res = await this.client.getAll().prefix(this.keys.root).exec();
    const revision = rev(res.header.revision);
    const seen = new Set<string>();
    const changes: KeyChange[] = res.kvs.map((kv) => {
      const key = kv.key.toString();
      seen.add(key);
      return { key, value: kv.value.toString(), modRevision: kv.mod_revision };
    });
    for (const key of this.cache.heldKeys()) if (!seen.has(key)) changes.push({ key, value: null, modRevision: String(revision) });
    await this.enqueue(async () => {
      await this.applyChanges(changes, revision);
    });
    if (this.closed) return;
    const watcher = await this.client.watch().prefix(this.keys.root).startRevision(String(revision + 1)).create();
    if (this.closed) {
      await watcher.cancel();
      return;
    }
    this.watcher = watcher;
    watcher.on('data', (r) => {
      const groups = new Map<number, KeyChange[]>();
      for (const e of r.events) {
        const at = rev(e.kv.mod_revision);
        const list = groups.get(at) ?? [];
        list.push({ key: e.kv.key.toString(), value: e.type === 'Delete' ? null : e.kv.value.toString(), modRevision: e.kv.mod_revision });
        groups.set(at, list);
      }
      const headerRevision = rev(r.header.revision);
      void this.enqueue(async () => {
        for (const at of [...groups.keys()].sort((a, b) => a - b)) await this.applyChanges(groups.get(at)!, at);
        this.advance(headerRevision);
      });
    });
    watcher.on('error', (err) => {
      if (this.closed || this.watcher !== watcher) return;
      this.logger.warn({ err: err.message }, 'etcd watch failed; re-reading the cluster metadata');
      void this.resyncUntilDone();
    });
  }

  private async resyncUntilDone(): Promise<void> {
    while (!this.closed) {
      try {
        await this.resync();
        return;
      } catch (err) {
        this.logger.warn({ err: (err as Error).message }, 'etcd resync failed; retrying');
        await new Promise((r) => setTimeout(r, 500));
      }
    }
  }

  private enqueue(fn: () => Promise<void>): Promise<void> {
    const run = this.applyChain.then(fn);
    this.applyChain = run.catch((err: unknown) => this.logger.error({ err: String(err) }, 'applying etcd changes failed'));
    return run;
  }

  private async applyChanges(changes: KeyChange[], revision: number): Promise<void> {
    const events = this.cache.apply(changes);
    for (const e of events) await this.listeners.emit(e);
    this.advance(revision);
    for (const check of [...this.stateWaiters]) check();
  }

  private advance(revision: number): void {
    if (revision <= this.appliedRevision) return;
    this.appliedRevision = revision;
    for (let i = this.revisionWaiters.length - 1; i >= 0; i--) {
      const w = this.revisionWaiters[i];
      if (w.revision <= revision) {
        this.revisionWaiters.splice(i, 1);
        w.resolve();
      }
    }
  }

  /**
   * Resolves once the cache has applied `revision` (and listeners of its
   * events have settled), or after CATCH_UP_MS: the write is in etcd either
   * way, and a watch stuck behind an outage must not hold a request forever.
   */
  caughtUp(revision: string | number): Promise<void> {
    const r = rev(revision);
    if (r <= this.appliedRevision || this.closed) return Promise.resolve();
    return new Promise((resolve) => {
      const waiter = { revision: r, resolve: () => (clearTimeout(timer), resolve()) };
      const timer = setTimeout(() => {
        const i = this.revisionWaiters.indexOf(waiter);
        if (i >= 0) this.revisionWaiters.splice(i, 1);
        this.logger.warn({ revision: r, applied: this.appliedRevision }, 'etcd watch is behind; answering before this broker has seen its own change');
        resolve();
      }, CATCH_UP_MS);
      this.revisionWaiters.push(waiter);
    });
  }

  /**
   * Resolves once `done()` holds after an applied change, or after `ms`. A
   * failed compare-and-swap uses this rather than caughtUp: the revision it
   * reports may belong to a key outside this cluster, which the watch never sees.
   */
  waitFor(done: () => boolean, ms = 5000): Promise<void> {
    if (done() || this.closed) return Promise.resolve();
    return new Promise((resolve) => {
      const finish = () => {
        clearTimeout(timer);
        this.stateWaiters.delete(check);
        resolve();
      };
      const check = () => {
        if (done() || this.closed) finish();
      };
      const timer = setTimeout(finish, ms);
      this.stateWaiters.add(check);
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const w of this.revisionWaiters.splice(0)) w.resolve();
    for (const check of [...this.stateWaiters]) check();
    // bounded (boundedCall.ts): the watch ends with the connection anyway
    if (this.watcher) await settledWithin(this.watcher.cancel(), SHUTDOWN_CALL_MS);
    await this.applyChain;
    this.listeners.clear();
  }
}
