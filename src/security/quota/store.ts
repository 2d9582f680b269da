import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { writeFileAtomic } from '../../metadata/atomicFile';
import { entityKey, type QuotaEntity } from './entity';

/** The quotas of one entity: key (`producer_byte_rate`, ...) to value. Never empty in a store. */
export interface QuotaEntry {
  entity: QuotaEntity;
  values: Record<string, number>;
}

/** One entity's change: keys to set, keys to remove. */
export interface QuotaChange {
  entity: QuotaEntity;
  set: Record<string, number>;
  remove: string[];
}

/**
 * Where client quotas live. The local implementation keeps a JSON file in the
 * data dir; a cluster backend (etcd) implements the same and calls the
 * `onChange` listeners when another broker alters quotas.
 */
export interface QuotaStore {
  entries(): readonly QuotaEntry[];
  /** Applies every change or none, persists, then notifies listeners. */
  alter(changes: readonly QuotaChange[]): Promise<void>;
  onChange(listener: () => void): () => void;
}

interface StoredFile {
  version: 1;
  entries: QuotaEntry[];
}

export const QUOTA_FILE = 'client-quotas.json';

/** Applies changes to a copy of `current`; entities left without values disappear. */
export function applyChanges(current: readonly QuotaEntry[], changes: readonly QuotaChange[]): QuotaEntry[] {
  const byKey = new Map<string, QuotaEntry>();
  for (const e of current) byKey.set(entityKey(e.entity), { entity: e.entity, values: { ...e.values } });
  for (const c of changes) {
    const k = entityKey(c.entity);
    const entry = byKey.get(k) ?? { entity: c.entity, values: {} };
    for (const key of c.remove) delete entry.values[key];
    Object.assign(entry.values, c.set);
    if (Object.keys(entry.values).length === 0) byKey.delete(k);
    else byKey.set(k, entry);
  }
  return [...byKey.values()];
}

export class FileQuotaStore implements QuotaStore {
  private current: QuotaEntry[];
  private readonly listeners = new Set<() => void>();
  /** Alters are serialized so two concurrent writes cannot lose one another. */
  private writing: Promise<void> = Promise.resolve();

  private constructor(
    private readonly file: string,
    entries: QuotaEntry[],
  ) {
    this.current = entries;
  }

  static async open(dataDir: string): Promise<FileQuotaStore> {
    const file = path.join(dataDir, QUOTA_FILE);
    let entries: QuotaEntry[] = [];
    try {
      const parsed = JSON.parse(await fs.readFile(file, 'utf8')) as StoredFile;
      if (parsed.version !== 1 || !Array.isArray(parsed.entries)) throw new Error(`${file}: unknown format`);
      entries = parsed.entries;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    return new FileQuotaStore(file, entries);
  }

  entries(): readonly QuotaEntry[] {
    return this.current;
  }

  alter(changes: readonly QuotaChange[]): Promise<void> {
    const run = this.writing.then(async () => {
      const next = applyChanges(this.current, changes);
      const stored: StoredFile = { version: 1, entries: next };
      await writeFileAtomic(this.file, JSON.stringify(stored, null, 1));
      this.current = next;
      for (const l of this.listeners) l();
    });
    this.writing = run.catch(() => undefined);
    return run;
  }

  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}
