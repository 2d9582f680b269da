import * as fs from 'node:fs';
import * as path from 'node:path';

/**
 * `<dataDir>/log-dirty`: the logs changed since `log-summary` was last
 * written (one `topic<TAB>partition` line each). `log-summary` is written at
 * clean shutdown and, while running, as a periodic checkpoint of every log
 * that has settled (Kafka's recovery-point checkpoint plays this part). Before
 * the first change to a log after a checkpoint its line is appended here, so
 * after kill -9 the next start trusts the summary for every log not named
 * and recovers only the named ones: recovery grows with what was written
 * since the last checkpoint, not with the partition count.
 *
 * Lines are written synchronously (one write(2) per log per checkpoint
 * period) before the change reaches the log's files, so they are in the page
 * cache whenever the change is; they are not fsynced: after a power loss a
 * log whose line was lost opens as closed cleanly, and that open still checks
 * the active segment's indexes and tail by CRC, so nothing torn is served.
 *
 * A checkpoint rotates the journal before it writes the summary: the current
 * file becomes `log-dirty.rotated/<n>` and a new one names the logs still dirty, so
 * the summary of 100,000 logs can be built and written without holding the
 * event loop (written in one synchronous step it held it 250-400 ms,
 * bench/README.md). Rotated files stay until a summary written after their
 * rotation is in place; a start after a crash reads the current journal and
 * every rotated one, so a log changed since the summary on disk is named in
 * one of them whichever step the crash interrupted. They have a directory of
 * their own so that finding them never lists the data dir, which holds a
 * directory per partition (100,000 names took 80-150 ms to list, on the path
 * to listening after a crash).
 */
export const DIRTY_JOURNAL_FILE = 'log-dirty';
export const ROTATED_JOURNALS_DIR = 'log-dirty.rotated';
const ROTATED = /^\d+$/;

export class DirtyJournal {
  private fd = -1;
  /** A mark could not be written: until the next checkpoint the summary must not be trusted after a crash. */
  private failed = false;
  /** Numbers of the rotated journals on disk (a previous run's too), found on first rotation. */
  private rotated: number[] | null = null;
  private nextRotation = 1;

  constructor(
    private readonly dataDir: string,
    /** Called when a mark cannot be written (the manager drops the summary so a crash recovers everything). */
    private readonly onFailure: (err: unknown) => void,
  ) {}

  /** The (topic, partition) pairs named by the journals the last run left (current and rotated); malformed lines are skipped. */
  static async read(dataDir: string, each: (topic: string, partition: number) => void): Promise<void> {
    const rotatedDir = path.join(dataDir, ROTATED_JOURNALS_DIR);
    let rotated: string[] = [];
    try {
      rotated = (await fs.promises.readdir(rotatedDir)).filter((name) => ROTATED.test(name));
    } catch {
      // none rotated (or an older data dir)
    }
    for (const file of [path.join(dataDir, DIRTY_JOURNAL_FILE), ...rotated.map((name) => path.join(rotatedDir, name))]) {
      let text: string;
      try {
        text = await fs.promises.readFile(file, 'utf8');
      } catch {
        continue;
      }
      forEachLine(text, each);
    }
  }

  /** Names one log as changed; synchronous so it precedes the change it announces. */
  mark(topic: string, partition: number): void {
    if (this.failed) return;
    try {
      if (this.fd < 0) this.fd = fs.openSync(path.join(this.dataDir, DIRTY_JOURNAL_FILE), 'a');
      fs.writeSync(this.fd, `${topic}\t${partition}\n`);
    } catch (err) {
      this.failed = true;
      this.onFailure(err);
    }
  }

  /**
   * Before a checkpoint's summary is written: the current journal is set aside as a rotated one and a new journal
   * names `logs` (those the checkpoint leaves dirty); marks from now on go to the new one. Synchronous, so no mark
   * falls between. Returns the rotation's number for `dropRotated`. Throws when the new journal cannot be written
   * (the rotated one still names every dirty log then).
   */
  rotate(logs: Iterable<{ topic: string; partition: number }>): number {
    const rotated = this.rotatedOnDisk();
    this.close();
    const n = this.nextRotation++;
    try {
      fs.renameSync(path.join(this.dataDir, DIRTY_JOURNAL_FILE), this.rotatedPath(n));
      rotated.push(n);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    this.writeNew(logs);
    return n;
  }

  /** A summary written after rotation `n` is in place: the journals rotated up to it name nothing it lacks. */
  dropRotated(n: number): void {
    const rotated = this.rotatedOnDisk();
    while (rotated.length > 0 && rotated[0]! <= n) {
      const m = rotated.shift()!;
      try {
        fs.unlinkSync(this.rotatedPath(m));
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      }
    }
  }

  /** Starts over with a journal naming only `logs` and no rotated ones (the summary just written covers the rest). */
  reset(logs: Iterable<{ topic: string; partition: number }>): void {
    this.close();
    this.writeNew(logs);
    this.dropRotated(Number.MAX_SAFE_INTEGER);
  }

  close(): void {
    if (this.fd >= 0) fs.closeSync(this.fd);
    this.fd = -1;
  }

  private writeNew(logs: Iterable<{ topic: string; partition: number }>): void {
    let text = '';
    for (const l of logs) text += `${l.topic}\t${l.partition}\n`;
    writeFileAtomicSync(this.dataDir, DIRTY_JOURNAL_FILE, Buffer.from(text), false);
    this.failed = false;
  }

  private rotatedPath(n: number): string {
    return path.join(this.dataDir, ROTATED_JOURNALS_DIR, String(n));
  }

  /** Found on first use; the directory is made then too, so a rotation is a rename. */
  private rotatedOnDisk(): number[] {
    if (this.rotated === null) {
      const dir = path.join(this.dataDir, ROTATED_JOURNALS_DIR);
      const found: number[] = [];
      try {
        for (const name of fs.readdirSync(dir)) if (ROTATED.test(name)) found.push(Number(name));
      } catch {
        // none yet
      }
      try {
        fs.mkdirSync(dir, { recursive: true });
      } catch {
        // no data dir: the rename that needs it fails and says so
      }
      found.sort((a, b) => a - b);
      this.rotated = found;
      this.nextRotation = (found[found.length - 1] ?? 0) + 1;
    }
    return this.rotated;
  }
}

function forEachLine(text: string, each: (topic: string, partition: number) => void): void {
  let pos = 0;
  while (pos < text.length) {
    let end = text.indexOf('\n', pos);
    if (end < 0) end = text.length;
    const tab = text.lastIndexOf('\t', end);
    if (tab > pos) {
      const partition = Number(text.slice(tab + 1, end));
      if (Number.isSafeInteger(partition) && partition >= 0) each(text.slice(pos, tab), partition);
    }
    pos = end + 1;
  }
}

/**
 * Write to a temporary file and rename over `name`, all synchronous: a journal
 * is replaced with no mark in between. `durable`: the file is fdatasynced first.
 */
export function writeFileAtomicSync(dir: string, name: string, data: Buffer, durable: boolean): void {
  const tmp = path.join(dir, `${name}.tmp`);
  const fd = fs.openSync(tmp, 'w');
  try {
    fs.writeSync(fd, data);
    if (durable) fs.fdatasyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  fs.renameSync(tmp, path.join(dir, name));
}
