import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import { promisify } from 'node:util';

/**
 * The file-system calls storage makes, behind one interface so tests can
 * inject failures (ENOSPC, EIO) on a single partition without filling a disk.
 * Positional reads and writes only: the log never relies on a file cursor.
 */
export interface StorageFs {
  open(path: string, flags: number): Promise<number>;
  close(fd: number): Promise<void>;
  /**
   * `recent`: the caller knows the bytes were written moments ago (the tail of
   * the active segment), so they are in the page cache and may be copied from
   * the event loop instead of through the thread pool.
   */
  read(fd: number, buf: Buffer, offset: number, length: number, position: number, recent?: boolean): Promise<number>;
  writev(fd: number, bufs: Buffer[], position: number): Promise<number>;
  /**
   * The write `writev` would do inline on the event loop anyway (small, not to
   * an O_DSYNC descriptor), done now without a promise; null when it would go
   * through the thread pool. Optional: without it every write takes `writev`.
   */
  writevNow?(fd: number, bufs: Buffer[], position: number): number | null;
  fdatasync(fd: number): Promise<void>;
  fsync(fd: number): Promise<void>;
  ftruncate(fd: number, length: number): Promise<void>;
  /** Size and modification time (ms) of an open file. */
  fstat(fd: number): Promise<{ size: number; mtimeMs: number }>;
  readFile(path: string): Promise<Buffer>;
  writeFile(path: string, data: Buffer): Promise<void>;
  rename(from: string, to: string): Promise<void>;
  /** Sets a file's modification (and access) time. */
  setMtime(path: string, mtimeMs: number): Promise<void>;
  unlink(path: string): Promise<void>;
  mkdir(path: string): Promise<void>;
  readdir(path: string): Promise<string[]>;
  rmrf(path: string): Promise<void>;
  isDirectory(path: string): Promise<boolean>;
  /** Names of the subdirectories (one readdir, no stat per entry). */
  listDirectories(path: string): Promise<string[]>;
  /**
   * Everything written to the file system holding `path` is durable when this
   * resolves (syncfs); one call instead of an fsync per file at shutdown.
   */
  syncFileSystem(path: string): Promise<void>;
}

const pOpen = promisify(fs.open);
const pClose = promisify(fs.close);
const pRead = promisify(fs.read);
const pWritev = promisify(fs.writev);
const pFdatasync = promisify(fs.fdatasync);
const pFsync = promisify(fs.fsync);
const pFtruncate = promisify(fs.ftruncate);
const pFstat = promisify(fs.fstat);

/**
 * Writes up to this size go straight into the page cache from the event loop.
 * A small produce's append costs a few microseconds of copying, but a trip
 * through the libuv thread pool costs two thread wake-ups and context
 * switches; on a busy 2-core machine those hand-offs, not the copy, were most
 * of a produce's latency (bench/produce-consume.ts). Larger writes keep going
 * through the pool so their copying overlaps with the event loop's work.
 */
const INLINE_WRITE_MAX_BYTES = 64 * 1024;
/**
 * Reads up to this size of recently written bytes are copied from the page
 * cache on the event loop, for the reason writes are (above): a follower's or
 * a tailing consumer's fetch reads the few KB just appended, and the thread
 * pool's two wake-ups cost more than the copy. Anything else (backlog reads,
 * which may need the disk) goes through the pool.
 */
const INLINE_READ_MAX_BYTES = 64 * 1024;
/** Whole-file reads try one read of this size first (see readFile). */
const SMALL_FILE_BYTES = 4096;
/** Descriptors opened with O_DSYNC: each write waits for the device, so it must never block the event loop. */
const devicePacedFds = new Set<number>();

function totalBytes(bufs: Buffer[]): number {
  let n = 0;
  for (const b of bufs) n += b.length;
  return n;
}

function writesInline(fd: number, bufs: Buffer[]): boolean {
  return !devicePacedFds.has(fd) && totalBytes(bufs) <= INLINE_WRITE_MAX_BYTES;
}

/** Callback-based fs wrapped once: cheaper per call than FileHandle objects on the hot path. */
export const nodeFs: StorageFs = {
  open: async (path, flags) => {
    const fd = await pOpen(path, flags, 0o644);
    if ((flags & fs.constants.O_DSYNC) !== 0) devicePacedFds.add(fd);
    else devicePacedFds.delete(fd);
    return fd;
  },
  close: (fd) => {
    devicePacedFds.delete(fd);
    return pClose(fd);
  },
  read: async (fd, buf, offset, length, position, recent) => {
    if (recent === true && length <= INLINE_READ_MAX_BYTES) return fs.readSync(fd, buf, offset, length, position);
    return (await pRead(fd, buf, offset, length, position)).bytesRead;
  },
  writev: async (fd, bufs, position) => {
    if (writesInline(fd, bufs)) return fs.writevSync(fd, bufs, position);
    return (await pWritev(fd, bufs, position)).bytesWritten;
  },
  writevNow: (fd, bufs, position) => (writesInline(fd, bufs) ? fs.writevSync(fd, bufs, position) : null),
  fdatasync: (fd) => pFdatasync(fd),
  fsync: (fd) => pFsync(fd),
  ftruncate: (fd, length) => pFtruncate(fd, length),
  setMtime: (p, ms) => fs.promises.utimes(p, ms / 1000, ms / 1000),
  fstat: async (fd) => {
    const st = await pFstat(fd);
    return { size: st.size, mtimeMs: st.mtimeMs };
  },
  readFile: async (path) => {
    // most files read whole are a few bytes (epoch, high-watermark, empty transaction indexes): open, one read and
    // close are three thread-pool round trips where fs.promises.readFile takes four or five (it asks the size
    // first); opening a log reads several, and at a restart thousands of logs open
    const fd = await pOpen(path, fs.constants.O_RDONLY);
    let whole: Buffer | null = null;
    try {
      const buf = Buffer.allocUnsafe(SMALL_FILE_BYTES);
      const { bytesRead } = await pRead(fd, buf, 0, SMALL_FILE_BYTES, 0);
      // a regular file's read is short only at its end
      if (bytesRead < SMALL_FILE_BYTES) whole = buf.subarray(0, bytesRead);
    } finally {
      await pClose(fd);
    }
    return whole ?? fs.promises.readFile(path);
  },
  writeFile: (path, data) => fs.promises.writeFile(path, data),
  rename: (from, to) => fs.promises.rename(from, to),
  unlink: (path) => fs.promises.unlink(path),
  mkdir: async (path) => {
    await fs.promises.mkdir(path, { recursive: true });
  },
  readdir: (path) => fs.promises.readdir(path),
  rmrf: (path) => fs.promises.rm(path, { recursive: true, force: true }),
  syncFileSystem: (path) =>
    new Promise<void>((resolve, reject) => {
      // coreutils `sync -f`: syncfs(2) on the file system of `path` (node has no binding for it)
      execFile('sync', ['-f', path], (err) => (err ? reject(err) : resolve()));
    }),
  listDirectories: async (path) => (await fs.promises.readdir(path, { withFileTypes: true })).filter((d) => d.isDirectory()).map((d) => d.name),
  isDirectory: async (path) => {
    try {
      return (await fs.promises.stat(path)).isDirectory();
    } catch {
      return false;
    }
  },
};

export const O_RDWR_CREATE = fs.constants.O_RDWR | fs.constants.O_CREAT;
export const O_RDONLY = fs.constants.O_RDONLY;
/** Each write returns only once its data (and the size needed to read it back) is on stable storage. */
export const O_DSYNC = fs.constants.O_DSYNC;

/** Writes every buffer, retrying short writes (writev may stop early on a full pipe or disk). */
export async function writeFully(sfs: StorageFs, fd: number, bufs: Buffer[], position: number): Promise<number> {
  let total = 0;
  for (const b of bufs) total += b.length;
  let written = await sfs.writev(fd, bufs, position);
  if (written === total) return total;
  while (written < total) {
    const rest = remainingAfter(bufs, written);
    const n = await sfs.writev(fd, rest, position + written);
    if (n <= 0) throw new Error(`short write at ${position + written}`);
    written += n;
  }
  return total;
}

/** writeFully's retry of a short write, for a write made with writevNow (which must be able to finish it). */
export function writeRestNow(sfs: StorageFs, fd: number, bufs: Buffer[], position: number, written: number, total: number): void {
  while (written < total) {
    const n = sfs.writevNow!(fd, remainingAfter(bufs, written), position + written);
    if (n === null || n <= 0) throw new Error(`short write at ${position + written}`);
    written += n;
  }
}

function remainingAfter(bufs: Buffer[], skip: number): Buffer[] {
  const out: Buffer[] = [];
  for (const b of bufs) {
    if (skip >= b.length) {
      skip -= b.length;
      continue;
    }
    out.push(skip > 0 ? b.subarray(skip) : b);
    skip = 0;
  }
  return out;
}

/** Reads exactly `length` bytes unless the file ends first; returns the bytes actually read. */
export async function readFully(sfs: StorageFs, fd: number, buf: Buffer, length: number, position: number, recent = false): Promise<number> {
  let got = 0;
  while (got < length) {
    const n = await sfs.read(fd, buf, got, length - got, position + got, recent);
    if (n === 0) break;
    got += n;
  }
  return got;
}

/** Crash-safe small-file replace: write a temp file, fsync it, rename over the target, fsync the directory. */
let tmpCounter = 0;

/**
 * Replaces `dir/name` as a whole. `durable: false` skips the fsyncs, for a
 * caller that makes the whole file system durable afterwards (clean shutdown).
 */
export async function writeFileAtomic(sfs: StorageFs, dir: string, name: string, data: Buffer, durable = true): Promise<void> {
  const tmp = `${dir}/${name}.${process.pid}-${++tmpCounter}.tmp`;
  const fd = await sfs.open(tmp, O_RDWR_CREATE | fs.constants.O_TRUNC);
  try {
    try {
      await writeFully(sfs, fd, [data], 0);
      if (durable) await sfs.fsync(fd);
    } finally {
      await sfs.close(fd);
    }
    await sfs.rename(tmp, `${dir}/${name}`);
  } catch (err) {
    // a full disk must not leave a temporary file per attempt (a data dir's own files are retried every few seconds)
    await sfs.unlink(tmp).catch(() => undefined);
    throw err;
  }
  if (durable) await fsyncDir(sfs, dir);
}

export async function fsyncDir(sfs: StorageFs, dir: string): Promise<void> {
  const fd = await sfs.open(dir, O_RDONLY);
  try {
    await sfs.fsync(fd);
  } finally {
    await sfs.close(fd);
  }
}
