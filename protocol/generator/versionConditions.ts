/** Version checks the generated code needs, settled at generation time where the scope allows. */
import type { MessageSpec, StructSpec } from './spec';
import { type VersionRange, intersect, isEmpty, versionCondition } from './versions';

export type Tri = 'always' | 'never' | { cond: string };

export function tri(range: VersionRange, scope: VersionRange): Tri {
  const c = versionCondition(range, scope);
  if (c === 'true') return 'always';
  if (c === 'false') return 'never';
  return { cond: c };
}

/** Picks between two expressions by a Tri. */
export function pick(t: Tri, yes: string, no: string): string {
  if (t === 'always') return yes;
  if (t === 'never') return no;
  if (yes === no) return yes;
  return `(${t.cond} ? ${yes} : ${no})`;
}


export function rangeText(r: VersionRange): string {
  if (isEmpty(r)) return 'none';
  if (r.high === Infinity) return `${r.low}+`;
  if (r.low === r.high) return `${r.low}`;
  return `${r.low}-${r.high}`;
}

/** Version scope of every struct: the hull of the versions at which any field uses it. */
export function structScopes(spec: MessageSpec): Map<StructSpec, VersionRange> {
  const scopes = new Map<StructSpec, VersionRange>();
  const visit = (s: StructSpec, scope: VersionRange): void => {
    for (const f of s.fields) {
      const used = intersect(f.versions, scope);
      if (isEmpty(used)) continue;
      let t = f.type;
      while (t.kind === 'array') t = t.element;
      if (t.kind !== 'struct') continue;
      const prev = scopes.get(t.struct);
      const next = prev ? { low: Math.min(prev.low, used.low), high: Math.max(prev.high, used.high) } : used;
      if (!prev || prev.low !== next.low || prev.high !== next.high) {
        scopes.set(t.struct, next);
        visit(t.struct, next);
      }
    }
  };
  scopes.set(spec.root, spec.validVersions);
  visit(spec.root, spec.validVersions);
  return scopes;
}
