import type { MetadataService } from '../metadata/types';

/** A BROKER / BROKER_LOGGER resource names this broker by id, or is "" for the cluster-wide default. */
export function isThisBroker(metadata: MetadataService, resourceName: string): boolean {
  return resourceName === '' || resourceName === String(metadata.self().nodeId);
}

export function notThisBroker(metadata: MetadataService, resourceName: string): string {
  return `this is broker ${metadata.self().nodeId}, not ${resourceName}`;
}
