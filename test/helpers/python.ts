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
