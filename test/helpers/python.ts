import { spawn } from 'node:child_process';

/** Debian's interpreter, where python3-confluent-kafka and python3-kafka are installed (not another python on PATH). */
export const PYTHON = '/usr/bin/python3';

/** Runs /usr/bin/python3 with `args` and collects its exit code and output. */
export function runPython(args: string[]): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(PYTHON, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, out, err }));
  });
}

/**
 * Runs a driver script that reads one JSON command on stdin and prints its JSON answer as its last line, and
 * parses that answer; `what` names the step in the error when there is none.
 */
export function pythonJsonStep<T>(script: string, command: unknown, what: string, env: NodeJS.ProcessEnv = process.env): Promise<T> {
  return new Promise((resolve, reject) => {
    const child = spawn(PYTHON, [script], { stdio: ['pipe', 'pipe', 'pipe'], env });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', reject);
    child.on('close', () => {
      try {
        resolve(JSON.parse(out.trim().split('\n').pop()!) as T);
      } catch {
        reject(new Error(`${what} failed: ${out} ${err.slice(-1500)}`));
      }
    });
    child.stdin.end(JSON.stringify(command));
  });
}
