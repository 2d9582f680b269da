/**
 * Throughput of the generated codecs on the two hot paths.
 *
 *   npm run bench:protocol
 *
 * Decodes a 1 MiB Produce request (4 partitions, each one 256 KiB record batch
 * blob) and encodes a 1 MiB Fetch response (4 partitions, each records as 4
 * linked 64 KiB Buffers). Records travel as slices, so the cost is per field,
 * not per byte; MB/s is request bytes over wall time.
 */
import { Reader } from '../protocol/codec/reader';
import { Writer } from '../protocol/codec/writer';
import { decodeProduceRequest, encodeProduceRequest } from '../protocol/generated/messages/ProduceRequest';
import { encodeFetchResponse, type FetchResponseInput } from '../protocol/generated/messages/FetchResponse';

const MiB = 1024 * 1024;
const PARTITIONS = 4;

function measure(name: string, bytesPerOp: number, op: () => void): void {
  // Warm up so the JIT has compiled the codecs before timing.
  for (let i = 0; i < 2000; i++) op();
  let ops = 0;
  const start = process.hrtime.bigint();
  let elapsed = 0n;
  while (elapsed < 1_000_000_000n) {
    for (let i = 0; i < 1000; i++) op();
    ops += 1000;
    elapsed = process.hrtime.bigint() - start;
  }
  const seconds = Number(elapsed) / 1e9;
  const mbPerSec = (bytesPerOp * ops) / seconds / 1e6;
  const usPerOp = (seconds / ops) * 1e6;
  console.log(
    `${name.padEnd(40)} ${mbPerSec.toFixed(0).padStart(10)} MB/s  ${usPerOp.toFixed(2).padStart(7)} µs/op  (${ops} ops of ${(bytesPerOp / MiB).toFixed(2)} MiB)`,
  );
}

function produceRequest(version: number): Buffer {
  const blob = Buffer.alloc(MiB, 0x5a);
  const w = new Writer();
  encodeProduceRequest(w, version, {
    transactionalId: null,
    acks: -1,
    timeoutMs: 30_000,
    topicData: [
      {
        name: 'bench-topic',
        partitionData: Array.from({ length: PARTITIONS }, (_, i) => ({
          index: i,
          records: blob.subarray((i * MiB) / PARTITIONS, ((i + 1) * MiB) / PARTITIONS),
        })),
      },
    ],
  });
  return w.toBuffer();
}

function fetchResponse(): FetchResponseInput {
  const segment = Buffer.alloc(MiB, 0x33);
  const chunk = MiB / PARTITIONS / 4;
  return {
    throttleTimeMs: 0,
    errorCode: 0,
    sessionId: 0,
    responses: [
      {
        topic: 'bench-topic',
        topicId: Buffer.alloc(16, 1),
        partitions: Array.from({ length: PARTITIONS }, (_, p) => ({
          partitionIndex: p,
          errorCode: 0,
          highWatermark: 1_000_000n,
          lastStableOffset: 1_000_000n,
          logStartOffset: 0n,
          records: Array.from({ length: 4 }, (_, c) => {
            const from = p * (MiB / PARTITIONS) + c * chunk;
            return segment.subarray(from, from + chunk);
          }),
        })),
      },
    ],
  };
}

for (const version of [7, 9, 11]) {
  const bytes = produceRequest(version);
  let sink = 0;
  measure(`decode Produce v${version} (${PARTITIONS} partitions)`, bytes.length, () => {
    const req = decodeProduceRequest(new Reader(bytes), version);
    sink += req.topicData[0].partitionData.length;
  });
  if (sink === 0) throw new Error('decoder did nothing');
}

const response = fetchResponse();
for (const version of [11, 12, 16]) {
  const probe = new Writer();
  encodeFetchResponse(probe, version, response);
  const size = probe.length;
  let sink = 0;
  measure(`encode Fetch v${version} (${PARTITIONS}×4 linked chunks)`, size, () => {
    const w = new Writer(512);
    encodeFetchResponse(w, version, response);
    sink += w.chunksOut().length;
  });
  if (sink === 0) throw new Error('encoder did nothing');
}
