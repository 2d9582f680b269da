import { spawn, type ChildProcess } from 'node:child_process';
import { rmSync } from 'node:fs';
import * as http from 'node:http';
import { eventually } from './eventually';
import { freePort } from './freePort';
import { tempDataDir } from './tempDir';

export const ETCD_BINARY = '/usr/bin/etcd';

/** A single-member etcd on loopback ports with its data in a temp dir. */
export interface TestEtcd {
  /** http://127.0.0.1:<port>, for `etcd.endpoints`. */
  readonly endpoint: string;
  readonly dataDir: string;
  /** SIGKILL; resolves when the process is gone. */
  kill(): Promise<void>;
  /** Starts again on the same ports and data dir and waits until healthy. */
  restart(): Promise<void>;
  /** Kills and removes the data dir. */
  stop(): Promise<void>;
  /** Sends `signal` to the running etcd (SIGSTOP / SIGCONT: an etcd that stops answering with its connections open). */
  signal(signal: NodeJS.Signals): void;
}

function healthy(clientPort: number): Promise<boolean> {
  return new Promise((resolve) => {
    const req = http.get({ host: '127.0.0.1', port: clientPort, path: '/health', timeout: 1000 }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve(res.statusCode === 200 && /"health":\s*"true"/.test(body)));
    });
    req.on('error', () => resolve(false));
    req.on('timeout', () => req.destroy());
  });
}

async function waitHealthy(proc: ChildProcess, clientPort: number, output: () => string, deadlineMs = 20_000): Promise<void> {
  await eventually(async () => {
    if (proc.exitCode !== null || proc.signalCode !== null) throw new Error(`etcd exited (${proc.exitCode ?? proc.signalCode}): ${output().slice(-2000)}`);
    return healthy(clientPort);
  }, `etcd on port ${clientPort} to be healthy`, { ms: deadlineMs, intervalMs: 50 }).catch((err: Error) => {
    throw new Error(`${err.message}; etcd output: ${output().slice(-2000)}`);
  });
}

function exited(proc: ChildProcess): Promise<void> {
  if (proc.exitCode !== null || proc.signalCode !== null) return Promise.resolve();
  return new Promise((r) => proc.once('exit', () => r()));
}

export async function startEtcd(): Promise<TestEtcd> {
  const dataDir = tempDataDir('brook-etcd-');
  const clientPort = await freePort();
  let peerPort = await freePort();
  while (peerPort === clientPort) peerPort = await freePort();
  const client = `http://127.0.0.1:${clientPort}`;
  const peer = `http://127.0.0.1:${peerPort}`;
  const args = [
    '--name', 'brook-test',
    '--data-dir', `${dataDir}/member`,
    '--listen-client-urls', client,
    '--advertise-client-urls', client,
    '--listen-peer-urls', peer,
    '--initial-advertise-peer-urls', peer,
    '--initial-cluster', `brook-test=${peer}`,
    '--initial-cluster-state', 'new',
    '--log-level', 'warn',
  ];
  let proc: ChildProcess | null = null;
  let output = '';
  const launch = async () => {
    output = '';
    const p = spawn(ETCD_BINARY, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    p.stdout!.on('data', (c: Buffer) => (output = (output + c.toString()).slice(-8000)));
    p.stderr!.on('data', (c: Buffer) => (output = (output + c.toString()).slice(-8000)));
    proc = p;
    await waitHealthy(p, clientPort, () => output);
  };
  const kill = async () => {
    const p = proc;
    if (!p) return;
    proc = null;
    p.kill('SIGKILL');
    await exited(p);
  };
  try {
    await launch();
  } catch (err) {
    await kill();
    rmSync(dataDir, { recursive: true, force: true });
    throw err;
  }
  return {
    endpoint: client,
    dataDir,
    kill,
    async restart() {
      await kill();
      await launch();
    },
    async stop() {
      // a stopped process takes SIGKILL too, but say so explicitly for readers of a hung test
      (proc as ChildProcess | null)?.kill('SIGCONT');
      await kill();
      rmSync(dataDir, { recursive: true, force: true });
    },
    signal(signal: NodeJS.Signals) {
      (proc as ChildProcess | null)?.kill(signal);
    },
  };
}
