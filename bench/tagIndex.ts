/**
 * Cost of the tag index (issue 15 item 2) on the append path of a view's source: 100 B records with a `brook-tag`
 * header (one of 8 tags), 100 per batch, appended to a PartitionLog with `tagIndex` off and on, uncompressed and
 * lz4 (the index decompresses a compressed batch once), after one uncounted warm-up run, by wall clock and by this
 * process's CPU time. Run: npm run bench:tagindex [-- --quick]
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { buildRecordBatch } from '../protocol/records/batch';
import { Compression } from '../protocol/records/batchHeader';
import { LogManager } from '../storage/logManager';

const quick = process.argv.includes('--quick');
const ROUNDS = quick ? 2 : 3;
const RECORDS = quick ? 500_000 : 2_000_000;
const TAGS = ['paid', 'new', 'refunded', 'shipped', 'cancelled', 'returned', 'held', 'billed'];

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) >> 1]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
}
const fmt = (n: number): string => Math.round(n).toLocaleString('en-US');
const cost = (off: number, on: number): string => `${(((off - on) / off) * 100).toFixed(1)} %`;

async function run(rows: Array<[string, string]>, compression: Compression, label: string): Promise<void> {
  const value = Buffer.alloc(100, 0x61);
  const batches: Buffer[] = [];
  for (let b = 0; b < 1000; b++) {
    batches.push(buildRecordBatch({ compression, records: Array.from({ length: 100 }, (_, i) => ({ value, headers: [{ key: 'brook-tag', value: Buffer.from(TAGS[(b * 7 + i) % TAGS.length]!) }] })) }));
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'brook-bench-tags-'));
  const manager = new LogManager({ dataDir: dir, schedulerIntervalMs: 0 });
  await manager.open();
  const wall: Record<'off' | 'on', number[]> = { off: [], on: [] };
  const cpu: Record<'off' | 'on', number[]> = { off: [], on: [] };
  try {
    for (let r = -1; r < ROUNDS * 2; r++) {
      const tagIndex = r % 2 !== 0;
      const log = await manager.create(`t-${label}-${r + 1}`, 0, { tagIndex, segmentBytes: 256 * 1024 * 1024 });
      const start = process.hrtime.bigint();
      const used0 = process.cpuUsage();
      const pending: Array<Promise<unknown>> = [];
      for (let n = 0; n < RECORDS / 100; n++) {
        pending.push(log.append(batches[n % batches.length]!));
        if (pending.length >= 64) await pending.shift();
      }
      await Promise.all(pending);
      const secs = Number(process.hrtime.bigint() - start) / 1e9;
      const used = process.cpuUsage(used0);
      if (r < 0) continue;
      wall[tagIndex ? 'on' : 'off'].push(RECORDS / secs);
      cpu[tagIndex ? 'on' : 'off'].push(RECORDS / ((used.user + used.system) / 1e6));
    }
  } finally {
    await manager.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
  rows.push([`${label}: append, tag index off`, `median ${fmt(median(wall.off))} records/s  [${wall.off.map(fmt).join(', ')}]`]);
  rows.push([`${label}: append, tag index on`, `median ${fmt(median(wall.on))} records/s  [${wall.on.map(fmt).join(', ')}]`]);
  rows.push([`${label}:   cost (wall clock)`, cost(median(wall.off), median(wall.on))]);
  rows.push([`${label}: per CPU second, off -> on`, `${fmt(median(cpu.off))} -> ${fmt(median(cpu.on))} records/CPU-s`]);
  rows.push([`${label}:   cost (CPU time, less sensitive to other load)`, cost(median(cpu.off), median(cpu.on))]);
}

async function main(): Promise<void> {
  const rows: Array<[string, string]> = [];
  const loadBefore = os.loadavg().map((l) => l.toFixed(2)).join(' ');
  await run(rows, Compression.None, 'uncompressed');
  await run(rows, Compression.Lz4, 'lz4');
  console.log(`\nBrook tag index bench (${new Date().toISOString()}, ${os.cpus().length} cores, ${RECORDS.toLocaleString('en-US')} x 100 B tagged records, batches of 100):`);
  console.log(`  load average before ${loadBefore}, after ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  for (const [k, v] of rows) console.log(`  ${k.padEnd(60)} ${v}`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
