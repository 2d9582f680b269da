import * as path from 'node:path';
import { EventLoopTurns } from './eventLoopTurns';
import { writeFileAtomic, type StorageFs } from './fs';
import type { StorageLogger } from './logger';
import { logKey } from './logKey';

/**
 * `<dataDir>/replication-offset-checkpoint`: the high watermark of every replicated log under the data dir, in one
 * file (Kafka's name and layout: a version line `0`, the entry count, then `topic partition offset` per line; topic
 * names hold no spaces). One file per data dir, not one per partition: rewriting a small file in each of 10,000
 * partition directories every few seconds took 1–3 s of CPU a round on the 2-core machine, and each rewrite made and
 * freed an inode, which slows every later file creation on ext4 (bench/README.md).
 */
export const HIGH_WATERMARK_CHECKPOINT_FILE = 'replication-offset-checkpoint';
/** Where a partition's high watermark was kept before: read when the shared file has no entry for it, then removed. */
export const LEGACY_HIGH_WATERMARK_FILE = 'high-watermark';
const VERSION = '0';

/** What the checkpoint reads of a log when it saves. */
export interface HighWatermarkSource {
  readonly topic: string;
  readonly partition: number;
  readonly dir: string;
  readonly highWatermark: number;
  readonly highWatermarkFollowsLog: boolean;
  checkpointedHighWatermark: number | null;
}

interface SavedEntry {
  topic: string;
  partition: number;
  offset: number;
}

/** Parses the file's text; null when it is not such a file (wrong version, count or line). */
export function parseHighWatermarks(text: string): SavedEntry[] | null {
  const lines = text.split('\n');
  if (lines[0] !== VERSION) return null;
  const count = Number(lines[1]);
  if (!Number.isSafeInteger(count) || count < 0 || lines.length < count + 2) return null;
  const out: SavedEntry[] = [];
  for (let i = 0; i < count; i++) {
    const parts = lines[i + 2]!.split(' ');
    const partition = Number(parts[1]);
    const offset = Number(parts[2]);
    if (parts.length !== 3 || parts[0] === '' || !Number.isSafeInteger(partition) || partition < 0 || !Number.isSafeInteger(offset) || offset < 0) return null;
    out.push({ topic: parts[0]!, partition, offset });
  }
  return out;
}

/**
 * The saved high watermarks of one data dir. A log opened after start takes its entry (`take`); entries of logs not
 * opened this run are written back unchanged with every save, and a deleted log's is dropped (`forget`). Saves are
 * whole-file, atomic (temporary file and rename) and one at a time; the periodic ones are not fsynced (a power loss
 * leaves an older, lower value, which a restart treats as any saved value: a bound the ISR moves on from), the one
 * at shutdown is.
 */
export class HighWatermarkCheckpoint {
  private readonly pending = new Map<string, SavedEntry>();
  /** Logs (by `logKey`) whose old per-partition file was read: the file is removed once a save holds the value. */
  private readonly legacy = new Set<string>();
  private writing: Promise<unknown> = Promise.resolve();
  private inFlight = false;
  /** The file on disk was written without fsync. */
  private unsynced = false;
  /** A log was deleted since the last save: the file may still name it (and a later start would keep the entry). */
  private stale = false;
  /** Files written since start (tests count them). */
  saves = 0;

  constructor(
    private readonly sfs: StorageFs,
    private readonly dataDir: string,
    private readonly logger: StorageLogger,
  ) {}

  /** Reads the file found at start; a missing one is no entry, a malformed one is logged and ignored. */
  async load(): Promise<void> {
    const file = path.join(this.dataDir, HIGH_WATERMARK_CHECKPOINT_FILE);
    let text: string;
    try {
      text = (await this.sfs.readFile(file)).toString('utf8');
    } catch {
      return;
    }
    const entries = parseHighWatermarks(text);
    if (!entries) {
      this.logger.warn({ file }, 'high watermark checkpoint is malformed and was ignored; replicated partitions serve consumers from their log start until their ISR confirms more');
      return;
    }
    for (const e of entries) this.pending.set(logKey(e.topic, e.partition), e);
  }

  /** The saved value of a log found at start (once: from now on the log holds it). */
  take(topic: string, partition: number): number | undefined {
    const k = logKey(topic, partition);
    const e = this.pending.get(k);
    if (!e) return undefined;
    this.pending.delete(k);
    return e.offset;
  }

  /** A log was deleted (or made anew): its saved value, if still here, must not reach a later log of that name. */
  forget(topic: string, partition: number): void {
    const k = logKey(topic, partition);
    this.pending.delete(k);
    this.legacy.delete(k);
    this.stale = true;
  }

  /** The log's directory held the old per-partition file, whose value the log now holds. */
  noteLegacyFile(topic: string, partition: number): void {
    this.legacy.add(logKey(topic, partition));
  }

  /**
   * Writes the file when a replicated log's high watermark moved since it was last saved; resolves
   * true when it wrote. A periodic save while another runs is skipped (the next one writes what moved).
   */
  save(logs: Iterable<HighWatermarkSource>, opts: { durable: boolean }): Promise<boolean> {
    if (this.inFlight && !opts.durable) return Promise.resolve(false);
    const run = this.writing.then(() => this.write(logs, opts));
    this.writing = run.catch(() => undefined);
    return run;
  }

  private async write(logs: Iterable<HighWatermarkSource>, opts: { durable: boolean }): Promise<boolean> {
    const saved: HighWatermarkSource[] = [];
    // a durable save makes durable what an earlier one left unsynced, moved or not; a value read from an old
    // per-partition file is saved here before that file goes
    let moved = (opts.durable && this.unsynced) || this.legacy.size > 0 || this.stale;
    // a save every 5 s over 100,000 logs held the event loop 11-18 ms to scan them: both loops give it turns (a log
    // deleted meanwhile marks the file stale, and the next save drops its line, as when it is deleted during the write)
    const turns = new EventLoopTurns();
    for (const log of logs) {
      const turn = turns.next();
      if (turn) await turn;
      if (log.highWatermarkFollowsLog) continue;
      saved.push(log);
      if (log.checkpointedHighWatermark !== log.highWatermark) moved = true;
    }
    if (!moved) return false;
    this.inFlight = true;
    try {
      const offsets = new Array<number>(saved.length);
      let text = `${VERSION}\n${saved.length + this.pending.size}\n`;
      for (let i = 0; i < saved.length; i++) {
        const turn = turns.next();
        if (turn) await turn;
        const log = saved[i]!;
        const offset = (offsets[i] = log.highWatermark);
        text += `${log.topic} ${log.partition} ${offset}\n`;
      }
      for (const e of this.pending.values()) text += `${e.topic} ${e.partition} ${e.offset}\n`;
      await writeFileAtomic(this.sfs, this.dataDir, HIGH_WATERMARK_CHECKPOINT_FILE, Buffer.from(text), opts.durable);
      for (let i = 0; i < saved.length; i++) saved[i]!.checkpointedHighWatermark = offsets[i]!;
      this.unsynced = !opts.durable;
      this.stale = false;
      this.saves++;
    } finally {
      this.inFlight = false;
    }
    if (this.legacy.size > 0) await this.removeLegacyFiles(saved);
    return true;
  }

  /** The old files of the logs this save covered go (once per upgraded log); any other stays until a save covers its log. */
  private async removeLegacyFiles(saved: readonly HighWatermarkSource[]): Promise<void> {
    const files: string[] = [];
    for (const log of saved) if (this.legacy.delete(logKey(log.topic, log.partition))) files.push(path.join(log.dir, LEGACY_HIGH_WATERMARK_FILE));
    await Promise.all(files.map((f) => this.sfs.unlink(f).catch(() => undefined)));
  }
}
