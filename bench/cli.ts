/**
 * Throughput of `brook produce` and `brook consume` (kafkajs underneath)
 * against an in-process broker: 100,000 lines of ~100 bytes.
 *
 *   npx tsx bench/cli.ts
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { PassThrough } from 'node:stream';
import { runAdmin } from '../src/cli/admin';
import { startBroker } from '../src/broker';
import { createLogger } from '../src/log';

async function run(argv: string[], input = ''): Promise<{ code: number; lines: number }> {
  const out = new PassThrough();
  let lines = 0;
  out.on('data', (d: Buffer) => {
    for (const b of d) if (b === 10) lines++;
  });
  const err = new PassThrough();
  err.resume();
  const stdin = new PassThrough();
  stdin.end(input);
  const code = await runAdmin(argv, { stdin, stdout: out, stderr: err, env: {}, stderrIsTTY: false });
  return { code, lines };
}

async function main(): Promise<void> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'brook-bench-cli-'));
  const broker = await startBroker({ host: '127.0.0.1', port: 0, dataDir, logger: createLogger('silent') });
  const b = ['-b', `127.0.0.1:${broker.port}`];
  try {
    const N = 100_000;
    await run(['topics', 'create', '-t', 'bench', '-p', '1', ...b]);
    const input = Array.from({ length: N }, (_, i) => `key-${i}:value-${i}-${'x'.repeat(80)}`).join('\n') + '\n';
    let t0 = performance.now();
    const p = await run(['produce', '-t', 'bench', '--key-separator', ':', ...b], input);
    const produceMs = performance.now() - t0;
    t0 = performance.now();
    const c = await run(['consume', '-t', 'bench', '--from-beginning', '--max-messages', String(N), ...b]);
    const consumeMs = performance.now() - t0;
    if (p.code !== 0 || c.code !== 0 || c.lines !== N) throw new Error(`bench run failed: produce ${p.code}, consume ${c.code}, ${c.lines} lines`);
    console.log(`brook produce: ${N} lines in ${produceMs.toFixed(0)} ms = ${Math.round(N / (produceMs / 1000))} msg/s`);
    console.log(`brook consume: ${N} lines in ${consumeMs.toFixed(0)} ms = ${Math.round(N / (consumeMs / 1000))} msg/s`);
  } finally {
    await broker.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

void main();
