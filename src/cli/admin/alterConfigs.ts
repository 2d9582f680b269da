import { ErrorCode, errorName } from '../../../protocol/errors';
import { ApiKey } from '../../../protocol/generated/apis';
import type { IncrementalAlterConfigsResponse } from '../../../protocol/generated/messages/IncrementalAlterConfigsResponse';
import { CliError } from './errors';
import type { RawAdminConnection } from './rawRequest';

/** One IncrementalAlterConfigs change: operation 0 sets `value`, 1 deletes the key (back to its default). */
export interface ConfigChange {
  name: string;
  configOperation: 0 | 1;
  value: string | null;
}

/** IncrementalAlterConfigs of one resource; a refusal is a CliError carrying the broker's reason. */
export async function alterConfigs(c: RawAdminConnection, resourceType: number, resourceName: string, configs: ConfigChange[]): Promise<void> {
  const res = await c.request<IncrementalAlterConfigsResponse>(ApiKey.IncrementalAlterConfigs, { validateOnly: false, resources: [{ resourceType, resourceName, configs }] });
  const r = res.responses[0]!;
  if (r.errorCode !== ErrorCode.NONE) throw new CliError(`refused: ${errorName(r.errorCode)}${r.errorMessage ? `: ${r.errorMessage}` : ''}`);
}
