/** The librdkafka load tool (bench/rdkafka/perf.c) and a Brook child process, shared by the produce-cost benches. */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { createInterface } from 'node:readline';

const ROOT = path.join(__dirname, '..');
export const PERF = path.join(ROOT, 'bench', 'out', 'perf');

/** Builds bench/out/perf when missing or older than its source (needs gcc and librdkafka-dev). */
export function buildPerf(): void {
  const src = path.join(ROOT, 'bench', 'rdkafka', 'perf.c');
  if (fs.existsSync(PERF) && fs.statSync(PERF).mtimeMs > fs.statSync(src).mtimeMs) return;
  fs.mkdirSync(path.dirname(PERF), { recursive: true });
  execFileSync('gcc', ['-O2', '-o', PERF, src, '-lrdkafka'], { stdio: 'inherit' });
}

/** `brook start` from src/ on a free port; resolves at its "listening" log line. */
export function startBrook(dataDir: string): Promise<{ child: ChildProcess; port: number }> {
  const args = ['start', '--port', '0', '--data-dir', dataDir];
  const child = spawn(process.execPath, ['--import', 'tsx', '-e', `require('./src/cli/main').main(${JSON.stringify(args)})`], { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    createInterface({ input: child.stdout! }).on('line', (l) => {
      try {
        const m = JSON.parse(l) as { msg?: string; port?: number };
        if (m.port && /listening/i.test(m.msg ?? '')) resolve({ child, port: m.port });
      } catch {
        // not a log line
      }
    });
    child.on('exit', (code) => reject(new Error(`brook exited with ${code} before listening`)));
  });
}

/** `messages` 100 B records with acks=1 through perf; `env` picks keyed (PERF_KEYED) or tagged (PERF_TAGGED) ones. */
export function perfMsgsPerSec(bootstrap: string, topic: string, messages: number, env: Record<string, string>): number {
  const out = execFileSync(PERF, ['produce', bootstrap, topic, String(messages), '100', '1', '0'], { encoding: 'utf8', env: { ...process.env, ...env } });
  return (JSON.parse(out.trim().split('\n').pop()!) as { msgsPerSec: number }).msgsPerSec;
}
