import { spawn } from 'child_process';
import * as path from 'path';
import type { ClientDriver, Codec, CompatMessage, ConsumedMessage } from '../types';

const PYTHON = '/usr/bin/python3';
const STEP_TIMEOUT_MS = 90_000;

interface StepResult {
  ok: boolean;
  error?: string;
  messages?: ConsumedMessage[];
  offsets?: Record<string, [number, number]>;
}

/** Runs one step of a Python driver script: JSON arguments on stdin, one JSON line back. */
function runStep(script: string, step: string, args: object): Promise<StepResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(PYTHON, [script, step], { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${path.basename(script)} ${step} timed out; stderr: ${err.slice(-2000)}`));
    }, STEP_TIMEOUT_MS);
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', () => {
      clearTimeout(timer);
      const line = out.trim().split('\n').pop() ?? '';
      try {
        const res = JSON.parse(line) as StepResult;
        if (!res.ok) reject(new Error(`${step}: ${res.error}; stderr: ${err.slice(-1500)}`));
        else resolve(res);
      } catch {
        reject(new Error(`${step}: no JSON answer (stdout: ${out.slice(-500)}; stderr: ${err.slice(-1500)})`));
      }
    });
    child.stdin.end(JSON.stringify(args));
  });
}

function moduleAvailable(module: string): Promise<string | null> {
  return new Promise((resolve) => {
    const child = spawn(PYTHON, ['-c', `import ${module}`], { stdio: 'ignore' });
    child.on('error', () => resolve(`${PYTHON} not found`));
    child.on('close', (code) => resolve(code === 0 ? null : `python module ${module} is not installed`));
  });
}

class PythonDriver implements ClientDriver {
  readonly hasAdmin = true;
  readonly perMessageHeaders = true;
  readonly setsTimestamps = true;
  readonly codecs: readonly Codec[] = ['none', 'gzip', 'snappy', 'lz4', 'zstd'];

  constructor(
    readonly name: string,
    private readonly script: string,
    private readonly modules: string[],
  ) {}

  async unavailableReason(): Promise<string | null> {
    for (const m of this.modules) {
      const why = await moduleAvailable(m);
      if (why) return why;
    }
    return null;
  }

  async createTopic(bootstrap: string, topic: string, partitions: number): Promise<void> {
    await runStep(this.script, 'create', { bootstrap, topic, partitions });
  }

  async deleteTopic(bootstrap: string, topic: string): Promise<void> {
    await runStep(this.script, 'delete', { bootstrap, topic });
  }

  async produce(bootstrap: string, topic: string, messages: CompatMessage[], codec: Codec): Promise<void> {
    await runStep(this.script, 'produce', { bootstrap, topic, messages, codec });
  }

  async consume(bootstrap: string, topic: string, partitions: number, expected: number): Promise<ConsumedMessage[]> {
    const res = await runStep(this.script, 'consume', { bootstrap, topic, partitions, expected, timeoutS: 40 });
    return res.messages ?? [];
  }

  async listOffsets(bootstrap: string, topic: string, partitions: number): Promise<Map<number, [number, number]>> {
    const res = await runStep(this.script, 'offsets', { bootstrap, topic, partitions });
    const out = new Map<number, [number, number]>();
    for (const [p, range] of Object.entries(res.offsets ?? {})) out.set(Number(p), range);
    return out;
  }
}

export const confluentDriver = new PythonDriver(
  'confluent-kafka',
  path.join(__dirname, 'confluent_driver.py'),
  ['confluent_kafka'],
);

export const kafkaPythonDriver = new PythonDriver(
  'kafka-python',
  path.join(__dirname, 'kafka_python_driver.py'),
  ['kafka', 'snappy', 'lz4.frame', 'zstandard'],
);
