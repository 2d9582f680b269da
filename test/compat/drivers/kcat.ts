import { spawn } from 'child_process';
import type { ClientDriver, Codec, CompatMessage, ConsumedMessage, GroupProtocol } from '../types';
import { ensureLibrdkafka, librdkafkaEnv, LIBRDKAFKA_VERSION, type LibrdkafkaBuild } from '../../helpers/librdkafka';

const KCAT = 'kcat';
const RUN_TIMEOUT_MS = 60_000;

function run(args: string[], input?: string, env?: NodeJS.ProcessEnv): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(KCAT, args, { stdio: ['pipe', 'pipe', 'pipe'], env: env ?? process.env });
    let out = '';
    let err = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`kcat ${args.join(' ')} timed out; stderr: ${err.slice(-1500)}`));
    }, RUN_TIMEOUT_MS);
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      if (code === 0) resolve(out);
      else reject(new Error(`kcat ${args.join(' ')} exited ${code}: ${err.slice(-1500)}`));
    });
    // kcat -V and -Q do not read stdin and may exit before the write: that EPIPE is not a failure.
    child.stdin.on('error', () => {});
    child.stdin.end(input ?? '');
  });
}

interface KcatJsonMessage {
  partition: number;
  offset: number;
  ts: number;
  headers?: string[] | null;
  key: string | null;
  payload: string | null;
}

function parseJsonLines(text: string): ConsumedMessage[] {
  const out: ConsumedMessage[] = [];
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    const m = JSON.parse(line) as KcatJsonMessage;
    const flat = m.headers ?? [];
    const headers: Array<[string, string]> = [];
    for (let i = 0; i + 1 < flat.length; i += 2) headers.push([flat[i], flat[i + 1]]);
    out.push({ partition: m.partition, offset: m.offset, key: m.key, value: m.payload, headers, timestamp: m.ts });
  }
  return out;
}

/** Which librdkafka a kcat driver runs on: Debian's, or another one loaded through LD_LIBRARY_PATH. */
export interface LibrdkafkaChoice {
  /** Null when usable, else why not. */
  prepare(): Promise<string | null>;
  env(): NodeJS.ProcessEnv;
  groupProtocols: readonly GroupProtocol[];
  notApplicable: Record<string, string>;
}

/**
 * kcat (librdkafka's command-line client). It has no admin API, so topics are
 * auto-created by the first produce and cannot be deleted from it; and its -H
 * headers apply to every message of one run, so the scenario gives it the same
 * headers for all messages. It has no transactional producer.
 */
export function makeKcatDriver(name: string, lib: LibrdkafkaChoice): ClientDriver {
  const kcat = (args: string[], input?: string) => run(args, input, lib.env());
  return {
    name,
    codecs: ['none', 'gzip', 'snappy', 'lz4', 'zstd'],
    hasAdmin: false,
    perMessageHeaders: false,
    setsTimestamps: false,
    groupProtocols: lib.groupProtocols,
    notApplicable: { ...lib.notApplicable, transactions: 'kcat has no transactional producer' },

    unavailableReason() {
      return new Promise((resolve) => {
        const child = spawn(KCAT, ['-V'], { stdio: 'ignore' });
        child.on('error', () => resolve('kcat is not installed (Debian package kcat)'));
        child.on('close', (code) => (code === 0 ? lib.prepare().then(resolve, (e: Error) => resolve(e.message)) : resolve('kcat -V failed')));
      });
    },

    async version() {
      const text = await kcat(['-V']);
      const m = /Version (\S+) .*librdkafka (\S+)/.exec(text);
      return m ? `${m[1]} (librdkafka ${m[2]})` : text.split('\n')[3] ?? '?';
    },

    async createTopic() {
      throw new Error('kcat has no admin API');
    },

    async deleteTopic() {
      throw new Error('kcat has no admin API');
    },

    async produce(bootstrap: string, topic: string, messages: CompatMessage[], codec: Codec) {
      const byPartition = new Map<number, CompatMessage[]>();
      for (const m of messages) {
        const list = byPartition.get(m.partition) ?? [];
        list.push(m);
        byPartition.set(m.partition, list);
      }
      for (const [partition, list] of byPartition) {
        const headerArgs = list[0].headers.flatMap(([k, v]) => ['-H', `${k}=${v}`]);
        const input = list.map((m) => `${m.key}\t${m.value}`).join('\n') + '\n';
        await kcat(
          ['-P', '-b', bootstrap, '-t', topic, '-p', String(partition), '-K', '\t', '-z', codec,
            '-X', 'acks=all', '-X', 'linger.ms=5', ...headerArgs],
          input,
        );
      }
    },

    async consume(bootstrap: string, topic: string, partitions: number) {
      const out: ConsumedMessage[] = [];
      for (let p = 0; p < partitions; p++) {
        out.push(...parseJsonLines(await kcat(['-C', '-b', bootstrap, '-t', topic, '-p', String(p), '-o', 'beginning', '-e', '-J', '-q'])));
      }
      return out;
    },

    async listOffsets(bootstrap: string, topic: string, partitions: number) {
      const out = new Map<number, [number, number]>();
      for (let p = 0; p < partitions; p++) {
        // -Q asks ListOffsets by timestamp; -2 and -1 are Kafka's earliest and latest.
        const lo = await kcat(['-Q', '-b', bootstrap, '-t', `${topic}:${p}:-2`]);
        const hi = await kcat(['-Q', '-b', bootstrap, '-t', `${topic}:${p}:-1`]);
        out.set(p, [parseKcatOffset(lo), parseKcatOffset(hi)]);
      }
      return out;
    },

    async groupConsume(bootstrap, topic, group, protocol, expected) {
      // -G: the balanced consumer; it commits what it consumed when it closes after -c messages.
      const args = ['-b', bootstrap, '-G', group, '-X', 'auto.offset.reset=earliest', '-c', String(expected), '-J', '-q'];
      if (protocol === 'consumer') args.push('-X', 'group.protocol=consumer');
      return parseJsonLines(await kcat([...args, topic]));
    },

    async secureRoundTrip(e, topic, values) {
      const sec = ['-X', 'security.protocol=SASL_SSL', '-X', `sasl.mechanisms=${e.mechanism}`, '-X', `sasl.username=${e.username}`,
        '-X', `sasl.password=${e.password}`, '-X', `ssl.ca.location=${e.caFile}`];
      await kcat(['-P', '-b', e.bootstrap, ...sec, '-t', topic, '-p', '0'], values.join('\n') + '\n');
      const out = await kcat(['-C', '-b', e.bootstrap, ...sec, '-t', topic, '-p', '0', '-o', 'beginning', '-e', '-q']);
      return out.split('\n').filter((l) => l !== '');
    },
  };
}

export const debianLibrdkafka: LibrdkafkaChoice = {
  prepare: async () => null,
  env: () => process.env,
  groupProtocols: ['classic'],
  notApplicable: { 'group consumer': "Debian's librdkafka 2.0.2 predates KIP-848 (group.protocol=consumer came in 2.4)" },
};

let current: LibrdkafkaBuild | null = null;

/** librdkafka 2.15.1 built from @confluentinc/kafka-javascript's sources (test/helpers/librdkafka.ts). */
export const currentLibrdkafka: LibrdkafkaChoice = {
  async prepare() {
    current = await ensureLibrdkafka();
    return null;
  },
  env: () => librdkafkaEnv(current!),
  groupProtocols: ['classic', 'consumer'],
  notApplicable: {},
};

export const kcatDriver = makeKcatDriver('kcat', debianLibrdkafka);
export const kcatCurrentDriver = makeKcatDriver(`kcat + librdkafka ${LIBRDKAFKA_VERSION}`, currentLibrdkafka);

function parseKcatOffset(text: string): number {
  const m = /offset (-?\d+)/.exec(text);
  if (!m) throw new Error(`cannot read an offset from kcat -Q output: ${text}`);
  return Number(m[1]);
}
