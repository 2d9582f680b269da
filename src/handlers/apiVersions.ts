import type { ApiVersionsRequest } from '../../protocol/generated/messages/ApiVersionsRequest';
import type { ApiVersionsResponseInput } from '../../protocol/generated/messages/ApiVersionsResponse';
import type { Handler } from './types';

/** An API as ApiVersions lists it. */
interface ServedApi {
  key: number;
  minVersion: number;
  maxVersion: number;
}

/**
 * Lists what the registry serves (it passes its own listing in, so this file
 * does not import the registry that imports it). Unsupported request versions never reach
 * this handler: the server answers them with the v0-layout fallback.
 * Brook has no feature flags, so the feature lists are empty and the epoch -1.
 */
export const apiVersionsHandler = (supportedApis: () => readonly ServedApi[]): Handler<ApiVersionsRequest, ApiVersionsResponseInput> => () => ({
  errorCode: 0,
  apiKeys: supportedApis().map((a) => ({ apiKey: a.key, minVersion: a.minVersion, maxVersion: a.maxVersion })),
  throttleTimeMs: 0,
  supportedFeatures: [],
  finalizedFeaturesEpoch: -1n,
  finalizedFeatures: [],
  zkMigrationReady: false,
});
