import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { writeFileAtomic } from '../../metadata/atomicFile';
import { SCRAM_MECHANISMS, scramMechanismByName, type ScramCredential, type ScramMechanism } from './credential';
import type { ScramCredentialChange, ScramCredentialStore, ScramUserInfo } from './store';

/** Owner-only: the file holds every user's stored and server keys. */
const SCRAM_FILE_MODE = 0o600;

export const SCRAM_FILE = 'scram-credentials.json';

/** On-disk shape: plain JSON, keys base64. */
interface StoredCredential {
  salt: string;
  iterations: number;
  storedKey: string;
  serverKey: string;
}
interface StoredFile {
  version: 1;
  users: Record<string, Record<string, StoredCredential>>;
}

/** SCRAM credentials in `<dataDir>/scram-credentials.json`, rewritten atomically on every change. */
export class FileScramStore implements ScramCredentialStore {
  /** user -> mechanism name -> credential */
  private users_ = new Map<string, Map<string, ScramCredential>>();
  private readonly listeners = new Set<(changes: ScramCredentialChange[]) => void>();
  private writes: Promise<void> = Promise.resolve();

  private constructor(private readonly file: string) {}

  static async open(dataDir: string): Promise<FileScramStore> {
    const store = new FileScramStore(path.join(dataDir, SCRAM_FILE));
    let text: string | null = null;
    try {
      text = await fs.readFile(store.file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw new Error(`cannot read ${store.file}: ${(err as Error).message}`);
    }
    if (text === null) return store;
    let data: StoredFile;
    try {
      data = JSON.parse(text) as StoredFile;
    } catch (err) {
      // starting without it would drop every SCRAM user (and the next change would overwrite the file): refuse instead
      throw new Error(
        `cannot read ${store.file}: ${(err as Error).message}. It holds the SCRAM users; restore it from a backup (or ` +
          `repair the JSON, or delete it and create the users again) and start again.`,
      );
    }
    store.load(data);
    // a file written by an older Brook (umask mode) is tightened at once, not at the next change
    await fs.chmod(store.file, SCRAM_FILE_MODE);
    return store;
  }

  private load(data: StoredFile): void {
    if (data.version !== 1 || typeof data.users !== 'object') throw new Error(`${this.file}: unknown format`);
    for (const [user, mechs] of Object.entries(data.users)) {
      const m = new Map<string, ScramCredential>();
      for (const [name, c] of Object.entries(mechs)) {
        if (!scramMechanismByName(name)) throw new Error(`${this.file}: unknown mechanism ${name}`);
        m.set(name, { salt: Buffer.from(c.salt, 'base64'), iterations: c.iterations, storedKey: Buffer.from(c.storedKey, 'base64'), serverKey: Buffer.from(c.serverKey, 'base64') });
      }
      if (m.size > 0) this.users_.set(user, m);
    }
  }

  get(user: string, mechanism: ScramMechanism): ScramCredential | null {
    return this.users_.get(user)?.get(mechanism.name) ?? null;
  }

  users(): ScramUserInfo[] {
    return [...this.users_.keys()].sort().map((user) => {
      const m = this.users_.get(user)!;
      return {
        user,
        credentials: SCRAM_MECHANISMS.filter((mech) => m.has(mech.name)).map((mech) => ({ mechanism: mech, iterations: m.get(mech.name)!.iterations })),
      };
    });
  }

  async apply(changes: ScramCredentialChange[]): Promise<void> {
    if (changes.length === 0) return;
    // Writes are chained, and the new state is built aside and only published once it is on
    // disk, so a failed write changes nothing and the file always ends with the latest state.
    const write = this.writes.then(async () => {
      const next = new Map([...this.users_].map(([u, m]) => [u, new Map(m)]));
      for (const c of changes) {
        const m = next.get(c.user) ?? new Map<string, ScramCredential>();
        if (c.credential) m.set(c.mechanism.name, c.credential);
        else m.delete(c.mechanism.name);
        if (m.size > 0) next.set(c.user, m);
        else next.delete(c.user);
      }
      // salted keys are enough to impersonate a user to a server holding them (and to guess weak passwords offline)
      await writeFileAtomic(this.file, serialize(next), SCRAM_FILE_MODE);
      this.users_ = next;
    });
    this.writes = write.catch(() => undefined);
    await write;
    for (const l of this.listeners) l(changes);
  }

  onChange(listener: (changes: ScramCredentialChange[]) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}

function serialize(users: Map<string, Map<string, ScramCredential>>): string {
  const out: StoredFile['users'] = {};
  for (const [user, m] of users) {
    out[user] = {};
    for (const [name, c] of m) {
      out[user][name] = { salt: c.salt.toString('base64'), iterations: c.iterations, storedKey: c.storedKey.toString('base64'), serverKey: c.serverKey.toString('base64') };
    }
  }
  return `${JSON.stringify({ version: 1, users: out } satisfies StoredFile, null, 2)}\n`;
}
