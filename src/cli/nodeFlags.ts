/**
 * V8 flags the broker runs with, as Kafka's start script sets the JVM's GC options. `bin/brook.js` carries them
 * in its `#!/usr/bin/env -S node …` line (so `brook start` and the container get them), `npm start` passes them,
 * and the benchmarks start brokers with them; test/ops/distStart.test.ts keeps the three in step.
 *
 * --max-semi-space-size=4 (MB; Node 20's default grows to 16): the broker's garbage is short-lived (decoded
 * requests, promises of one produce), so a scavenge copies little either way, but a large young generation
 * makes each pause longer and is still paid by whichever requests arrive during it. With 4 MB the scavenges
 * come ~3x as often and are short: acks=1 at 50k msgs/s, p99 0.49-0.63 ms against 1.05-1.12 ms with the
 * default, same CPU, 18 MB less RSS (bench/README.md).
 *
 * --min-semi-space-size=4: V8 shrinks the young generation to 1 MB when the process is idle and grows it again
 * only when many objects survive, which a broker's short-lived garbage rarely makes happen. After a quiet spell
 * the broker then scavenges every ~10 ms, anything living a few tens of ms (a parked fetch, an acks=all produce)
 * is promoted, and the old generation fills up and is marked and compacted about twice a second: acks=all RF=3 at
 * 5,000 msgs/s after 15 s of idleness on brokers with small heaps had p99 6.6-10.3 ms for the whole run, 2.4-3.8 ms
 * with the floor (once a throughput load has grown the heap the two do not separate; bench/README.md).
 *
 * --interrupt-budget=8192 (V8's default 67584): how much bytecode a function runs before V8 considers optimizing
 * it. With the default, a workload the process has not run yet (the first paced acks=all writes after start,
 * after a throughput run) went through ~2 s of interpreted and baseline code on these cores, with most of its
 * messages over 2 ms; with 8192 the hot paths are optimized within the first second. acks=all RF=3 at 5,000
 * msgs/s in `bench:cluster`: p99 2.3-3.1 ms against 3.3-4.9 ms; acks=1 throughput unchanged (bench/README.md).
 *
 * --no-parallel-scavenge: a scavenge of a 4 MB young generation is little work, and V8's parallel scavenger hands
 * part of it to helper threads that the main thread then waits for; with the clients on the other core those
 * helpers first wait for a CPU. Done on the main thread alone, the pauses were shorter and steadier at the same
 * CPU per message: acks=1 at 50k msgs/s on 2 cores, scavenge pauses p50 0.21-0.26 ms and p99 0.36-0.76 ms against
 * 0.36-0.43 and 0.73-2.83 ms, and 30-40 % less time in scavenges in all; throughput unchanged (bench/README.md).
 *
 * Running `node FLAGS bin/brook.js` yourself overrides them.
 */
export const BROKER_NODE_FLAGS: readonly string[] = ['--max-semi-space-size=4', '--min-semi-space-size=4', '--interrupt-budget=8192', '--no-parallel-scavenge'];
