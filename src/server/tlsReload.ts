import type { Logger } from '../log';
import { listenerTlsSettings } from '../security/tls/listenerTls';
import type { BrokerServer } from './server';

/**
 * Reloads the TLS material of TLS listeners from the broker's effective
 * properties (dynamic broker configs over the file) whenever they change:
 * new connections get the new keystore; a value that does not load is logged
 * and the listener keeps what it had.
 */
export function tlsReloader(servers: readonly BrokerServer[], logger: Logger): (props: Record<string, string>) => void {
  const applied = new Map<string, string>();
  for (const s of servers) {
    const o = s.listener.tls?.options;
    if (o) applied.set(s.listener.name, JSON.stringify([o.key, o.cert, o.ca, o.passphrase]));
  }
  return (props) => {
    for (const s of servers) {
      if (!s.listener.tls) continue;
      try {
        const { options } = listenerTlsSettings(props, s.listener.name);
        const fingerprint = JSON.stringify([options.key, options.cert, options.ca, options.passphrase]);
        if (applied.get(s.listener.name) === fingerprint) continue;
        s.updateTls(options);
        applied.set(s.listener.name, fingerprint);
        logger.info({ listener: s.listener.name }, 'TLS keystore reloaded; new connections use it');
      } catch (err) {
        logger.error({ listener: s.listener.name, err: (err as Error).message }, 'cannot reload the TLS keystore; the listener keeps the one it has');
      }
    }
  };
}
