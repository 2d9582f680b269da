import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { writeFileAtomic } from '../../metadata/atomicFile';
import {
  namedAcl,
  type NamedAcl,
  bindingKey,
  bindingProblem,
  operationCode,
  patternTypeCode,
  permissionCode,
  resourceTypeCode,
  type AclBinding,
} from './model';

/**
 * Where ACLs live. The local implementation keeps a JSON file in the data dir;
 * a cluster backend (etcd) implements the same interface and calls the
 * onChange listeners when another broker changes the set.
 */
export interface AclStore {
  /** Every stored binding. */
  list(): readonly AclBinding[];
  /** Adds bindings (already present ones are kept once); resolves when durable. */
  add(bindings: readonly AclBinding[]): Promise<void>;
  /** Removes exactly these bindings; resolves when durable. */
  remove(bindings: readonly AclBinding[]): Promise<void>;
  /** Called with the full new set after every change, local or remote. Returns an unsubscribe function. */
  onChange(listener: (bindings: readonly AclBinding[]) => void): () => void;
}

export const ACL_FILE = 'acls.json';

function fromStored(s: NamedAcl, file: string): AclBinding {
  const code = (what: string, parse: (n: string) => number | undefined, v: string): number => {
    const c = parse(String(v));
    if (c === undefined) throw new Error(`${file}: unknown ${what} ${v}`);
    return c;
  };
  const b: AclBinding = {
    resourceType: code('resource type', resourceTypeCode, s.resourceType),
    resourceName: String(s.resourceName),
    patternType: code('pattern type', patternTypeCode, s.patternType),
    principal: String(s.principal),
    host: String(s.host),
    operation: code('operation', operationCode, s.operation),
    permission: code('permission', permissionCode, s.permission),
  };
  const problem = bindingProblem(b);
  if (problem) throw new Error(`${file}: invalid ACL: ${problem}`);
  return b;
}

/** ACLs in `<dataDir>/acls.json`, rewritten atomically on every change. */
export class FileAclStore implements AclStore {
  private bindings: AclBinding[];
  private readonly listeners = new Set<(bindings: readonly AclBinding[]) => void>();
  /** Writes go one after the other so the file always ends as the last change left it. */
  private writing: Promise<void> = Promise.resolve();

  private constructor(
    private readonly file: string,
    initial: AclBinding[],
  ) {
    this.bindings = initial;
  }

  static async open(dataDir: string): Promise<FileAclStore> {
    const file = path.join(dataDir, ACL_FILE);
    let initial: AclBinding[] = [];
    try {
      const parsed = JSON.parse(await fs.readFile(file, 'utf8')) as { acls?: NamedAcl[] };
      initial = (parsed.acls ?? []).map((s) => fromStored(s, file));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    return new FileAclStore(file, initial);
  }

  list(): readonly AclBinding[] {
    return this.bindings;
  }

  add(bindings: readonly AclBinding[]): Promise<void> {
    const known = new Set(this.bindings.map(bindingKey));
    const next = [...this.bindings];
    for (const b of bindings) {
      const key = bindingKey(b);
      if (known.has(key)) continue;
      known.add(key);
      next.push({ ...b });
    }
    return this.replace(next);
  }

  remove(bindings: readonly AclBinding[]): Promise<void> {
    const gone = new Set(bindings.map(bindingKey));
    return this.replace(this.bindings.filter((b) => !gone.has(bindingKey(b))));
  }

  onChange(listener: (bindings: readonly AclBinding[]) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private replace(next: AclBinding[]): Promise<void> {
    if (next.length === this.bindings.length && next.every((b, i) => b === this.bindings[i])) return this.writing;
    this.bindings = next;
    for (const l of this.listeners) l(next);
    const body = JSON.stringify({ version: 1, acls: next.map(namedAcl) }, null, 1);
    this.writing = this.writing.catch(() => undefined).then(() => writeFileAtomic(this.file, body));
    return this.writing;
  }
}
