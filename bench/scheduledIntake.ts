/**
 * CPU cost of the scheduler's look at every produced batch (src/scheduled/intake.ts), in-process, for batches that
 * carry headers but none that schedule: what every header-carrying produce pays, scheduling used or not.
 *
 *   npm run bench:scheduled-intake [-- --rounds N] [-- --batches N] [-- --case I]
 *
 * 100 records of 100 B per batch, each with three headers (`brook-tag` one of 8 tags, as tag-view sources carry,
 * `trace-id` 16 B, `content-type`), uncompressed and lz4; plus the same records without the `brook-tag` header.
 * Each case runs `--batches` intakes per round after an uncounted warm-up round; the figure is the median over the
 * rounds of this process's CPU time (process.cpuUsage: user + system) per batch, which a loaded machine disturbs far
 * less than wall clock.
 */
import { buildRecordBatch } from '../protocol/records/batch';
import { Compression } from '../protocol/records/batchHeader';
import type { RecordInput } from '../protocol/records/types';
import { intake } from '../src/scheduled/intake';
import { topicPolicy } from '../src/scheduled/policy';

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(name);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}
const ROUNDS = arg('--rounds', 7);
const BATCHES = arg('--batches', 20_000);
/** Only the case of that index (0-3): for instruction counts under valgrind, which need short runs. */
const ONLY = arg('--case', -1);
const TAGS = ['paid', 'new', 'refunded', 'shipped', 'cancelled', 'returned', 'held', 'billed'];

function records(tagged: boolean, seed: number): RecordInput[] {
  const out: RecordInput[] = [];
  for (let i = 0; i < 100; i++) {
    const headers = [
      { key: 'trace-id', value: Buffer.from(`${seed}-${i}`.padEnd(16, 'x')) },
      { key: 'content-type', value: Buffer.from('application/json') },
    ];
    if (tagged) headers.unshift({ key: 'brook-tag', value: Buffer.from(TAGS[(seed + i) % TAGS.length]!) });
    out.push({ key: Buffer.from(`order-${seed}-${i}`), value: Buffer.alloc(100, 97 + (i % 26)), headers });
  }
  return out;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) >> 1]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
}

const policy = topicPolicy({});
const oneTopic = { topic: () => ({ partitions: 1, configs: {} }) };

function round(batches: Buffer[]): number {
  const start = process.cpuUsage();
  let taken = 0;
  for (let i = 0; i < BATCHES; i++) if (intake('orders', 0, batches[i % batches.length]!, policy, 0, oneTopic).kind !== 'pass') taken++;
  const used = process.cpuUsage(start);
  if (taken !== 0) throw new Error('a batch without scheduling headers was taken by the scheduler');
  return (used.user + used.system) / BATCHES;
}

const cases: Array<[string, Buffer[]]> = [
  ['headers incl. brook-tag, uncompressed', [0, 1, 2, 3].map((s) => buildRecordBatch({ records: records(true, s), baseTimestamp: 0n }))],
  ['headers incl. brook-tag, lz4', [0, 1, 2, 3].map((s) => buildRecordBatch({ records: records(true, s), baseTimestamp: 0n, compression: Compression.Lz4 }))],
  ['headers without brook-, uncompressed', [0, 1, 2, 3].map((s) => buildRecordBatch({ records: records(false, s), baseTimestamp: 0n }))],
  ['headers without brook-, lz4', [0, 1, 2, 3].map((s) => buildRecordBatch({ records: records(false, s), baseTimestamp: 0n, compression: Compression.Lz4 }))],
];

console.log(`scheduled intake: ${BATCHES} batches of 100 records per round, ${ROUNDS} rounds, load ${require('node:os').loadavg().map((l: number) => l.toFixed(2)).join(' ')}`);
for (const [label, batches] of ONLY >= 0 ? [cases[ONLY]!] : cases) {
  round(batches);
  const per: number[] = [];
  for (let r = 0; r < ROUNDS; r++) per.push(round(batches));
  console.log(`${label.padEnd(40)} ${median(per).toFixed(2)} CPU-µs per batch (rounds: ${per.map((p) => p.toFixed(2)).join(', ')})`);
}
