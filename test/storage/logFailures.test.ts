import { expect } from 'chai';
import { nodeFs, type StorageFs } from '../../storage/fs';
import { LogManager } from '../../storage/logManager';
import type { StorageLogger } from '../../storage/logger';
import { buildBatch, removeDir, tempDir } from './helpers';

/** Every line a logger got, as level, message and fields. */
function recordingLogger(): { logger: StorageLogger; lines: Array<{ level: string; msg: string; obj: Record<string, unknown> }> } {
  const lines: Array<{ level: string; msg: string; obj: Record<string, unknown> }> = [];
  const at = (level: string) => (obj: object, msg?: string) => void lines.push({ level, msg: msg ?? '', obj: obj as Record<string, unknown> });
  return { logger: { info: at('info'), warn: at('warn'), error: at('error') }, lines };
}

/**
 * A cause every log shares (a full disk, a data dir that vanished) makes every log of a pass fail the same way:
 * the first ten are logged one by one, the rest counted into one line, so 100,000 partitions do not write
 * 100,000 identical lines while the broker keeps serving.
 */
describe('storage: a failure every log of a pass shares is logged ten times and counted', function () {
  this.timeout(60_000);
  const LOGS = 25;
  let dir = '';
  let manager: LogManager | null = null;
  afterEach(async () => {
    await manager?.close().catch(() => undefined);
    manager = null;
    removeDir(dir);
  });

  it('a checkpoint and a shutdown on a full disk: ten lines with their log, then one with the count', async () => {
    dir = tempDir('brook-log-failures-');
    let full = false;
    const fullDisk: StorageFs = {
      ...nodeFs,
      open: async (p, flags) => {
        if (full && /\.txnindex\./.test(p)) throw Object.assign(new Error('ENOSPC: no space left on device'), { code: 'ENOSPC' });
        return nodeFs.open(p, flags);
      },
    };
    const { logger, lines } = recordingLogger();
    manager = new LogManager({ dataDir: dir, fs: fullDisk, logger, schedulerIntervalMs: 0, checkpointIntervalMs: 0 });
    await manager.open();
    for (let p = 0; p < LOGS; p++) await (await manager.create('full', p)).append(buildBatch([{ value: `v${p}` }]));
    full = true;

    expect(await manager.checkpoint(), 'every log stays dirty').to.equal(LOGS);
    const saving = lines.filter((l) => l.msg.startsWith('saving a log for the checkpoint failed'));
    expect(saving.slice(0, 10).map((l) => [l.level, l.obj.topic, String(l.obj.err)])).to.deep.equal(
      saving.slice(0, 10).map((l) => ['warn', 'full', 'Error: ENOSPC: no space left on device']),
    );
    expect(saving.slice(0, 10).map((l) => l.obj.partition)).to.have.length(10);
    expect(saving).to.have.length(11);
    expect(saving[10]!.obj).to.deep.equal({ failed: LOGS, notLogged: LOGS - 10 });

    lines.length = 0;
    await manager.close();
    manager = null;
    const closing = lines.filter((l) => l.msg.startsWith('closing log failed'));
    expect(closing).to.have.length(11);
    expect(closing.every((l) => l.level === 'error')).to.equal(true);
    expect(closing[10]!.obj).to.deep.equal({ failed: LOGS, notLogged: LOGS - 10 });
  });
});
