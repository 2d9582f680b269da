import pino from 'pino';

/** The small logging surface the broker uses; pino satisfies it, tests may pass a silent one. */
export interface Logger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
  debug(obj: object, msg?: string): void;
  child(bindings: Record<string, unknown>): Logger;
}

export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

/** JSON lines on stdout, one per notable event. */
export function createLogger(level: LogLevel = 'info'): Logger {
  return pino({ level, base: { name: 'brook' } }) as unknown as Logger;
}
