import { rmSync } from 'node:fs';
import { startBroker, type BrokerHandle, type StartBrokerOptions } from '../../src/broker';
import { createLogger } from '../../src/log';

import { tempDataDir } from './tempDir';

export { tempDataDir };

export interface TestBroker extends BrokerHandle {
  dataDir: string;
  bootstrap: string;
  /** Closes the broker and deletes its data dir. */
  destroy(): Promise<void>;
}

/** An in-process broker on 127.0.0.1, any free port, temp data dir, no log output. */
export async function startTestBroker(opts: StartBrokerOptions = {}): Promise<TestBroker> {
  const dataDir = opts.dataDir ?? tempDataDir();
  // An explicit `logger: undefined` must not turn the broker's default logger (info, stdout) back on.
  const handle = await startBroker({ host: '127.0.0.1', port: 0, ...opts, logger: opts.logger ?? createLogger('silent'), dataDir });
  return Object.assign(handle, {
    dataDir,
    bootstrap: `127.0.0.1:${handle.port}`,
    async destroy() {
      await handle.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  });
}
