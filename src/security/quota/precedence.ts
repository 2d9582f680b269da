import type { QuotaEntry } from './store';

/** The quota that applies to a client, and the key of the rate it is measured against. */
export interface QuotaMatch {
  limit: number;
  /**
   * Clients sharing a key share one rate: a quota set for user alice is shared
   * by all her client ids, one set for `<default>` users is per user.
   */
  sensorKey: string;
}

type Level = [user: string | null | undefined, clientId: string | null | undefined, shareUser: boolean, shareClient: boolean];

/**
 * Values of one quota key indexed by entity, looked up in Kafka's order
 * (most specific first):
 *   1 user + client-id   2 user + <default> client-id   3 user
 *   4 <default> user + client-id   5 <default> user + <default> client-id   6 <default> user
 *   7 client-id   8 <default> client-id
 */
export class QuotaIndex {
  private readonly byEntity = new Map<string, number>();

  constructor(entries: readonly QuotaEntry[], key: string) {
    for (const e of entries) {
      const v = e.values[key];
      if (v === undefined || e.entity.ip !== undefined) continue;
      this.byEntity.set(slot(e.entity.user, e.entity.clientId), v);
    }
  }

  get size(): number {
    return this.byEntity.size;
  }

  resolve(user: string, clientId: string): QuotaMatch | null {
    const levels: Level[] = [
      [user, clientId, true, true],
      [user, null, true, true],
      [user, undefined, true, false],
      [null, clientId, true, true],
      [null, null, true, true],
      [null, undefined, true, false],
      [undefined, clientId, false, true],
      [undefined, null, false, true],
    ];
    for (const [u, c, shareUser, shareClient] of levels) {
      const limit = this.byEntity.get(slot(u, c));
      if (limit !== undefined) {
        return { limit, sensorKey: `${shareUser ? encodeURIComponent(user) : ''}|${shareClient ? encodeURIComponent(clientId) : ''}` };
      }
    }
    return null;
  }
}

function slot(user: string | null | undefined, clientId: string | null | undefined): string {
  return `${mark(user)}|${mark(clientId)}`;
}

function mark(v: string | null | undefined): string {
  if (v === undefined) return '-';
  if (v === null) return '*';
  return `=${encodeURIComponent(v)}`;
}
