import type { BrokerServices } from '../../handlers/types';
import { FileAclStore, type AclStore } from './aclStore';
import { AclAuthorizer } from './authorizer';
import { authorizerConfigFrom } from './authorizerConfig';

/**
 * Hangs the ACL authorizer on the services when authorizer.class.name asks for
 * one. A cluster backend passes its own store; the default keeps acls.json in
 * the data dir. Returns the function that detaches it.
 */
export async function startAuthorizer(services: BrokerServices, store?: AclStore): Promise<() => void> {
  const cfg = authorizerConfigFrom(services.config.raw);
  if (!cfg) return () => undefined;
  const authorizer = new AclAuthorizer(store ?? (await FileAclStore.open(services.config.dataDir)), cfg);
  services.authorizer = authorizer;
  services.logger.info({ acls: authorizer.store.list().length, superUsers: [...cfg.superUsers], allowEveryoneIfNoAclFound: cfg.allowEveryoneIfNoAclFound }, 'ACL authorizer enabled');
  return () => authorizer.close();
}
