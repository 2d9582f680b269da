/**
 * V8 flags the broker runs with, as Kafka's start script sets the JVM's GC options. `bin/brook.js` carries them
 * in its `#!/usr/bin/env -S node …` line (so `brook start` and the container get them), `npm start` passes them,
 * and the benchmarks start brokers with them; test/ops/distStart.test.ts keeps the three in step.
 *
 * --max-semi-space-size=4 (MB; Node 20's default grows to 16): the broker's garbage is short-lived (decoded
 * requests, promises of one produce), so a scavenge copies little either way, but a large young generation
 * makes each pause longer and is still paid by whichever requests arrive during it. With 4 MB the scavenges
 * come ~3x as often and are short: acks=1 at 50k msgs/s, p99 0.49-0.63 ms against 1.05-1.12 ms with the
 * default, same CPU, 18 MB less RSS (bench/README.md). Running `node --max-semi-space-size=N bin/brook.js`
 * yourself overrides it.
 */
export const BROKER_NODE_FLAGS: readonly string[] = ['--max-semi-space-size=4'];
