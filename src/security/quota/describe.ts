import { CLIENT_ID, fieldOf, IP, USER, type QuotaEntity } from './entity';
import type { QuotaEntry } from './store';

export const MATCH_EXACT = 0;
export const MATCH_DEFAULT = 1;
export const MATCH_SPECIFIED = 2;

export interface FilterComponent {
  entityType: string;
  matchType: number;
  match: string | null;
}

/** A parsed DescribeClientQuotas filter: types that must have a given name (null = default), types that must be named. */
export interface QuotaFilter {
  exact: Map<keyof QuotaEntity, string | null>;
  specified: Set<keyof QuotaEntity>;
  strict: boolean;
}

/** The filter, or why it is invalid (answered as INVALID_REQUEST), following Kafka's checks. */
export function parseFilter(components: readonly FilterComponent[], strict: boolean): QuotaFilter | string {
  const f: QuotaFilter = { exact: new Map(), specified: new Set(), strict };
  for (const c of components) {
    const field = fieldOf(c.entityType);
    if (field === null) return `unknown entity type ${c.entityType}`;
    if (f.exact.has(field) || f.specified.has(field)) return `entity type ${c.entityType} cannot appear more than once in the filter`;
    switch (c.matchType) {
      case MATCH_EXACT:
        if (c.match === null) return 'match type EXACT needs a match string';
        f.exact.set(field, c.match);
        break;
      case MATCH_DEFAULT:
        if (c.match !== null) return 'match type DEFAULT takes no match string';
        f.exact.set(field, null);
        break;
      case MATCH_SPECIFIED:
        if (c.match !== null) return 'match type SPECIFIED takes no match string';
        f.specified.add(field);
        break;
      default:
        return `unknown match type ${c.matchType}`;
    }
  }
  const has = (t: keyof QuotaEntity) => f.exact.has(t) || f.specified.has(t);
  if (has('ip') && (has('user') || has('clientId'))) return `an ${IP} filter cannot be combined with ${USER} or ${CLIENT_ID}`;
  return f;
}

export function matches(f: QuotaFilter, e: QuotaEntity): boolean {
  for (const [field, name] of f.exact) if (e[field] === undefined || e[field] !== name) return false;
  for (const field of f.specified) if (e[field] === undefined || e[field] === null) return false;
  if (f.strict) {
    let types = 0;
    for (const field of ['user', 'clientId', 'ip'] as const) if (e[field] !== undefined) types++;
    if (types !== f.exact.size + f.specified.size) return false;
  }
  return true;
}

export function describeQuotas(entries: readonly QuotaEntry[], f: QuotaFilter): QuotaEntry[] {
  return entries.filter((e) => matches(f, e.entity));
}
