import { expect } from 'chai';
import * as fs from 'node:fs';
import { nodeFs, type StorageFs } from '../../storage/fs';
import { DIRTY_JOURNAL_FILE, ROTATED_JOURNALS_DIR } from '../../storage/dirtyJournal';
import { LogManager } from '../../storage/logManager';
import { LOG_SUMMARY_FILE, serializeLogSummaries, serializeLogSummariesInTurns } from '../../storage/logSummary';
import { buildBatch, readAll, removeDir, tempDir } from './helpers';

/** nodeFs whose `open` of the summary's temporary file first runs `hook` (and fails when it says so). */
function summaryHooked(hook: () => Promise<'fail' | 'go'>): StorageFs {
  return {
    ...nodeFs,
    open: async (p, flags) => {
      if (p.includes(`/${LOG_SUMMARY_FILE}.`) && (await hook()) === 'fail') throw Object.assign(new Error('ENOSPC: no space left on device'), { code: 'ENOSPC' });
      return nodeFs.open(p, flags);
    },
  };
}

/** The current journal and the rotated ones (`log-dirty.rotated/<n>`). */
const journals = (dir: string): string[] => {
  const rotatedDir = `${dir}/${ROTATED_JOURNALS_DIR}`;
  const rotated = fs.existsSync(rotatedDir) ? fs.readdirSync(rotatedDir).map((n) => `${ROTATED_JOURNALS_DIR}/${n}`) : [];
  return [...(fs.existsSync(`${dir}/${DIRTY_JOURNAL_FILE}`) ? [DIRTY_JOURNAL_FILE] : []), ...rotated.sort()];
};

/**
 * A checkpoint rotates the dirty-log journal, then builds and writes the summary without holding the event loop:
 * a crash at any step leaves some journal naming every log changed since the summary on disk.
 */
describe('storage: the checkpoint rotates the dirty-log journal before the summary', function () {
  this.timeout(60_000);
  const managers: LogManager[] = [];
  const dirs: string[] = [];
  afterEach(async () => {
    for (const m of managers.splice(0)) await m.close().catch(() => undefined);
    for (const d of dirs.splice(0)) removeDir(d);
  });

  async function open(dataDir: string, sfs: StorageFs = nodeFs): Promise<LogManager> {
    const m = new LogManager({ dataDir, fs: sfs, schedulerIntervalMs: 0, checkpointIntervalMs: 0, recoveryConcurrency: 0 });
    managers.push(m);
    await m.open();
    return m;
  }

  function dir(): string {
    const d = tempDir('brook-rotate-');
    dirs.push(d);
    return d;
  }

  /** Opened (recovered, when the journal names it) and read whole: how many batches it holds. */
  async function batches(m: LogManager, topic: string, p: number): Promise<number> {
    const log = m.get(topic, p)!;
    await log.open();
    return (await readAll(log)).length;
  }

  /** What kill -9 leaves now. */
  function crashCopy(from: string): string {
    const to = dir();
    fs.cpSync(from, to, { recursive: true });
    return to;
  }

  it('a summary that could not be written leaves the rotated journal naming the logs it would have cleared', async () => {
    const d = dir();
    let failing = false;
    const m = await open(d, summaryHooked(async () => (failing ? 'fail' : 'go')));
    for (let p = 0; p < 3; p++) await (await m.create('r', p)).append(buildBatch([{ value: `v${p}` }]));
    expect(await m.checkpoint()).to.equal(0);
    expect(journals(d)).to.deep.equal([DIRTY_JOURNAL_FILE]);
    await m.get('r', 1)!.append(buildBatch([{ value: 'after' }]));
    failing = true;
    expect(await m.checkpoint(), 'kept dirty: its summary entry is not on disk').to.equal(1);
    expect(journals(d)).to.have.length(2);
    expect(journals(d)[1]).to.match(/^log-dirty\.rotated\/\d+$/);
    expect(fs.readdirSync(d).filter((n) => /^log-dirty\.\d+$/.test(n)), 'nothing rotated beside the partition directories').to.deep.equal([]);
    const crashed = await open(crashCopy(d));
    expect(crashed.get('r', 1)!.recovering, 'named by the rotated journal').to.equal(true);
    expect(crashed.get('r', 0)!.recovering).to.equal(false);
    expect(await batches(crashed, 'r', 1)).to.equal(2);
    failing = false;
    expect(await m.checkpoint()).to.equal(0);
    expect(journals(d), 'a summary in place drops the rotated journals').to.deep.equal([DIRTY_JOURNAL_FILE]);
  });

  it('a log written while the summary is being written is named in the new journal', async () => {
    const d = dir();
    let during: (() => Promise<void>) | null = null;
    let copy = '';
    const m = await open(
      d,
      summaryHooked(async () => {
        const f = during;
        during = null;
        if (f) await f();
        return 'go';
      }),
    );
    for (let p = 0; p < 3; p++) await (await m.create('w', p)).append(buildBatch([{ value: `v${p}` }]));
    expect(await m.checkpoint()).to.equal(0);
    await m.get('w', 0)!.append(buildBatch([{ value: 'dirty-before' }]));
    during = async () => {
      // a clean log changes after the rotation, before the new summary is on disk; kill -9 right then
      await m.get('w', 2)!.append(buildBatch([{ value: 'during' }]));
      copy = crashCopy(d);
    };
    expect(await m.checkpoint()).to.equal(1, 'w-2 changed after the rotation');
    const crashed = await open(copy);
    expect(crashed.get('w', 0)!.recovering, 'in the rotated journal').to.equal(true);
    expect(crashed.get('w', 2)!.recovering, 'in the new journal').to.equal(true);
    expect(crashed.get('w', 1)!.recovering).to.equal(false);
    expect(await batches(crashed, 'w', 0)).to.equal(2);
    expect(await batches(crashed, 'w', 2)).to.equal(2);
    // and after the pass finished: the new summary covers w-0, the journal still names w-2
    const after = await open(crashCopy(d));
    expect(after.get('w', 0)!.recovering).to.equal(false);
    expect(after.get('w', 2)!.recovering).to.equal(true);
    expect(after.get('w', 0)!.logEndOffset).to.equal(2);
    expect(await batches(after, 'w', 2)).to.equal(2);
  });

  it('a log written again while the checkpoint clears a thousand others stays named in a journal', async () => {
    const d = dir();
    const m = await open(d);
    const n = 1001;
    for (let p = 0; p < n; p++) await (await m.create('many', p)).append(buildBatch([{ value: `v${p}` }]));
    const target = m.get('many', 5)!;
    const clear = target.markDirty.bind(target);
    let appended: Promise<unknown> | null = null;
    target.markDirty = (dirty: boolean) => {
      clear(dirty);
      // the clearing loop gives the event loop a turn after 1,000 logs: this append runs then, before the rotation
      if (!dirty && !appended) setImmediate(() => (appended = target.append(buildBatch([{ value: 'again' }]))));
    };
    expect(await m.checkpoint()).to.equal(1);
    expect(appended).to.not.equal(null);
    await appended;
    const crashed = await open(crashCopy(d));
    expect(crashed.get('many', 5)!.recovering).to.equal(true);
    expect(crashed.get('many', 6)!.recovering).to.equal(false);
    expect(await batches(crashed, 'many', 5)).to.equal(2);
  });

  it('building the summary of 2,500 logs lets a waiting callback run before it ends', async () => {
    const logs = Array.from({ length: 2500 }, (_, p) => ({
      topic: 't',
      partition: p,
      describe: () => ({ logStartOffset: 0, logEndOffset: p, sizeInBytes: 0, segments: 1, oldestClosedMaxTimestamp: -1 }),
    }));
    let ended = false;
    let ranBeforeEnd = false;
    setImmediate(() => (ranBeforeEnd = !ended));
    const text = (await serializeLogSummariesInTurns(logs)).toString();
    ended = true;
    expect(text.trim().split('\n')).to.have.length(2501);
    expect(text, 'the same bytes as built in one go').to.equal(serializeLogSummaries(logs).toString());
    expect(ranBeforeEnd).to.equal(true);
  });
});
