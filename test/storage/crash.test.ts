import { expect } from 'chai';
import { spawn } from 'node:child_process';
import * as path from 'node:path';
import * as readline from 'node:readline';
import { BATCH, batchCrcValid } from '../../protocol/records/batchHeader';
import { LogManager } from '../../storage/logManager';
import { crashBatch } from './fixtures/crashBatch';
import { readAll, removeDir, seededRandom, tempDir } from './helpers';

const ROOT = path.resolve(__dirname, '../..');

interface Ack {
  seq: number;
  baseOffset: number;
  partition: number;
}

/** Runs the writer until `killAfter` acks were printed, then SIGKILLs it mid-flight. */
function runAndKill(dataDir: string, firstSeq: number, killAfter: number, extraArgs: string[] = []): Promise<{ acks: Ack[] }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'test/storage/fixtures/crash-writer.ts', dataDir, String(firstSeq), ...extraArgs], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const acks: Ack[] = [];
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const lines = readline.createInterface({ input: child.stdout });
    lines.on('line', (line) => {
      const m = /^ack (\d+) (\d+)(?: (\d+))?$/.exec(line);
      if (!m) return;
      acks.push({ seq: Number(m[1]), baseOffset: Number(m[2]), partition: Number(m[3] ?? 0) });
      if (acks.length === killAfter) child.kill('SIGKILL');
    });
    child.on('exit', (code, signal) => {
      if (signal !== 'SIGKILL') reject(new Error(`writer exited with ${code}: ${stderr}`));
      else resolve({ acks });
    });
  });
}

describe('storage: kill -9 during fsync-mode appends', function () {
  this.timeout(120_000);
  let dir: string;

  beforeEach(() => {
    dir = tempDir('brook-crash-test-');
  });
  afterEach(() => removeDir(dir));

  it('keeps every acknowledged batch intact and the tail clean across seeded kill points', async () => {
    const rnd = seededRandom(20261125);
    const acked = new Map<number, number>(); // seq -> baseOffset
    let nextSeq = 0;
    for (let round = 0; round < 4; round++) {
      const killAfter = 20 + Math.floor(rnd() * 300);
      const { acks } = await runAndKill(dir, nextSeq, killAfter);
      expect(acks.length).to.be.at.least(killAfter);
      for (const a of acks) acked.set(a.seq, a.baseOffset);
      // sequence numbers of the next run start past anything this run may have written
      nextSeq += 100_000;

      const manager = new LogManager({ dataDir: dir, schedulerIntervalMs: 0 });
      await manager.open();
      // after a crash logs are recovered in the background
      await manager.recovered();
      try {
        const log = manager.get('crash', 0)!;
        const batches = await readAll(log);
        // the tail is clean: contiguous offsets from 0 to the log end, every batch CRC-valid
        let expectOffset = 0;
        const bySeqOffset = new Map<number, Buffer>();
        for (const b of batches) {
          expect(b.baseOffset).to.equal(expectOffset);
          expect(batchCrcValid(b.buf)).to.equal(true);
          bySeqOffset.set(b.baseOffset, b.buf);
          expectOffset = b.lastOffset + 1;
        }
        expect(log.logEndOffset).to.equal(expectOffset);
        // every acknowledged batch is there, byte for byte (the base offset is the only field storage writes)
        for (const [seq, baseOffset] of acked) {
          const stored = bySeqOffset.get(baseOffset);
          expect(stored, `acked seq ${seq} at offset ${baseOffset} missing after round ${round}`).to.not.equal(undefined);
          const expected = crashBatch(seq);
          expect(stored!.subarray(BATCH.LOG_OVERHEAD).equals(expected.subarray(BATCH.LOG_OVERHEAD))).to.equal(true);
        }
        expect(log.segmentCount).to.be.greaterThan(1);
      } finally {
        await manager.close();
      }
      // the next writer must also cope with an unclean shutdown, so remove the clean marker the check left
      removeDir(path.join(dir, '.clean-shutdown'));
    }
  });

  it('with more partitions than open segment handles (active segments closed and reopened between appends), still loses nothing acknowledged', async () => {
    const partitions = 12;
    const maxHandles = 4;
    const rnd = seededRandom(20261204);
    const acked = new Map<string, number>(); // `${partition}/${baseOffset}` -> seq
    let nextSeq = 0;
    for (let round = 0; round < 2; round++) {
      const killAfter = 100 + Math.floor(rnd() * 300);
      const { acks } = await runAndKill(dir, nextSeq, killAfter, [String(partitions), String(maxHandles)]);
      expect(acks.length).to.be.at.least(killAfter);
      for (const a of acks) acked.set(`${a.partition}/${a.baseOffset}`, a.seq);
      // the partition of a seq is seq % partitions: the next run starts at a multiple of it
      nextSeq += 120_000;

      const manager = new LogManager({ dataDir: dir, schedulerIntervalMs: 0, maxOpenSegmentHandles: maxHandles });
      await manager.open();
      await manager.recovered();
      try {
        expect(manager.openSegmentHandles, 'recovery opens segments through the pool').to.be.at.most(maxHandles);
        const found = new Map<string, Buffer>();
        for (let p = 0; p < partitions; p++) {
          const log = manager.get('crash', p)!;
          let expectOffset = 0;
          for (const b of await readAll(log)) {
            expect(b.baseOffset).to.equal(expectOffset);
            expect(batchCrcValid(b.buf)).to.equal(true);
            found.set(`${p}/${b.baseOffset}`, b.buf);
            expectOffset = b.lastOffset + 1;
          }
          expect(log.logEndOffset).to.equal(expectOffset);
        }
        expect(manager.openSegmentHandles).to.be.at.most(maxHandles);
        for (const [where, seq] of acked) {
          const stored = found.get(where);
          expect(stored, `acked seq ${seq} at ${where} missing after round ${round}`).to.not.equal(undefined);
          expect(stored!.subarray(BATCH.LOG_OVERHEAD).equals(crashBatch(seq).subarray(BATCH.LOG_OVERHEAD))).to.equal(true);
        }
      } finally {
        await manager.close();
      }
      removeDir(path.join(dir, '.clean-shutdown'));
    }
  });
});
