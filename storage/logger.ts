/** The subset of pino the storage layer logs through. */
export interface StorageLogger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

export const silentLogger: StorageLogger = {
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
};
