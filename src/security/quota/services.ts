import type { Logger } from '../../log';
import { ByteRateQuota } from './byteRateQuota';
import { quotaConfigFrom, type QuotaConfig } from './config';
import { ConnectionLimiter, resolveOverrideHosts } from './connectionLimits';
import { CONSUMER_BYTE_RATE, PRODUCER_BYTE_RATE } from './entity';
import { FileQuotaStore, type QuotaStore } from './store';

/** Everything quotas need at run time; hung on `BrokerServices.quotas`. */
export interface QuotaServices {
  store: QuotaStore;
  produce: ByteRateQuota;
  fetch: ByteRateQuota;
  connections: ConnectionLimiter;
  config: QuotaConfig;
  stop(): void;
}

export interface QuotaServicesOptions {
  dataDir: string;
  raw: Record<string, string>;
  logger: Logger;
  /** Defaults to the JSON file in the data dir; cluster mode passes its own. */
  store?: QuotaStore;
}

export async function startQuotaServices(opts: QuotaServicesOptions): Promise<QuotaServices> {
  const parsed = quotaConfigFrom(opts.raw);
  const config = { ...parsed, connections: { ...parsed.connections, perIpOverrides: await resolveOverrideHosts(parsed.connections.perIpOverrides) } };
  const store = opts.store ?? (await FileQuotaStore.open(opts.dataDir));
  const produce = new ByteRateQuota(PRODUCER_BYTE_RATE, config.window, store.entries());
  const fetch = new ByteRateQuota(CONSUMER_BYTE_RATE, config.window, store.entries());
  const connections = new ConnectionLimiter(config.connections, config.window, opts.logger.child({ component: 'quota' }), store.entries());
  const unsubscribe = store.onChange(() => {
    const entries = store.entries();
    produce.reload(entries);
    fetch.reload(entries);
    connections.reload(entries);
  });
  return { store, produce, fetch, connections, config, stop: unsubscribe };
}
