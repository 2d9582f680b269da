import { PassThrough } from 'node:stream';
import { runAdmin } from '../../src/cli/admin';

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs one `brook` admin command in-process with the given stdin text. */
export async function brook(argv: string[], stdin = '', opts: { tty?: boolean } = {}): Promise<CliResult> {
  const out = new PassThrough();
  const err = new PassThrough();
  let stdout = '';
  let stderr = '';
  out.on('data', (d: Buffer) => (stdout += d.toString()));
  err.on('data', (d: Buffer) => (stderr += d.toString()));
  const input = new PassThrough();
  input.end(stdin);
  const code = await runAdmin(argv, { stdin: input, stdout: out, stderr: err, env: {}, stderrIsTTY: opts.tty === true });
  return { code, stdout, stderr };
}

export function jsonLines(text: string): Array<Record<string, unknown>> {
  return text
    .split('\n')
    .filter((l) => l.length > 0)
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

export interface LiveCli {
  stdin: PassThrough;
  /** What was written to stdout so far. */
  stdout(): string;
  /** Acts like the user pressing Ctrl-C once. */
  interrupt(): void;
  done: Promise<CliResult>;
}

/** Starts a command that keeps running (consume, produce from an open stdin) and lets the test interrupt it. */
export function brookLive(argv: string[]): LiveCli {
  const out = new PassThrough();
  const err = new PassThrough();
  let stdout = '';
  let stderr = '';
  out.on('data', (d: Buffer) => (stdout += d.toString()));
  err.on('data', (d: Buffer) => (stderr += d.toString()));
  const input = new PassThrough();
  const handlers = new Set<() => void>();
  const done = runAdmin(argv, {
    stdin: input,
    stdout: out,
    stderr: err,
    env: {},
    stderrIsTTY: false,
    onInterrupt(stop) {
      handlers.add(stop);
      return () => handlers.delete(stop);
    },
  }).then((code) => ({ code, stdout, stderr }));
  return {
    stdin: input,
    stdout: () => stdout,
    interrupt: () => {
      for (const h of [...handlers]) h();
    },
    done,
  };
}
