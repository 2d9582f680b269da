/**
 * Exit codes a shell script can branch on. Kept apart from each other so
 * `brook ... || case $? in` can tell a typo from a broker that is down.
 */
export const ExitCode = {
  OK: 0,
  /** The broker answered but refused or failed the operation (unknown topic, group not empty, ...). */
  FAILED: 1,
  /** Bad command line: nothing was sent to any broker. */
  USAGE: 2,
  /** No broker could be reached (connection refused, DNS, timeout). */
  UNREACHABLE: 3,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

/** An error meant for the person at the terminal: the message says what to do, the code says what happened. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: ExitCode = ExitCode.FAILED,
  ) {
    super(message);
  }
}

export function usageError(message: string): CliError {
  return new CliError(message, ExitCode.USAGE);
}

interface KafkaJsLikeError {
  name?: string;
  message?: string;
  type?: string;
  originalError?: unknown;
  cause?: unknown;
  retriable?: boolean;
  apiName?: string;
}

const UNREACHABLE_NAMES = new Set(['KafkaJSConnectionError', 'KafkaJSRequestTimeoutError', 'KafkaJSBrokerNotFound', 'KafkaJSConnectionClosedError']);

/** kafkajs wraps the real failure in retry errors; the innermost one says what went wrong. */
function causes(err: unknown): KafkaJsLikeError[] {
  const out: KafkaJsLikeError[] = [];
  let cur: unknown = err;
  for (let depth = 0; cur && typeof cur === 'object' && depth < 8; depth++) {
    const e = cur as KafkaJsLikeError;
    out.push(e);
    cur = e.originalError ?? e.cause;
  }
  return out;
}

/** Whether the broker's answer behind `err` (kafkajs wraps it in retry errors) was the Kafka error `type`. */
export function isKafkaError(err: unknown, type: string): boolean {
  return causes(err).some((e) => e.type === type);
}

/** Turns whatever a client library threw into a CliError with an actionable message. */
export function toCliError(err: unknown, brokers: readonly string[]): CliError {
  if (err instanceof CliError) return err;
  const chain = causes(err);
  const where = brokers.join(',');
  if (chain.some((e) => e.name !== undefined && UNREACHABLE_NAMES.has(e.name))) {
    return new CliError(
      `cannot reach a broker at ${where} (${chain[chain.length - 1]?.message ?? 'connection failed'}); check --bootstrap-server and that the broker is running`,
      ExitCode.UNREACHABLE,
    );
  }
  const unsupported = chain.find((e) => e.name === 'KafkaJSServerDoesNotSupportApiKey');
  if (unsupported) {
    return new CliError(`the broker at ${where} does not support the ${unsupported.apiName ?? 'needed'} API, so this command cannot run against it`, ExitCode.FAILED);
  }
  const protocol = chain.find((e) => typeof e.type === 'string');
  if (protocol) return new CliError(`broker error ${protocol.type}: ${protocol.message}`, ExitCode.FAILED);
  const last = chain[chain.length - 1];
  return new CliError(last?.message ?? String(err), ExitCode.FAILED);
}
