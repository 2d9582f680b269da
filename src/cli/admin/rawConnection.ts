import { parseBrokers } from './client';
import { cliSecurity } from './clientSecurity';
import type { CliIO } from './io';
import { intValue, type ParsedFlags } from './options';
import { RawAdminConnection } from './rawRequest';

/**
 * Runs `fn` on a protocol connection to the first bootstrap broker that answers, for the
 * commands whose APIs kafkajs lacks (quotas, SCRAM users, cluster), with the
 * same flags as every admin command: --bootstrap-server, --client-id,
 * --timeout-ms and the --command-config security settings.
 */
export async function withRawConnection<T>(flags: ParsedFlags, io: CliIO, fn: (c: RawAdminConnection) => Promise<T>): Promise<T> {
  const brokers = parseBrokers(flags.values.get('bootstrap-server') ?? io.env.BROOK_BOOTSTRAP_SERVER ?? '127.0.0.1:9092');
  const timeoutMs = intValue(flags, 'timeout-ms', { min: 1 }) ?? 5000;
  // the first bootstrap broker that answers, as a Kafka client's bootstrap does
  let c: RawAdminConnection | null = null;
  let lastError: unknown = null;
  for (const broker of brokers) {
    try {
      c = await RawAdminConnection.open(broker, flags.values.get('client-id') ?? 'brook-cli', timeoutMs, cliSecurity(flags, io));
      break;
    } catch (err) {
      lastError = err;
    }
  }
  if (!c) throw lastError;
  try {
    return await fn(c);
  } finally {
    c.close();
  }
}
