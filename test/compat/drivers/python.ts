import { spawn } from 'child_process';
import * as path from 'path';
import type { ClientDriver, Codec, CompatMessage, ConsumedMessage, GroupProtocol, SecureEndpoint } from '../types';
import { currentLibrdkafka, debianLibrdkafka, type LibrdkafkaChoice } from './kcat';
import { LIBRDKAFKA_VERSION } from '../../helpers/librdkafka';

const PYTHON = '/usr/bin/python3';
const STEP_TIMEOUT_MS = 90_000;

interface StepResult {
  ok: boolean;
  error?: string;
  messages?: ConsumedMessage[];
  offsets?: Record<string, [number, number]>;
  values?: string[];
  version?: string;
}

/** Runs one step of a Python driver script: JSON arguments on stdin, one JSON line back. */
function runStep(script: string, step: string, args: object, env: NodeJS.ProcessEnv = process.env): Promise<StepResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(PYTHON, [script, step], { stdio: ['pipe', 'pipe', 'pipe'], env });
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

interface PythonDriverOptions {
  name: string;
  script: string;
  modules: string[];
  /** The librdkafka a confluent-kafka driver loads (Debian's, or 2.15.1 through LD_LIBRARY_PATH). */
  librdkafka?: LibrdkafkaChoice;
  groupProtocols: readonly GroupProtocol[];
  transactions: boolean;
  notApplicable: Record<string, string>;
}

class PythonDriver implements ClientDriver {
  readonly name: string;
  readonly hasAdmin = true;
  readonly perMessageHeaders = true;
  readonly setsTimestamps = true;
  readonly codecs: readonly Codec[] = ['none', 'gzip', 'snappy', 'lz4', 'zstd'];
  readonly groupProtocols: readonly GroupProtocol[];
  readonly notApplicable: Record<string, string>;
  readonly transactionalProduce?: ClientDriver['transactionalProduce'];

  constructor(private readonly o: PythonDriverOptions) {
    this.name = o.name;
    this.groupProtocols = o.groupProtocols;
    this.notApplicable = o.notApplicable;
    if (o.transactions) {
      this.transactionalProduce = async (bootstrap, topic, transactionalId, committed, aborted) => {
        await this.step('txn', { bootstrap, topic, transactionalId, committed, aborted });
      };
    }
  }

  private step(step: string, args: object): Promise<StepResult> {
    return runStep(this.o.script, step, args, this.o.librdkafka ? this.o.librdkafka.env() : process.env);
  }

  async unavailableReason(): Promise<string | null> {
    for (const m of this.o.modules) {
      const why = await moduleAvailable(m);
      if (why) return why;
    }
    return this.o.librdkafka ? this.o.librdkafka.prepare() : null;
  }

  async version(): Promise<string> {
    return (await this.step('version', {})).version ?? '?';
  }

  async createTopic(bootstrap: string, topic: string, partitions: number): Promise<void> {
    await this.step('create', { bootstrap, topic, partitions });
  }

  async deleteTopic(bootstrap: string, topic: string): Promise<void> {
    await this.step('delete', { bootstrap, topic });
  }

  async produce(bootstrap: string, topic: string, messages: CompatMessage[], codec: Codec): Promise<void> {
    await this.step('produce', { bootstrap, topic, messages, codec });
  }

  async consume(bootstrap: string, topic: string, partitions: number, expected: number): Promise<ConsumedMessage[]> {
    const res = await this.step('consume', { bootstrap, topic, partitions, expected, timeoutS: 40 });
    return res.messages ?? [];
  }

  async listOffsets(bootstrap: string, topic: string, partitions: number): Promise<Map<number, [number, number]>> {
    const res = await this.step('offsets', { bootstrap, topic, partitions });
    const out = new Map<number, [number, number]>();
    for (const [p, range] of Object.entries(res.offsets ?? {})) out.set(Number(p), range);
    return out;
  }

  async groupConsume(bootstrap: string, topic: string, group: string, protocol: GroupProtocol, expected: number): Promise<ConsumedMessage[]> {
    return (await this.step('group', { bootstrap, topic, group, protocol, expected })).messages ?? [];
  }

  async secureRoundTrip(e: SecureEndpoint, topic: string, values: string[]): Promise<string[]> {
    return (await this.step('secure', { ...e, topic, values })).values ?? [];
  }
}

const CONFLUENT_SCRIPT = path.join(__dirname, 'confluent_driver.py');

export const confluentDriver = new PythonDriver({
  name: 'confluent-kafka',
  script: CONFLUENT_SCRIPT,
  modules: ['confluent_kafka'],
  librdkafka: debianLibrdkafka,
  groupProtocols: debianLibrdkafka.groupProtocols,
  transactions: true,
  notApplicable: debianLibrdkafka.notApplicable,
});

/** Debian's confluent-kafka (Python) on librdkafka 2.15.1 (same soname, LD_LIBRARY_PATH), for KIP-848. */
export const confluentCurrentDriver = new PythonDriver({
  name: `confluent-kafka + librdkafka ${LIBRDKAFKA_VERSION}`,
  script: CONFLUENT_SCRIPT,
  modules: ['confluent_kafka'],
  librdkafka: currentLibrdkafka,
  groupProtocols: currentLibrdkafka.groupProtocols,
  transactions: true,
  notApplicable: {},
});

export const kafkaPythonDriver = new PythonDriver({
  name: 'kafka-python',
  script: path.join(__dirname, 'kafka_python_driver.py'),
  modules: ['kafka', 'snappy', 'lz4.frame', 'zstandard'],
  groupProtocols: ['classic'],
  transactions: false,
  notApplicable: {
    'group consumer': 'kafka-python 2.0 has no KIP-848 consumer',
    transactions: 'kafka-python 2.0 has no transactional producer',
  },
});
