import { PatternType, WILDCARD, type AclBinding } from './model';

/** The bindings of one resource type, found by name without scanning the literal ones. */
class TypeIndex {
  readonly literal = new Map<string, AclBinding[]>();
  readonly prefixed = new Map<string, AclBinding[]>();

  add(b: AclBinding): void {
    const map = b.patternType === PatternType.PREFIXED ? this.prefixed : this.literal;
    const list = map.get(b.resourceName);
    if (list) list.push(b);
    else map.set(b.resourceName, [b]);
  }

  /** Every binding whose pattern covers `name`: the literal name, the `*` wildcard, and each prefix of it. */
  collect(name: string, out: AclBinding[][]): void {
    const exact = this.literal.get(name);
    if (exact) out.push(exact);
    if (name !== WILDCARD) {
      const wild = this.literal.get(WILDCARD);
      if (wild) out.push(wild);
    }
    if (this.prefixed.size === 0) return;
    if (this.prefixed.size < name.length) {
      for (const [prefix, list] of this.prefixed) if (name.startsWith(prefix)) out.push(list);
    } else {
      // Fewer prefixes of the name than stored prefixes: look each one up.
      for (let n = 1; n <= name.length; n++) {
        const list = this.prefixed.get(name.slice(0, n));
        if (list) out.push(list);
      }
    }
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

  /** Groups of bindings that apply to the resource; empty when no ACL concerns it. */
  matching(resourceType: number, name: string): AclBinding[][] {
    const out: AclBinding[][] = [];
    this.byType.get(resourceType)?.collect(name, out);
    return out;
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
