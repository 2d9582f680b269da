/**
 * Record batch micro benchmarks: Produce-path validation throughput on a
 * 1 MiB payload, and full decode of compressed batches per codec.
 * Run: npx tsx bench/records.ts
 */
import { performance } from 'node:perf_hooks';
import { randomBytes } from 'node:crypto';
import { Compression } from '../protocol/records/batchHeader';
import { buildRecordBatch, decodeRecordBatch } from '../protocol/records/batch';
import { compressionName } from '../protocol/records/compression';
import { validateProduceRecords } from '../protocol/records/validate';
import type { RecordInput } from '../protocol/records/types';

const MiB = 1024 * 1024;

function records(count: number, valueSize: number): RecordInput[] {
  const now = BigInt(Date.now());
  // Text-like values so compressors have something realistic to chew on.
  const alphabet = randomBytes(valueSize * 4).toString('base64');
  return Array.from({ length: count }, (_, i) => ({
    key: `key-${i}`,
    value: alphabet.substring(i % valueSize, (i % valueSize) + valueSize),
    timestamp: now + BigInt(i),
    headers: i % 10 === 0 ? [{ key: 'trace', value: 'abc' }] : [],
  }));
}

/** Runs fn repeatedly for about `ms` and returns the mean time per call in ms. */
function time(fn: () => void, ms = 1000): number {
  for (let i = 0; i < 5; i++) fn();
  let n = 0;
  const start = performance.now();
  let elapsed = 0;
  while (elapsed < ms) {
    fn();
    n++;
    elapsed = performance.now() - start;
  }
  return elapsed / n;
}

function mbps(bytes: number, msPerOp: number): string {
  return ((bytes / MiB) / (msPerOp / 1000)).toFixed(0);
}

// 1 MiB produce payload: 16 uncompressed batches of 64 KiB (~640 records of 100 bytes each).
{
  const batches: Buffer[] = [];
  let size = 0;
  while (size < MiB) {
    const b = buildRecordBatch({ records: records(600, 100) });
    batches.push(b);
    size += b.length;
  }
  const payload = Buffer.concat(batches);
  const recordCount = batches.length * 600;
  const per = time(() => {
    const r = validateProduceRecords(payload);
    if (!r.ok) throw new Error(r.message);
  });
  console.log(
    `validate uncompressed ${(payload.length / MiB).toFixed(2)} MiB (${batches.length} batches, ${recordCount} records): ` +
      `${per.toFixed(3)} ms/op, ${mbps(payload.length, per)} MB/s, ${((recordCount / per) * 1000 / 1e6).toFixed(1)} M records/s`,
  );

  const lz4Payload = Buffer.concat(batches.map((_, i) => buildRecordBatch({ records: records(600, 100), compression: Compression.Lz4, baseOffset: BigInt(i) })));
  const perC = time(() => {
    const r = validateProduceRecords(lz4Payload);
    if (!r.ok) throw new Error(r.message);
  });
  console.log(`validate lz4 payload ${(lz4Payload.length / MiB).toFixed(2)} MiB (header + CRC only): ${perC.toFixed(3)} ms/op, ${mbps(lz4Payload.length, perC)} MB/s`);
}

// Full decode (decompress + records) of one ~1 MiB-uncompressed batch per codec.
for (const codec of [Compression.None, Compression.Gzip, Compression.Snappy, Compression.Lz4, Compression.Zstd]) {
  const input = records(8000, 120);
  const batch = buildRecordBatch({ records: input, compression: codec });
  const raw = buildRecordBatch({ records: input }).length;
  const per = time(() => {
    decodeRecordBatch(batch);
  });
  const perBuild = time(() => {
    buildRecordBatch({ records: input, compression: codec });
  }, 500);
  console.log(
    `${compressionName(codec).padEnd(6)} batch ${(batch.length / 1024).toFixed(0)} KiB (raw ${(raw / 1024).toFixed(0)} KiB, 8000 records): ` +
      `decode ${per.toFixed(2)} ms (${mbps(raw, per)} MB/s uncompressed), build ${perBuild.toFixed(2)} ms`,
  );
}
