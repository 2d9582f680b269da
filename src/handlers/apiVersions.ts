/**
 * ApiVersions: v0-4
 *
 * Behavior:
 * - Lists what the registry serves: each API with the version range its handler declares, less a latest version the
 *   spec marks unstable. The registry passes its listing in, so this file does not import the registry.
 * - Unsupported request versions never reach this handler: the server answers them in the v0 layout with
 *   UNSUPPORTED_VERSION.
 * - Brook has no feature flags: supported and finalized feature lists are empty, the finalized epoch -1.
 *
 * Version notes:
 * - v0-2: the same request; v1+ answers with throttle_time_ms.
 * - v3+: flexible; the client sends its software name and version; feature lists are tagged fields. As in Kafka,
 *   a name or version outside [a-zA-Z0-9](?:[a-zA-Z0-9\-.]*[a-zA-Z0-9])? answers INVALID_REQUEST with no APIs.
 * - v4: as v3 (upstream fix allowing a feature min version of 0; Brook lists no features).
 */
import type { ApiVersionsRequest } from '../../protocol/generated/messages/ApiVersionsRequest';
import type { ApiVersionsResponseInput } from '../../protocol/generated/messages/ApiVersionsResponse';
import { ErrorCode } from '../../protocol/errors';
import type { Handler } from './types';

/** Kafka's rule for the client software name and version (ApiVersionsRequest.isValid). */
const SOFTWARE_FIELD = /^[a-zA-Z0-9](?:[a-zA-Z0-9\-.]*[a-zA-Z0-9])?$/;

/** An API as ApiVersions lists it. */
interface ServedApi {
  key: number;
  minVersion: number;
  maxVersion: number;
}

export const apiVersionsHandler = (supportedApis: () => readonly ServedApi[]): Handler<ApiVersionsRequest, ApiVersionsResponseInput> => (ctx, req) =>
  ctx.apiVersion >= 3 && !(SOFTWARE_FIELD.test(req.clientSoftwareName) && SOFTWARE_FIELD.test(req.clientSoftwareVersion))
    ? { errorCode: ErrorCode.INVALID_REQUEST, apiKeys: [], throttleTimeMs: 0, supportedFeatures: [], finalizedFeaturesEpoch: -1n, finalizedFeatures: [], zkMigrationReady: false }
    : served(supportedApis);

const served = (supportedApis: () => readonly ServedApi[]): ApiVersionsResponseInput => ({
  errorCode: 0,
  apiKeys: supportedApis().map((a) => ({ apiKey: a.key, minVersion: a.minVersion, maxVersion: a.maxVersion })),
  throttleTimeMs: 0,
  supportedFeatures: [],
  finalizedFeaturesEpoch: -1n,
  finalizedFeatures: [],
  zkMigrationReady: false,
});
