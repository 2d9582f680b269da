/**
 * Storage engine throughput, printed in one run (npm run bench:storage):
 *   - raw sequential write of the same disk (dd-style: 1 MiB writes, one fdatasync at the end)
 *   - Brook append MB/s, 16 KiB and 1 MiB batches: flush by interval (flush.ms) and fsync mode with 64 appenders
 *   - read MB/s from the page cache
 *   - append and tail-read throughput with a large backlog vs an empty log
 * Every append figure includes the final fdatasync, so it compares with the dd figure on equal terms.
 *
 * Env: BENCH_DIR (default: a temp dir under /tmp), BENCH_BYTES per append case (default 2 GiB),
 *      BENCH_ROUNDS (default 3: best of N for raw and append alike, alternating),
 *      BACKLOG_GB (default 20; 0 skips the backlog case). Check `df -h` first; the data is deleted after.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { execFileSync, spawnSync } from 'node:child_process';
import { BATCH, fixBatchCrc } from '../protocol/records/batchHeader';
import { LogManager } from '../storage/logManager';
import type { PartitionLog } from '../storage/partitionLog';

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;
const caseBytes = Number(process.env.BENCH_BYTES ?? 2 * GiB);
const rounds = Math.max(1, Number(process.env.BENCH_ROUNDS ?? 3));
const backlogBytes = Number(process.env.BACKLOG_GB ?? 20) * 1e9;
const root = fs.mkdtempSync(path.join(process.env.BENCH_DIR ?? os.tmpdir(), 'brook-bench-storage-'));

/** One uncompressed v2 batch of about `size` bytes with `records` records, valid CRC. */
function makeBatch(size: number, records: number): Buffer {
  const buf = Buffer.alloc(size, 0x5a);
  const per = Math.floor((size - BATCH.HEADER_SIZE) / records);
  let p = BATCH.HEADER_SIZE;
  for (let i = 0; i < records; i++) {
    const last = i === records - 1;
    const recLen = last ? size - p : per;
    // record: length varint (3 bytes: payloads here are < 2 MiB), attrs, tsDelta=0, offsetDelta=i (<64), key null, value
    const bodyLen = recLen - 3;
    const valueLen = bodyLen - 1 - 1 - 1 - 1 - 3 - 1;
    writeVarint3(buf, p, bodyLen);
    let q = p + 3;
    buf[q++] = 0; // attributes
    buf[q++] = 0; // timestampDelta
    buf[q++] = i * 2; // offsetDelta (zig-zag)
    buf[q++] = 1; // key length -1 (zig-zag)
    writeVarint3(buf, q, valueLen);
    q += 3 + valueLen;
    buf[q] = 0; // no headers
    p += recLen;
  }
  buf.writeBigInt64BE(0n, BATCH.BASE_OFFSET);
  buf.writeInt32BE(size - BATCH.LOG_OVERHEAD, BATCH.BATCH_LENGTH);
  buf.writeInt32BE(-1, BATCH.PARTITION_LEADER_EPOCH);
  buf.writeInt8(2, BATCH.MAGIC);
  buf.writeInt16BE(0, BATCH.ATTRIBUTES);
  buf.writeInt32BE(records - 1, BATCH.LAST_OFFSET_DELTA);
  buf.writeBigInt64BE(BigInt(Date.now()), BATCH.BASE_TIMESTAMP);
  buf.writeBigInt64BE(BigInt(Date.now()), BATCH.MAX_TIMESTAMP);
  buf.writeBigInt64BE(-1n, BATCH.PRODUCER_ID);
  buf.writeInt16BE(-1, BATCH.PRODUCER_EPOCH);
  buf.writeInt32BE(-1, BATCH.BASE_SEQUENCE);
  buf.writeInt32BE(records, BATCH.RECORD_COUNT);
  fixBatchCrc(buf, 0);
  return buf;
}

/** Fixed 3-byte zig-zag varint (values < 2^20), so record sizes are easy to lay out. */
function writeVarint3(buf: Buffer, pos: number, value: number): void {
  const z = value * 2;
  buf[pos] = (z & 0x7f) | 0x80;
  buf[pos + 1] = ((z >> 7) & 0x7f) | 0x80;
  buf[pos + 2] = (z >> 14) & 0x7f;
}

function mbps(bytes: number, ms: number): number {
  return bytes / 1e6 / (ms / 1000);
}

function fmt(n: number): string {
  return n.toFixed(0).padStart(6);
}

async function rawSequentialWrite(bytes: number): Promise<number> {
  const file = path.join(root, 'raw.bin');
  const block = Buffer.alloc(MiB, 0x5a);
  const fd = fs.openSync(file, 'w');
  const start = performance.now();
  for (let written = 0; written < bytes; written += MiB) fs.writeSync(fd, block, 0, MiB, written);
  fs.fdatasyncSync(fd);
  const ms = performance.now() - start;
  fs.closeSync(fd);
  fs.rmSync(file);
  return mbps(bytes, ms);
}

function runDd(bytes: number): number | null {
  const file = path.join(root, 'dd.bin');
  try {
    const res = spawnSync('dd', ['if=/dev/zero', `of=${file}`, 'bs=1M', `count=${Math.round(bytes / MiB)}`, 'conv=fdatasync'], {
      encoding: 'utf8',
    });
    const m = /copied, ([\d.]+) s/.exec(res.stderr);
    return m ? mbps(Math.round(bytes / MiB) * MiB, Number(m[1]) * 1000) : null;
  } finally {
    fs.rmSync(file, { force: true });
  }
}

/** Durable-write ceiling of the device for the fsync-mode shape: O_DSYNC positional writes, `depth` in flight. */
async function rawDsyncWrite(bytes: number, blockSize: number, depth: number): Promise<number> {
  const file = path.join(root, 'raw-dsync.bin');
  const block = Buffer.alloc(blockSize, 0x5a);
  const fd = fs.openSync(file, fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_DSYNC);
  const blocks = Math.ceil(bytes / blockSize);
  let next = 0;
  const start = performance.now();
  await Promise.all(
    Array.from({ length: depth }, async () => {
      for (let i = next++; i < blocks; i = next++) {
        await new Promise<void>((resolve, reject) => fs.write(fd, block, 0, blockSize, i * blockSize, (err) => (err ? reject(err) : resolve())));
      }
    }),
  );
  const ms = performance.now() - start;
  fs.closeSync(fd);
  fs.rmSync(file);
  return mbps(blocks * blockSize, ms);
}

async function appendCase(log: PartitionLog, batchSize: number, appenders: number, bytes: number): Promise<number> {
  const records = batchSize >= MiB ? 16 : 8;
  const perAppender = Math.ceil(bytes / batchSize / appenders);
  // each appender reuses its own buffer (append rewrites its baseOffset in place), built before the clock starts
  const batches = Array.from({ length: appenders }, () => makeBatch(batchSize, records));
  const start = performance.now();
  await Promise.all(
    batches.map(async (batch) => {
      for (let i = 0; i < perAppender; i++) await log.append(batch);
    }),
  );
  await log.flush();
  return mbps(perAppender * appenders * batchSize, performance.now() - start);
}

/** Reads [from, to) front to back like a consumer with max.partition.fetch.bytes = maxBytes. */
async function readCase(log: PartitionLog, from: number, to: number, maxBytes: number): Promise<number> {
  let bytes = 0;
  let offset = from;
  const start = performance.now();
  while (offset < to) {
    const res = await log.read(offset, maxBytes, { minOneBatch: true });
    if (res.bytes === 0) throw new Error(`empty read at ${offset}`);
    const last = res.chunks[res.chunks.length - 1]!;
    // walk to the last batch of the answer: its last offset + 1 is the next fetch offset
    let p = 0;
    let next = offset;
    while (p < last.length) {
      const size = BATCH.LOG_OVERHEAD + last.readInt32BE(p + BATCH.BATCH_LENGTH);
      next = Number(last.readBigInt64BE(p)) + last.readInt32BE(p + BATCH.LAST_OFFSET_DELTA) + 1;
      p += size;
    }
    offset = next;
    bytes += res.bytes;
  }
  return mbps(bytes, performance.now() - start);
}

async function main(): Promise<void> {
  console.log(`storage bench in ${root}; ${(caseBytes / GiB).toFixed(2)} GiB per append case; backlog ${(backlogBytes / 1e9).toFixed(1)} GB`);
  console.log(`free space: ${execFileSync('df', ['-h', root]).toString().split('\n')[1]}`);
  const manager = new LogManager({
    dataDir: path.join(root, 'data'),
    schedulerIntervalMs: 200,
    defaults: { maxMessageBytes: 2 * MiB, retentionMs: -1, flushMs: 1000 },
  });
  await manager.open();
  const lines: string[] = [];
  const say = (line: string): void => {
    lines.push(line);
    console.log(line);
  };
  const checks: string[] = [];
  const check = (ok: boolean, what: string): void => {
    checks.push(`${ok ? 'PASS' : 'FAIL'} ${what}`);
  };
  let topicSeq = 0;
  try {
    const dd = runDd(caseBytes);
    if (dd !== null) say(`dd if=/dev/zero bs=1M conv=fdatasync                      ${fmt(dd)} MB/s`);

    // each append case is paired with a raw write of the same size right before it, so both see the same disk state
    const cases: Array<[string, number, number, boolean]> = [
      ['16 KiB batches, flush.ms=1000, 64 appenders', 16 * 1024, 64, false],
      ['1 MiB batches, flush.ms=1000, 64 appenders', MiB, 64, false],
      ['16 KiB batches, fsync mode, 64 appenders', 16 * 1024, 64, true],
      ['1 MiB batches, fsync mode, 64 appenders', MiB, 64, true],
      ['16 KiB batches, flush.ms=1000, 1 appender', 16 * 1024, 1, false],
    ];
    for (const [name, size, appenders, fsyncMode] of cases) {
      // best of BENCH_ROUNDS for both sides, alternating, so a noisy neighbour does not decide the ratio
      let raw = 0;
      let figure = 0;
      for (let round = 0; round < rounds; round++) {
        raw = Math.max(raw, await rawSequentialWrite(caseBytes));
        const log = await manager.create(`append-${topicSeq++}`, 0, { fsyncOnAppend: fsyncMode });
        figure = Math.max(figure, await appendCase(log, size, appenders, caseBytes));
        if (round === rounds - 1 && size === 16 * 1024 && !fsyncMode && appenders > 1) {
          let rd = 0;
          let rd4 = 0;
          for (let r = 0; r < rounds; r++) {
            rd = Math.max(rd, await readCase(log, 0, log.logEndOffset, MiB));
            rd4 = Math.max(rd4, await readCase(log, 0, log.logEndOffset, 4 * MiB));
          }
          say(`read from page cache, 16 KiB batches, 1 MiB fetches        ${fmt(rd)} MB/s`);
          say(`read from page cache, 16 KiB batches, 4 MiB fetches        ${fmt(rd4)} MB/s`);
          check(rd >= 1000, `read from cache ${rd.toFixed(0)} MB/s with 1 MiB fetches (target >= 1000)`);
        }
        await manager.deleteTopic(log.topic);
      }
      const ratio = figure / raw;
      say(`append ${name.padEnd(46)} ${fmt(figure)} MB/s vs raw ${fmt(raw)} MB/s = ${(ratio * 100).toFixed(0)}%`);
      if (fsyncMode) {
        // context, not a target: what the device itself does for durable writes of the size Brook issues
        let ceiling = 0;
        const block = Math.max(size, 256 * 1024);
        for (let r = 0; r < rounds; r++) ceiling = Math.max(ceiling, await rawDsyncWrite(Math.min(caseBytes, GiB), block, 4));
        say(`  device ceiling: O_DSYNC ${block / 1024} KiB writes, 4 in flight     ${fmt(ceiling)} MB/s (append = ${((figure / ceiling) * 100).toFixed(0)}% of it)`);
      }
      if (appenders > 1) check(ratio >= 0.8, `append ${name}: ${(ratio * 100).toFixed(0)}% of raw sequential write (target >= 80%)`);
    }

    if (backlogBytes > 0) {
      const tailBytes = Math.min(caseBytes, 2 * GiB);
      const backlog = await manager.create('backlog', 0);
      const t0 = performance.now();
      await appendCase(backlog, MiB, 16, backlogBytes);
      say(`backlog: ${(backlog.sizeInBytes() / 1e9).toFixed(1)} GB in ${backlog.segmentCount} segments, written and flushed in ${((performance.now() - t0) / 1000).toFixed(0)} s`);
      // the empty log is measured in the same machine state (page cache and writeback after the backlog),
      // alternating with the backlog log, so the difference is the log's own size and nothing else
      const empty = await manager.create('empty', 0);
      const best = { empty: { append: 0, read: 0 }, backlog: { append: 0, read: 0 } };
      for (let round = 0; round < rounds; round++) {
        const order: Array<['empty' | 'backlog', PartitionLog]> = round === 0 ? [['empty', empty], ['backlog', backlog]] : [['backlog', backlog], ['empty', empty]];
        for (const [which, log] of order) {
          const start = log.logEndOffset;
          best[which].append = Math.max(best[which].append, await appendCase(log, 16 * 1024, 64, tailBytes));
          // reads of the tail are short (page cache speed), so a few repeats keep a neighbour's burst out of the figure
          for (let r = 0; r < 3; r++) best[which].read = Math.max(best[which].read, await readCase(log, start, log.logEndOffset, MiB));
        }
      }
      // a consumer far behind reads the oldest data (page cache or disk, whatever the machine holds)
      const oldRead = await readCase(backlog, 0, Math.min(backlog.logEndOffset, 256 * 16), MiB);
      const dA = ((best.backlog.append - best.empty.append) / best.empty.append) * 100;
      const dR = ((best.backlog.read - best.empty.read) / best.empty.read) * 100;
      say(`append 16 KiB x64, empty log vs ${(backlogBytes / 1e9).toFixed(0)} GB backlog (best of N)  ${fmt(best.empty.append)} vs ${fmt(best.backlog.append)} MB/s (${sign(dA)}%)`);
      say(`tail read 1 MiB fetches, empty log vs backlog (best of N) ${fmt(best.empty.read)} vs ${fmt(best.backlog.read)} MB/s (${sign(dR)}%)`);
      say(`read of the oldest 256 MiB of the backlog                  ${fmt(oldRead)} MB/s`);
      check(Math.abs(dA) < 10, `backlog changes append throughput by ${sign(dA)}% (target < 10%)`);
      check(Math.abs(dR) < 10, `backlog changes tail-read throughput by ${sign(dR)}% (target < 10%)`);
      await manager.deleteTopic('empty');
      await manager.deleteTopic('backlog');
    }
  } finally {
    await manager.close();
    fs.rmSync(root, { recursive: true, force: true });
  }

  console.log('\n=== summary ===');
  for (const l of lines) console.log(l);
  console.log('\n=== targets ===');
  for (const c of checks) console.log(c);
}

function sign(n: number): string {
  return `${n >= 0 ? '+' : ''}${n.toFixed(1)}`;
}

main().catch((err: unknown) => {
  console.error(err);
  fs.rmSync(root, { recursive: true, force: true });
  process.exit(1);
});
