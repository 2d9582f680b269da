import { PatternType, WILDCARD, type AclBinding } from './model';

/** The bindings of one resource type, found by name without scanning the literal ones. */
class TypeIndex {
  readonly literal = new Map<string, AclBinding[]>();
  readonly prefixed = new Map<string, AclBinding[]>();
  /** Distinct lengths of the stored prefixes, ascending: a name is looked up once per length, not per character. */
  private prefixLengths: number[] = [];

  add(b: AclBinding): void {
    if (b.patternType === PatternType.PREFIXED && !this.prefixed.has(b.resourceName) && !this.prefixLengths.includes(b.resourceName.length)) {
      this.prefixLengths.push(b.resourceName.length);
      this.prefixLengths.sort((x, y) => x - y);
    }
    const map = b.patternType === PatternType.PREFIXED ? this.prefixed : this.literal;
    const list = map.get(b.resourceName);
    if (list) list.push(b);
    else map.set(b.resourceName, [b]);
  }

  /** Every binding whose pattern covers `name`: the literal name, the `*` wildcard, and each prefix of it. Null when none. */
  collect(name: string): AclBinding[][] | null {
    let out: AclBinding[][] | null = null;
    const exact = this.literal.get(name);
    if (exact) out = [exact];
    if (name !== WILDCARD) {
      const wild = this.literal.get(WILDCARD);
      if (wild) (out ??= []).push(wild);
    }
    for (const len of this.prefixLengths) {
      if (len > name.length) break;
      const list = this.prefixed.get(len === name.length ? name : name.slice(0, len));
      if (list) (out ??= []).push(list);
    }
    return out;
  }
}

/** Immutable snapshot of all bindings, indexed by resource type, then name (literal map + prefix map). */
export class AclIndex {
  private readonly byType = new Map<number, TypeIndex>();
  readonly size: number;

  constructor(readonly bindings: readonly AclBinding[]) {
    for (const b of bindings) {
      let t = this.byType.get(b.resourceType);
      if (!t) this.byType.set(b.resourceType, (t = new TypeIndex()));
      t.add(b);
    }
    this.size = bindings.length;
  }

  /** Groups of bindings that apply to the resource; null when no ACL concerns it (the common case costs no allocation). */
  matching(resourceType: number, name: string): AclBinding[][] | null {
    const t = this.byType.get(resourceType);
    return t ? t.collect(name) : null;
  }

  /** All bindings of a resource type, for questions about "any resource of this type". */
  ofType(resourceType: number): AclBinding[] {
    const t = this.byType.get(resourceType);
    if (!t) return [];
    const out: AclBinding[] = [];
    for (const list of t.literal.values()) out.push(...list);
    for (const list of t.prefixed.values()) out.push(...list);
    return out;
  }
}
