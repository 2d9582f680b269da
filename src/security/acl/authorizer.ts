import { AclIndex } from './aclIndex';
import type { AclStore } from './aclStore';
import type { AuthorizerConfig } from './authorizerConfig';
import { AclOperation, AclPermission, PatternType, WILDCARD, WILDCARD_PRINCIPAL, allowingOperations, type AclBinding } from './model';

/** Who asks, from where: the connection itself is passed, so a check allocates nothing. */
export interface Requester {
  principal: string;
  /** The client's IP address as the socket reports it. */
  remoteAddress: string;
}

/** IPv4 clients on a dual-stack socket show up as ::ffff:a.b.c.d; ACLs name them a.b.c.d, as Kafka does. */
function plainHost(host: string): string {
  return host.startsWith('::ffff:') && host.includes('.') ? host.slice(7) : host;
}

function concerns(b: AclBinding, who: Requester, host: string): boolean {
  return (b.principal === who.principal || b.principal === WILDCARD_PRINCIPAL) && (b.host === WILDCARD || b.host === host);
}

/**
 * Kafka's ACL decision: super users may do anything; otherwise a matching DENY
 * (for the operation or ALL) wins over any ALLOW, an ALLOW for the operation or
 * one that implies it grants, and a resource no ACL mentions at all is open only
 * with allow.everyone.if.no.acl.found.
 */
export class AclAuthorizer {
  private index: AclIndex;
  private readonly unsubscribe: () => void;

  constructor(
    readonly store: AclStore,
    readonly config: AuthorizerConfig,
  ) {
    this.index = new AclIndex(store.list());
    this.unsubscribe = store.onChange((all) => {
      this.index = new AclIndex(all);
    });
  }

  close(): void {
    this.unsubscribe();
  }

  authorize(who: Requester, operation: number, resourceType: number, name: string): boolean {
    if (this.config.superUsers.has(who.principal)) return true;
    const groups = this.index.matching(resourceType, name);
    if (groups === null) return this.config.allowEveryoneIfNoAclFound;
    const host = plainHost(who.remoteAddress);
    const grantors = allowingOperations(operation);
    let allowed = false;
    for (const list of groups) {
      for (const b of list) {
        if (!concerns(b, who, host)) continue;
        if (b.permission === AclPermission.DENY) {
          if (b.operation === operation || b.operation === AclOperation.ALL) return false;
        } else if (!allowed && grantors.includes(b.operation)) {
          allowed = true;
        }
      }
    }
    return allowed;
  }

  /** Bit N set for each operation N of `candidates` the requester may perform on the resource (Kafka's authorized-operations field). */
  authorizedOperations(who: Requester, resourceType: number, name: string, candidates: readonly number[]): number {
    let bits = 0;
    for (const op of candidates) if (this.authorize(who, op, resourceType, name)) bits |= 1 << op;
    return bits;
  }

  /**
   * Whether the requester may perform the operation on at least one resource of
   * the type (Kafka's authorizeByResourceType, used for idempotent producers that
   * may WRITE some topic). Conservative: an ALLOW counts unless a DENY for the
   * same principal covers every resource of the type.
   */
  authorizeAny(who: Requester, operation: number, resourceType: number): boolean {
    if (this.config.superUsers.has(who.principal)) return true;
    const bindings = this.index.ofType(resourceType);
    if (bindings.length === 0) return this.config.allowEveryoneIfNoAclFound;
    const host = plainHost(who.remoteAddress);
    const grantors = allowingOperations(operation);
    let allowed = false;
    for (const b of bindings) {
      if (!concerns(b, who, host)) continue;
      if (b.permission === AclPermission.DENY) {
        if (b.patternType === PatternType.LITERAL && b.resourceName === WILDCARD && (b.operation === operation || b.operation === AclOperation.ALL)) return false;
      } else if (grantors.includes(b.operation)) {
        allowed = true;
      }
    }
    return allowed || this.config.allowEveryoneIfNoAclFound;
  }
}
