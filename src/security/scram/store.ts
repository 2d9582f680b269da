import type { ScramCredential, ScramMechanism } from './credential';

export interface ScramCredentialChange {
  user: string;
  mechanism: ScramMechanism;
  /** null = delete the user's credential for this mechanism. */
  credential: ScramCredential | null;
}

export interface ScramUserInfo {
  user: string;
  credentials: Array<{ mechanism: ScramMechanism; iterations: number }>;
}

/**
 * SCRAM credentials per user and mechanism (salted, never passwords). Reads
 * are synchronous because they sit in the authentication path; writes persist
 * before they resolve. A cluster backend implements the same interface and
 * calls onChange listeners for changes made elsewhere.
 */
export interface ScramCredentialStore {
  get(user: string, mechanism: ScramMechanism): ScramCredential | null;
  /** Every user with at least one credential, sorted by name. */
  users(): ScramUserInfo[];
  /** Applies all changes at once (one write). */
  apply(changes: ScramCredentialChange[]): Promise<void>;
  onChange(listener: (changes: ScramCredentialChange[]) => void): () => void;
}
