import type { Logger } from '../../log';
import type { AclStore } from '../../security/acl/aclStore';
import { bindingKey, type AclBinding } from '../../security/acl/model';
import { SCRAM_MECHANISMS, scramMechanismByName, type ScramCredential } from '../../security/scram/credential';
import type { ScramCredentialChange, ScramCredentialStore, ScramUserInfo } from '../../security/scram/store';
import { applyChanges, type QuotaChange, type QuotaEntry, type QuotaStore } from '../../security/quota/store';
import type { Etcd3 } from 'etcd3';
import { EtcdDocument } from './etcdDocument';

/** ACLs of the whole cluster in one etcd key (plain bindings with Kafka's numeric codes). */
export class EtcdAclStore implements AclStore {
  constructor(private readonly doc: EtcdDocument<AclBinding[]>) {}

  list(): readonly AclBinding[] {
    return this.doc.value;
  }

  async add(bindings: readonly AclBinding[]): Promise<void> {
    await this.doc.update((current) => {
      const known = new Set(current.map(bindingKey));
      const next = [...current];
      for (const b of bindings) {
        if (known.has(bindingKey(b))) continue;
        known.add(bindingKey(b));
        next.push({ ...b });
      }
      return next;
    });
  }

  async remove(bindings: readonly AclBinding[]): Promise<void> {
    const gone = new Set(bindings.map(bindingKey));
    await this.doc.update((current) => current.filter((b) => !gone.has(bindingKey(b))));
  }

  onChange(listener: (bindings: readonly AclBinding[]) => void): () => void {
    return this.doc.onChange(listener);
  }
}

interface StoredCredential {
  salt: string;
  iterations: number;
  storedKey: string;
  serverKey: string;
}
type StoredScram = Record<string, Record<string, StoredCredential>>;

const decodeCredential = (c: StoredCredential): ScramCredential => ({
  salt: Buffer.from(c.salt, 'base64'),
  iterations: c.iterations,
  storedKey: Buffer.from(c.storedKey, 'base64'),
  serverKey: Buffer.from(c.serverKey, 'base64'),
});
const encodeCredential = (c: ScramCredential): StoredCredential => ({
  salt: c.salt.toString('base64'),
  iterations: c.iterations,
  storedKey: c.storedKey.toString('base64'),
  serverKey: c.serverKey.toString('base64'),
});

/** SCRAM credentials of the whole cluster in one etcd key; decoded once per change, so authentication reads stay synchronous and cheap. */
export class EtcdScramStore implements ScramCredentialStore {
  private decoded = new Map<string, Map<string, ScramCredential>>();
  private stored: StoredScram = {};
  private readonly listeners = new Set<(changes: ScramCredentialChange[]) => void>();

  constructor(private readonly doc: EtcdDocument<StoredScram>) {
    this.refresh(doc.value);
    doc.onChange((v) => {
      const changes = this.diff(this.stored, v);
      this.refresh(v);
      if (changes.length > 0) for (const l of this.listeners) l(changes);
    });
  }

  private refresh(v: StoredScram): void {
    this.stored = v;
    const m = new Map<string, Map<string, ScramCredential>>();
    for (const [user, mechs] of Object.entries(v)) m.set(user, new Map(Object.entries(mechs).map(([name, c]) => [name, decodeCredential(c)])));
    this.decoded = m;
  }

  private diff(before: StoredScram, after: StoredScram): ScramCredentialChange[] {
    const out: ScramCredentialChange[] = [];
    for (const user of new Set([...Object.keys(before), ...Object.keys(after)])) {
      for (const mechanism of SCRAM_MECHANISMS) {
        const a = before[user]?.[mechanism.name];
        const b = after[user]?.[mechanism.name];
        if (JSON.stringify(a) === JSON.stringify(b)) continue;
        out.push({ user, mechanism, credential: b ? decodeCredential(b) : null });
      }
    }
    return out;
  }

  get(user: string, mechanism: { name: string }): ScramCredential | null {
    return this.decoded.get(user)?.get(mechanism.name) ?? null;
  }

  users(): ScramUserInfo[] {
    return [...this.decoded.keys()].sort().map((user) => {
      const m = this.decoded.get(user)!;
      return { user, credentials: SCRAM_MECHANISMS.filter((mech) => m.has(mech.name)).map((mech) => ({ mechanism: mech, iterations: m.get(mech.name)!.iterations })) };
    });
  }

  async apply(changes: ScramCredentialChange[]): Promise<void> {
    if (changes.length === 0) return;
    await this.doc.update((current) => {
      const next: StoredScram = {};
      for (const [user, mechs] of Object.entries(current)) next[user] = { ...mechs };
      for (const c of changes) {
        if (!scramMechanismByName(c.mechanism.name)) continue;
        const mechs = next[c.user] ?? {};
        if (c.credential) mechs[c.mechanism.name] = encodeCredential(c.credential);
        else delete mechs[c.mechanism.name];
        if (Object.keys(mechs).length > 0) next[c.user] = mechs;
        else delete next[c.user];
      }
      return next;
    });
  }

  onChange(listener: (changes: ScramCredentialChange[]) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}

/** Client quotas of the whole cluster in one etcd key. */
export class EtcdQuotaStore implements QuotaStore {
  constructor(private readonly doc: EtcdDocument<QuotaEntry[]>) {}

  entries(): readonly QuotaEntry[] {
    return this.doc.value;
  }

  async alter(changes: readonly QuotaChange[]): Promise<void> {
    await this.doc.update((current) => applyChanges(current, changes));
  }

  onChange(listener: () => void): () => void {
    return this.doc.onChange(() => listener());
  }
}

export interface ClusterSecurityStores {
  acls: EtcdAclStore;
  scram: EtcdScramStore;
  quotas: EtcdQuotaStore;
  close(): Promise<void>;
}

/** Opens the three security stores under `<root>security/`. */
export async function openSecurityStores(client: Etcd3, root: string, logger: Logger): Promise<ClusterSecurityStores> {
  const acls = await EtcdDocument.open<AclBinding[]>(client, `${root}security/acls`, [], logger);
  const scram = await EtcdDocument.open<StoredScram>(client, `${root}security/scram`, {}, logger);
  const quotas = await EtcdDocument.open<QuotaEntry[]>(client, `${root}security/quotas`, [], logger);
  return {
    acls: new EtcdAclStore(acls),
    scram: new EtcdScramStore(scram),
    quotas: new EtcdQuotaStore(quotas),
    close: async () => {
      await Promise.all([acls.close(), scram.close(), quotas.close()]);
    },
  };
}
