/** Tests drive SCRAM by hand with the same client the admin CLI uses. */
export { ScramClient as ScramTestClient } from '../../src/security/scram/client';
