import { spawn } from 'node:child_process';
import * as path from 'node:path';

/** Runs a driver script under test/txn/drivers with JSON on stdin; resolves with its last JSON line. */
export function runPython<T>(script: string, args: object, step?: string): Promise<T> {
  return new Promise((resolve, reject) => {
    const argv = [path.join(__dirname, '..', 'drivers', script)];
    if (step) argv.push(step);
    const child = spawn('/usr/bin/python3', argv, { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), 90_000);
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', reject);
    child.on('close', () => {
      clearTimeout(timer);
      try {
        resolve(JSON.parse(out.trim().split('\n').pop() ?? '') as T);
      } catch {
        reject(new Error(`${script} ${step ?? ''}: no JSON answer; stdout: ${out.slice(-500)}; stderr: ${err.slice(-1500)}`));
      }
    });
    child.stdin.end(JSON.stringify(args));
  });
}
