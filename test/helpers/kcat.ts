import { spawn } from 'node:child_process';

/** Runs kcat with `args`, `input` on its stdin (the records of -P), and resolves when it exits 0. */
export function kcatWithInput(args: string[], input = ''): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('kcat', args, { stdio: ['pipe', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`kcat exited ${code}: ${err}`))));
    child.stdin.end(input);
  });
}
