import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { createInterface } from 'node:readline';
import { promisify } from 'node:util';
import { ensureLibrdkafka, librdkafkaCacheRoot } from '../../helpers/librdkafka';

const SOURCE = path.join(__dirname, '..', 'shareclient.c');

let built: Promise<string> | null = null;

/** test/share/shareclient.c compiled against the cached librdkafka 2.15.1, keyed by a hash of its source. */
export function ensureShareClient(): Promise<string> {
  built ??= (async () => {
    const lib = await ensureLibrdkafka();
    const src = fs.readFileSync(SOURCE);
    const hash = createHash('sha256').update(src).update(lib.prefix).digest('hex').slice(0, 16);
    const out = path.join(librdkafkaCacheRoot(), `shareclient-${hash}`);
    if (!fs.existsSync(out)) {
      const tmp = `${out}.${process.pid}.tmp`;
      await promisify(execFile)('gcc', ['-O2', '-Wall', '-I', lib.includeDir, '-o', tmp, SOURCE, '-L', lib.libDir, `-Wl,-rpath,${lib.libDir}`, '-lrdkafka']);
      fs.renameSync(tmp, out);
    }
    return out;
  })().catch((e) => {
    built = null;
    throw e;
  });
  return built;
}

/** Produces `count` records of `size` bytes to partition 0 of `topic` with the same librdkafka (acks=all). */
export async function produceWithLibrdkafka(bootstrap: string, topic: string, count: number, size: number): Promise<void> {
  const bin = await ensureShareClient();
  await promisify(execFile)(bin, [bootstrap, String(count), topic, 'produce', String(size)], { maxBuffer: 1 << 20 });
}

export interface ShareMessage {
  partition: number;
  offset: number;
  deliveryCount: number;
  /** When the consumer got it (its monotonic clock, ms). */
  receivedMs: number;
  value: string;
}

export interface ShareAck {
  partition: number;
  offset: number;
  type: number;
  value: string;
}

export interface RunningShareClient {
  child: ChildProcess;
  messages: ShareMessage[];
  acks: ShareAck[];
  stderr: string[];
  /** Every stdout line (COUNT, REL, RED lines of the bench modes). */
  lines: string[];
  /** SIGTERM: the consumer closes (sends pending acknowledgements, leaves the group). */
  stop(): Promise<void>;
  kill(): Promise<void>;
}

/** Runs the share consumer; its output lines are parsed as they come. */
export async function runShareClient(bootstrap: string, group: string, topic: string, mode: 'consume' | 'hold' | 'bench' | 'latency', conf: Record<string, string> = {}): Promise<RunningShareClient> {
  const bin = await ensureShareClient();
  const args = [bootstrap, group, topic, mode, ...Object.entries(conf).map(([k, v]) => `${k}=${v}`)];
  const child = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const messages: ShareMessage[] = [];
  const acks: ShareAck[] = [];
  const stderr: string[] = [];
  const lines: string[] = [];
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  createInterface({ input: child.stdout! }).on('line', (l) => {
    lines.push(l);
    const [kind, p, o, n, ...rest] = l.split(' ');
    if (kind === 'MSG') messages.push({ partition: Number(p), offset: Number(o), deliveryCount: Number(n), receivedMs: Number(rest[0]), value: rest.slice(1).join(' ') });
    else if (kind === 'ACK') acks.push({ partition: Number(p), offset: Number(o), type: Number(n), value: rest.join(' ') });
  });
  createInterface({ input: child.stderr! }).on('line', (l) => stderr.push(l));
  const signal = async (sig: NodeJS.Signals) => {
    if (child.exitCode === null && child.signalCode === null) child.kill(sig);
    await exited;
  };
  return { child, messages, acks, stderr, lines, stop: () => signal('SIGTERM'), kill: () => signal('SIGKILL') };
}
