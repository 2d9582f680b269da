import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { Kafka, logLevel, type SASLOptions } from 'kafkajs';
import type { ConnectionOptions } from 'node:tls';
import { runPython } from '../../helpers/python';

/** Security settings of one client, mapped onto each library's names. */
export interface ClientSecurity {
  protocol: 'PLAINTEXT' | 'SSL' | 'SASL_PLAINTEXT' | 'SASL_SSL';
  sasl?: { mechanism: 'PLAIN' | 'SCRAM-SHA-256' | 'SCRAM-SHA-512'; username: string; password: string };
  /** PEM file paths. */
  tls?: { caFile: string; certFile?: string; keyFile?: string };
}

export function kafkajsClient(bootstrap: string, sec: ClientSecurity): Kafka {
  const ssl: ConnectionOptions | undefined = sec.tls
    ? {
        ca: [readPem(sec.tls.caFile)],
        cert: sec.tls.certFile ? readPem(sec.tls.certFile) : undefined,
        key: sec.tls.keyFile ? readPem(sec.tls.keyFile) : undefined,
        servername: 'localhost',
      }
    : undefined;
  const sasl = sec.sasl
    ? ({ mechanism: sec.sasl.mechanism.toLowerCase(), username: sec.sasl.username, password: sec.sasl.password } as SASLOptions)
    : undefined;
  return new Kafka({ clientId: 'secure-test', brokers: [bootstrap], logLevel: logLevel.NOTHING, ssl, sasl, retry: { retries: 1, initialRetryTime: 100 } });
}

function readPem(file: string): string {
  return readFileSync(file, 'utf8');
}

/** Produces `count` messages to partition 0 of `topic` and reads them back from the beginning with kafkajs. */
export async function kafkajsRoundTrip(bootstrap: string, sec: ClientSecurity, topic: string, count: number): Promise<string[]> {
  const kafka = kafkajsClient(bootstrap, sec);
  const producer = kafka.producer({ allowAutoTopicCreation: true });
  await producer.connect();
  try {
    await producer.send({ topic, acks: -1, messages: Array.from({ length: count }, (_, i) => ({ value: `m${i}`, partition: 0 })) });
  } finally {
    await producer.disconnect();
  }
  const consumer = kafka.consumer({ groupId: `secure-${topic}` });
  await consumer.connect();
  const values: string[] = [];
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`kafkajs read ${values.length}/${count} messages`)), 30_000);
      consumer
        .run({
          eachMessage: async ({ message }) => {
            values.push(message.value!.toString());
            if (values.length >= count) {
              clearTimeout(timer);
              resolve();
            }
          },
        })
        .catch(reject);
    });
  } finally {
    await consumer.disconnect();
  }
  return values;
}

/** librdkafka property names shared by confluent-kafka and kcat. */
export function librdkafkaConf(bootstrap: string, sec: ClientSecurity): Record<string, string> {
  const conf: Record<string, string> = { 'bootstrap.servers': bootstrap, 'security.protocol': sec.protocol };
  if (sec.sasl) Object.assign(conf, { 'sasl.mechanisms': sec.sasl.mechanism, 'sasl.username': sec.sasl.username, 'sasl.password': sec.sasl.password });
  if (sec.tls) {
    conf['ssl.ca.location'] = sec.tls.caFile;
    if (sec.tls.certFile) conf['ssl.certificate.location'] = sec.tls.certFile;
    if (sec.tls.keyFile) conf['ssl.key.location'] = sec.tls.keyFile;
  }
  return conf;
}

export interface ConfluentResult {
  ok: boolean;
  stage?: string;
  values?: string[];
  errors: string[];
}

/** The same round trip with confluent-kafka in a child process. */
export async function confluentRoundTrip(bootstrap: string, sec: ClientSecurity, topic: string, count: number): Promise<ConfluentResult> {
  const script = path.join(__dirname, 'confluent_secure.py');
  const { code, out, err } = await runPython([script, JSON.stringify({ conf: librdkafkaConf(bootstrap, sec), topic, count })]);
  if (code !== 0) throw new Error(`confluent driver exited ${code}: ${err}`);
  return JSON.parse(out.trim().split('\n').pop()!) as ConfluentResult;
}

/** Runs kcat with the security settings as -X options; resolves with stdout, rejects with stderr on a non-zero exit. */
export function kcat(bootstrap: string, sec: ClientSecurity, args: string[], input?: string): Promise<string> {
  const conf = librdkafkaConf(bootstrap, sec);
  delete conf['bootstrap.servers'];
  const x = Object.entries(conf).flatMap(([k, v]) => ['-X', `${k}=${v}`]);
  return new Promise((resolve, reject) => {
    const child = execFile('kcat', ['-b', bootstrap, ...x, ...args], { timeout: 30_000 }, (error, stdout, stderr) => {
      if (error) reject(new Error(`kcat failed (${error.message}): ${stderr}`));
      else resolve(stdout);
    });
    if (input !== undefined) child.stdin!.end(input);
    else child.stdin!.end();
  });
}

/** Produces lines with kcat and reads them back; returns the values read. */
export async function kcatRoundTrip(bootstrap: string, sec: ClientSecurity, topic: string, count: number): Promise<string[]> {
  const lines = Array.from({ length: count }, (_, i) => `m${i}`).join('\n') + '\n';
  await kcat(bootstrap, sec, ['-P', '-t', topic, '-p', '0'], lines);
  const out = await kcat(bootstrap, sec, ['-C', '-t', topic, '-p', '0', '-o', 'beginning', '-e', '-q']);
  return out.split('\n').filter((l) => l !== '');
}
