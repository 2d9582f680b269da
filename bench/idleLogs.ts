/**
 * Memory of idle partition logs (issue 17, item 3): heap and RSS per log, with `node --expose-gc`, for N logs
 * created and written once (100 B each), then unloaded (LogManager.unloadIdle, as after the idle period), then
 * after a clean restart (known only from log-summary), opened by one read each, and unloaded again.
 *
 *   node --expose-gc --import tsx bench/idleLogs.ts [N=20000]
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { LogManager } from '../storage/logManager';
import { buildBatch } from '../test/storage/helpers';

const N = Number(process.argv[2] ?? 20000);
const TARGET_BYTES = 2048;

interface Mem {
  heap: number;
  rss: number;
}

function mem(): Mem {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error('run with node --expose-gc');
  gc();
  gc();
  const m = process.memoryUsage();
  return { heap: m.heapUsed, rss: m.rss };
}

function per(a: Mem, b: Mem): string {
  const heap = (a.heap - b.heap) / N;
  return `heap ${heap.toFixed(0)} B (target <= ${TARGET_BYTES} B: ${heap <= TARGET_BYTES ? 'met' : 'NOT met'}), RSS ${((a.rss - b.rss) / N).toFixed(0)} B`;
}

async function main(): Promise<void> {
  const dir = fs.mkdtempSync(path.join(process.env.BENCH_DIR ?? os.tmpdir(), 'brook-bench-idle-'));
  try {
    const m = new LogManager({ dataDir: dir, schedulerIntervalMs: 0, checkpointIntervalMs: 0 });
    await m.open();
    const base = mem();
    const batch = buildBatch([{ value: 'x'.repeat(100) }]);
    for (let from = 0; from < N; from += 500) {
      await Promise.all(Array.from({ length: Math.min(500, N - from) }, async (_, i) => (await m.create('idle', from + i)).append(batch)));
    }
    console.log(`${N} logs created and written once: ${per(mem(), base)}`);
    const unloaded = await m.unloadIdle(Date.now() + 24 * 3600_000);
    console.log(`${unloaded} of them unloaded after the idle period: ${per(mem(), base)}`);
    await m.close();

    const m2 = new LogManager({ dataDir: dir, schedulerIntervalMs: 0, checkpointIntervalMs: 0 });
    const base2 = mem();
    await m2.open();
    console.log(`after a clean restart, not used: ${per(mem(), base2)}`);
    for (let p = 0; p < N; p++) await m2.get('idle', p)!.read(0, 1000);
    console.log(`each opened by one read: ${per(mem(), base2)}`);
    await m2.unloadIdle(Date.now() + 24 * 3600_000);
    console.log(`then unloaded: ${per(mem(), base2)}`);
    await m2.close();
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

void main();
