import { spawn } from 'child_process';
import type { ClientDriver, Codec, CompatMessage, ConsumedMessage } from '../types';

const KCAT = 'kcat';
const RUN_TIMEOUT_MS = 60_000;

function run(args: string[], input?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(KCAT, args, { stdio: ['pipe', 'pipe', 'pipe'] });
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

/**
 * kcat (librdkafka's command-line client). It has no admin API, so topics are
 * auto-created by the first produce and cannot be deleted from it; and its -H
 * headers apply to every message of one run, so the scenario gives it the same
 * headers for all messages.
 */
export const kcatDriver: ClientDriver = {
  name: 'kcat',
  codecs: ['none', 'gzip', 'snappy', 'lz4', 'zstd'],
  hasAdmin: false,
  perMessageHeaders: false,
  setsTimestamps: false,

  unavailableReason() {
    return new Promise((resolve) => {
      const child = spawn(KCAT, ['-V'], { stdio: 'ignore' });
      child.on('error', () => resolve('kcat is not installed (Debian package kcat)'));
      child.on('close', (code) => resolve(code === 0 ? null : 'kcat -V failed'));
    });
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
      await run(
        ['-P', '-b', bootstrap, '-t', topic, '-p', String(partition), '-K', '\t', '-z', codec,
          '-X', 'acks=all', '-X', 'linger.ms=5', ...headerArgs],
        input,
      );
    }
  },

  async consume(bootstrap: string, topic: string, partitions: number) {
    const out: ConsumedMessage[] = [];
    for (let p = 0; p < partitions; p++) {
      const text = await run(['-C', '-b', bootstrap, '-t', topic, '-p', String(p), '-o', 'beginning', '-e', '-J', '-q']);
      for (const line of text.split('\n')) {
        if (!line.trim()) continue;
        const m = JSON.parse(line) as KcatJsonMessage;
        const flat = m.headers ?? [];
        const headers: Array<[string, string]> = [];
        for (let i = 0; i + 1 < flat.length; i += 2) headers.push([flat[i], flat[i + 1]]);
        out.push({ partition: m.partition, offset: m.offset, key: m.key, value: m.payload, headers, timestamp: m.ts });
      }
    }
    return out;
  },

  async listOffsets(bootstrap: string, topic: string, partitions: number) {
    const out = new Map<number, [number, number]>();
    for (let p = 0; p < partitions; p++) {
      // -Q asks ListOffsets by timestamp; -2 and -1 are Kafka's earliest and latest.
      const lo = await run(['-Q', '-b', bootstrap, '-t', `${topic}:${p}:-2`]);
      const hi = await run(['-Q', '-b', bootstrap, '-t', `${topic}:${p}:-1`]);
      out.set(p, [parseKcatOffset(lo), parseKcatOffset(hi)]);
    }
    return out;
  },
};

function parseKcatOffset(text: string): number {
  const m = /offset (-?\d+)/.exec(text);
  if (!m) throw new Error(`cannot read an offset from kcat -Q output: ${text}`);
  return Number(m[1]);
}
