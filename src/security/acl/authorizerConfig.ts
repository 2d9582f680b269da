/** The broker properties that turn ACL authorization on and shape it, as Kafka names them. */
export interface AuthorizerConfig {
  superUsers: ReadonlySet<string>;
  /** Kafka's allow.everyone.if.no.acl.found (default false): a resource no ACL mentions is open to all. */
  allowEveryoneIfNoAclFound: boolean;
}

/** Values of authorizer.class.name that enable Brook's ACL authorizer. */
const ACCEPTED_AUTHORIZERS = new Set(['kafka.security.authorizer.AclAuthorizer', 'org.apache.kafka.metadata.authorizer.StandardAuthorizer', 'brook']);

/**
 * Null when no authorizer is configured (Kafka's default: everything allowed).
 * An authorizer Brook does not implement is a startup error, not a silent open door.
 */
export function authorizerConfigFrom(raw: Record<string, string>): AuthorizerConfig | null {
  const cls = (raw['authorizer.class.name'] ?? '').trim();
  if (cls === '') return null;
  if (!ACCEPTED_AUTHORIZERS.has(cls)) {
    throw new Error(`authorizer.class.name: unsupported authorizer ${cls} (use ${[...ACCEPTED_AUTHORIZERS].join(', ')})`);
  }
  const superUsers = (raw['super.users'] ?? '')
    .split(';')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  const everyone = (raw['allow.everyone.if.no.acl.found'] ?? 'false').trim();
  if (everyone !== 'true' && everyone !== 'false') throw new Error(`allow.everyone.if.no.acl.found: not a boolean: ${everyone}`);
  return { superUsers: new Set(superUsers), allowEveryoneIfNoAclFound: everyone === 'true' };
}
