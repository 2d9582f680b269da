import { spawn, type ChildProcess } from 'node:child_process';
import * as path from 'node:path';
import { createInterface } from 'node:readline';

const ROOT = path.resolve(__dirname, '..', '..', '..');

export interface ChildBroker {
  child: ChildProcess;
  port: number;
  /** Every JSON log line the child printed so far. */
  logs: Array<Record<string, unknown>>;
  /** SIGKILL: no shutdown code runs, like a crash. */
  kill9(): Promise<void>;
  stop(): Promise<void>;
}

/** Runs `brook start` in a child process and waits for its "listening" log line; `extraArgs` go to `brook start`. */
export async function startChildBroker(dataDir: string, props: Record<string, string> = {}, timeoutMs = 90_000, extraArgs: string[] = []): Promise<ChildBroker> {
  const args = ['start', '--port', '0', '--data-dir', dataDir, ...extraArgs];
  for (const [k, v] of Object.entries(props)) args.push('--set', `${k}=${v}`);
  const child = spawn(process.execPath, ['--import', 'tsx', '-e', `require('./src/cli/main').main(${JSON.stringify(args)}).catch((e) => { console.error(e); process.exit(1); })`], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  const logs: Array<Record<string, unknown>> = [];
  child.stderr!.on('data', (d) => (stderr += d));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`child broker not listening after ${timeoutMs} ms: ${stderr}`)), timeoutMs);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`child broker exited (${code}): ${stderr}`));
    });
    createInterface({ input: child.stdout! }).on('line', (l) => {
      try {
        const msg = JSON.parse(l) as { msg?: string; port?: number };
        logs.push(msg);
        if (msg.msg === 'listening' && typeof msg.port === 'number') {
          clearTimeout(timer);
          resolve(msg.port);
        }
      } catch {
        // not a log line
      }
    });
  });
  return {
    child,
    port,
    logs,
    async kill9() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}
