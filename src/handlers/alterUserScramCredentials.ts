/**
 * AlterUserScramCredentials: v0
 *
 * Behavior:
 * - KIP-554: upserts arrive already salted (the client ran PBKDF2); deletions name user and mechanism. Needs ALTER
 *   on the cluster (CLUSTER_AUTHORIZATION_FAILED per user).
 * - A problem with any change of a user refuses all of that user's changes; other users proceed.
 * - Errors: DUPLICATE_RESOURCE (same user and mechanism twice), UNSUPPORTED_SASL_MECHANISM, RESOURCE_NOT_FOUND
 *   (deleting what does not exist), UNACCEPTABLE_CREDENTIAL (empty user, salt or password; iterations out of
 *   bounds).
 *
 * Version notes:
 * - v0: the only version.
 */
import { ErrorCode } from '../../protocol/errors';
import type { AlterUserScramCredentialsRequest } from '../../protocol/generated/messages/AlterUserScramCredentialsRequest';
import type { AlterUserScramCredentialsResponseInput } from '../../protocol/generated/messages/AlterUserScramCredentialsResponse';
import { authorizedCluster } from '../security/acl/check';
import { AclOperation } from '../security/acl/model';
import { credentialFromSaltedPassword, MAX_ITERATIONS, MIN_ITERATIONS, scramMechanismByCode } from '../security/scram/credential';
import type { ScramCredentialChange } from '../security/scram/store';
import type { Handler } from './types';

type Refusal = { errorCode: number; errorMessage: string };

export const handleAlterUserScramCredentials: Handler<AlterUserScramCredentialsRequest, AlterUserScramCredentialsResponseInput> = async (ctx, req) => {
  const users = [...new Set([...req.deletions.map((d) => d.name), ...req.upsertions.map((u) => u.name)])];
  if (!authorizedCluster(ctx, AclOperation.ALTER)) {
    return { throttleTimeMs: 0, results: users.map((user) => ({ user, errorCode: ErrorCode.CLUSTER_AUTHORIZATION_FAILED, errorMessage: null })) };
  }
  const store = ctx.broker.scram;
  const refused = new Map<string, Refusal>();
  const refuse = (user: string, errorCode: number, errorMessage: string) => {
    if (!refused.has(user)) refused.set(user, { errorCode, errorMessage });
  };
  const seen = new Set<string>();
  const changes = new Map<string, ScramCredentialChange[]>();
  const add = (c: ScramCredentialChange) => changes.set(c.user, [...(changes.get(c.user) ?? []), c]);
  const alterations = [...req.deletions.map((d) => ({ ...d, upsert: null })), ...req.upsertions.map((u) => ({ name: u.name, mechanism: u.mechanism, upsert: u }))];
  for (const a of alterations) {
    const key = `${a.mechanism}\u0000${a.name}`;
    if (seen.has(key)) refuse(a.name, ErrorCode.DUPLICATE_RESOURCE, 'A user credential cannot be altered twice in the same request');
    seen.add(key);
  }
  for (const a of alterations) {
    const user = a.name;
    if (user === '') {
      refuse(user, ErrorCode.UNACCEPTABLE_CREDENTIAL, 'Username must not be empty');
      continue;
    }
    const mech = scramMechanismByCode(a.mechanism);
    if (!mech) {
      refuse(user, ErrorCode.UNSUPPORTED_SASL_MECHANISM, 'Unknown SCRAM mechanism');
      continue;
    }
    const u = a.upsert;
    if (u === null) {
      if (!store?.get(user, mech)) refuse(user, ErrorCode.RESOURCE_NOT_FOUND, 'Attempt to delete a user credential that does not exist');
      else add({ user, mechanism: mech, credential: null });
      continue;
    }
    if (u.iterations < MIN_ITERATIONS) refuse(user, ErrorCode.UNACCEPTABLE_CREDENTIAL, `Too few iterations: ${u.iterations} (minimum ${MIN_ITERATIONS})`);
    else if (u.iterations > MAX_ITERATIONS) refuse(user, ErrorCode.UNACCEPTABLE_CREDENTIAL, `Too many iterations: ${u.iterations} (maximum ${MAX_ITERATIONS})`);
    else if (u.salt.length === 0) refuse(user, ErrorCode.UNACCEPTABLE_CREDENTIAL, 'Salt must not be empty');
    else if (u.saltedPassword.length === 0) refuse(user, ErrorCode.UNACCEPTABLE_CREDENTIAL, 'Salted password must not be empty');
    else add({ user, mechanism: mech, credential: credentialFromSaltedPassword(mech, Buffer.from(u.saltedPassword), Buffer.from(u.salt), u.iterations) });
  }
  const accepted = [...changes].filter(([user]) => !refused.has(user)).flatMap(([, c]) => c);
  if (accepted.length > 0) {
    if (!store) throw new Error('AlterUserScramCredentials without a SCRAM store');
    await store.apply(accepted);
    ctx.broker.logger.info({ principal: ctx.connection.principal, changes: accepted.map((c) => `${c.credential ? 'upsert' : 'delete'} ${c.user} ${c.mechanism.name}`) }, 'SCRAM credentials altered');
  }
  return {
    throttleTimeMs: 0,
    results: users.map((user) => ({ user, errorCode: refused.get(user)?.errorCode ?? ErrorCode.NONE, errorMessage: refused.get(user)?.errorMessage ?? null })),
  };
};
