import { execFile, spawn } from 'child_process';
import { createHash } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { librdkafkaCacheRoot } from '../../helpers/librdkafka';
import type { ClientDriver, Codec, CompatMessage, ConsumedMessage, GroupProtocol, SecureEndpoint } from '../types';

/**
 * Go clients from Debian's packaged sources, built in GOPATH mode (no module download) into a cache outside
 * the repository, keyed by a hash of the driver source, the Debian package version and the Go version.
 */
const GOPATH = '/usr/share/gocode';
const STEP_TIMEOUT_MS = 90_000;

function exec(cmd: string, args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { ...opts, timeout: 10 * 60_000, maxBuffer: 16 << 20 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${cmd} ${args.join(' ')}: ${err.message} ${stderr}`));
      else resolve(stdout);
    });
  });
}

const builds = new Map<string, Promise<string>>();

/** The compiled driver binary, built on first use. */
function buildDriver(name: string, debianPackage: string): Promise<string> {
  let p = builds.get(name);
  if (!p) {
    p = (async () => {
      const dir = path.join(__dirname, 'go', name);
      const source = fs.readFileSync(path.join(dir, 'main.go'));
      const goVersion = (await exec('go', ['version'])).trim();
      const pkgVersion = (await exec('dpkg-query', ['-W', '-f', '${Version}', debianPackage])).trim();
      const hash = createHash('sha256').update(source).update(goVersion).update(pkgVersion).digest('hex').slice(0, 16);
      const out = path.join(librdkafkaCacheRoot(), 'go', `${name}-${hash}`);
      if (fs.existsSync(out)) return out;
      fs.mkdirSync(path.dirname(out), { recursive: true });
      const tmp = `${out}.tmp-${process.pid}`;
      const env = { ...process.env, GO111MODULE: 'off', GOPATH, GOFLAGS: '' };
      await exec('go', ['build', '-ldflags', `-X main.version=${pkgVersion.replace(/-\d+(\.\d+)?$/, '')}`, '-o', tmp, 'main.go'], { cwd: dir, env });
      fs.renameSync(tmp, out); // atomic: a parallel build of the same source just replaces it with the same binary
      return out;
    })();
    p.catch(() => builds.delete(name));
    builds.set(name, p);
  }
  return p;
}

interface StepResult {
  ok: boolean;
  error?: string;
  messages?: Array<ConsumedMessage & { timestamp: number | null }>;
  offsets?: Record<string, [number, number]>;
  values?: string[];
  version?: string;
}

function runStep(binary: string, step: string, args: object): Promise<StepResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(binary, [step], { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${path.basename(binary)} ${step} timed out; stderr: ${err.slice(-2000)}`));
    }, STEP_TIMEOUT_MS);
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', () => {
      clearTimeout(timer);
      try {
        const res = JSON.parse(out.trim().split('\n').pop() ?? '') as StepResult;
        if (!res.ok) reject(new Error(`${step}: ${res.error}; stderr: ${err.slice(-1500)}`));
        else resolve(res);
      } catch {
        reject(new Error(`${step}: no JSON answer (stdout: ${out.slice(-500)}; stderr: ${err.slice(-1500)})`));
      }
    });
    child.stdin.end(JSON.stringify(args));
  });
}

interface GoDriverOptions {
  name: string;
  dir: string;
  debianPackage: string;
  codecs: Codec[];
  groupProtocols: GroupProtocol[];
  secure: boolean;
  notApplicable: Record<string, string>;
}

class GoDriver implements ClientDriver {
  readonly name: string;
  readonly codecs: readonly Codec[];
  readonly hasAdmin = true;
  readonly perMessageHeaders: boolean;
  readonly setsTimestamps = true;
  readonly groupProtocols: readonly GroupProtocol[];
  readonly notApplicable: Record<string, string>;
  readonly secureRoundTrip?: ClientDriver['secureRoundTrip'];
  private binary = '';

  constructor(private readonly o: GoDriverOptions) {
    this.name = o.name;
    this.codecs = o.codecs;
    this.groupProtocols = o.groupProtocols;
    this.notApplicable = o.notApplicable;
    this.perMessageHeaders = o.notApplicable.headers === undefined;
    if (o.secure) {
      this.secureRoundTrip = async (e: SecureEndpoint, topic: string, values: string[]) => (await this.step('secure', { ...e, topic, values })).values ?? [];
    }
  }

  private step(step: string, args: object): Promise<StepResult> {
    return runStep(this.binary, step, args);
  }

  async unavailableReason(): Promise<string | null> {
    if (!fs.existsSync(path.join(GOPATH, 'src'))) return `no Go sources in ${GOPATH} (Debian packages golang-go and ${this.o.debianPackage})`;
    try {
      this.binary = await buildDriver(this.o.dir, this.o.debianPackage);
      return null;
    } catch (e) {
      return `building the ${this.o.dir} driver failed (Debian packages golang-go and ${this.o.debianPackage}): ${(e as Error).message.slice(0, 300)}`;
    }
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
    await this.step('produce', { bootstrap, topic, codec, messages });
  }

  async consume(bootstrap: string, topic: string, partitions: number, expected: number): Promise<ConsumedMessage[]> {
    return ((await this.step('consume', { bootstrap, topic, partitions, expected })).messages ?? []) as ConsumedMessage[];
  }

  async listOffsets(bootstrap: string, topic: string, partitions: number): Promise<Map<number, [number, number]>> {
    const res = await this.step('offsets', { bootstrap, topic, partitions });
    return new Map(Object.entries(res.offsets ?? {}).map(([p, r]) => [Number(p), r]));
  }

  async groupConsume(bootstrap: string, topic: string, group: string, _protocol: GroupProtocol, expected: number): Promise<ConsumedMessage[]> {
    return ((await this.step('group', { bootstrap, topic, group, expected })).messages ?? []) as ConsumedMessage[];
  }
}

export const saramaDriver = new GoDriver({
  name: 'Sarama (Go)',
  dir: 'sarama',
  debianPackage: 'golang-github-shopify-sarama-dev',
  codecs: ['none', 'gzip', 'snappy', 'lz4', 'zstd'],
  groupProtocols: ['classic'],
  secure: true,
  notApplicable: {
    'group consumer': 'Sarama has no KIP-848 consumer',
    transactions: "Debian's Sarama 1.22 predates Sarama's transactional producer (1.37)",
  },
});

export const kafkaGoDriver = new GoDriver({
  name: 'kafka-go (Go)',
  dir: 'kafkago',
  debianPackage: 'golang-github-segmentio-kafka-go-dev',
  codecs: ['none', 'gzip', 'snappy', 'lz4'],
  groupProtocols: ['classic'],
  secure: false,
  notApplicable: {
    headers: "Debian's kafka-go 0.2.1 writes message format v1, which has no headers",
    'codec zstd': "Debian's kafka-go 0.2.1 has no zstd codec (added in 0.3)",
    'group consumer': 'kafka-go has no KIP-848 consumer',
    transactions: 'kafka-go has no transactional producer',
    SASL_SSL: "Debian's kafka-go 0.2.1 has no SASL (added in 0.3); TLS alone it has",
  },
});
