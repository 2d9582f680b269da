import { afterEach } from 'mocha';
import { LogManager, type LogManagerOptions } from '../../storage/logManager';
import { nodeFs, type StorageFs } from '../../storage/fs';
import { removeDir, tempDir } from './helpers';

/** nodeFs counting fsync(2) calls (writeFileAtomic's durable writes use it; segment data uses fdatasync). */
export function fsyncCounting(): StorageFs & { fsyncs: number } {
  const counting = { ...nodeFs, fsyncs: 0 };
  counting.fsync = async (fd: number) => {
    counting.fsyncs++;
    return nodeFs.fsync(fd);
  };
  return counting;
}

/**
 * Log managers (scheduler off) and data dirs for the tests of the enclosing `describe`: whatever a test opened is
 * closed, and its directories removed, after it.
 */
export function managedLogs(): {
  manager(dataDir: string, opts?: Partial<LogManagerOptions>): Promise<LogManager>;
  closed(m: LogManager): Promise<void>;
  newDir(prefix?: string): string;
} {
  const dirs: string[] = [];
  const managers: LogManager[] = [];
  afterEach(async () => {
    for (const m of managers.splice(0)) await m.close();
    for (const d of dirs.splice(0)) removeDir(d);
  });
  return {
    async manager(dataDir, opts = {}) {
      const m = new LogManager({ dataDir, schedulerIntervalMs: 0, ...opts });
      await m.open();
      managers.push(m);
      return m;
    },
    async closed(m) {
      managers.splice(managers.indexOf(m), 1);
      await m.close();
    },
    newDir(prefix) {
      const dir = tempDir(prefix);
      dirs.push(dir);
      return dir;
    },
  };
}
