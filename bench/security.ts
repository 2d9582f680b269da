/**
 * What security costs, measured over loopback against a broker in a child
 * process with four listeners (PLAINTEXT, SASL_PLAINTEXT, SSL, SASL_SSL):
 * logins per second per SASL mechanism and TLS handshakes per second (each a
 * fresh connection, one at a time), and pipelined Produce throughput on every
 * listener once authenticated.
 *
 *   npx tsx bench/security.ts [--logins 300] [--batches 1500] [--batch-kib 64] [--depth 32]
 */
import { spawn } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { createInterface } from 'node:readline';
import { ApiKey } from '../protocol/generated/apis';
import type { ProduceResponse } from '../protocol/generated/messages/ProduceResponse';
import type { SaslAuthenticateResponse } from '../protocol/generated/messages/SaslAuthenticateResponse';
import type { SaslHandshakeResponse } from '../protocol/generated/messages/SaslHandshakeResponse';
import { buildRecordBatch } from '../protocol/records';
import { ScramClient } from '../src/security/scram/client';
import { FileScramStore } from '../src/security/scram/fileStore';
import { credentialFromPassword, SCRAM_MECHANISMS, scramMechanismByName } from '../src/security/scram/credential';
import { makeTestCerts, type TestCerts } from '../test/helpers/certs';
import { RawClient } from '../test/helpers/rawClient';
import { plainJaas } from '../test/helpers/secureBroker';
import { tempDataDir } from '../test/helpers/tempDir';

function flag(name: string, dflt: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
}

const LOGINS = flag('logins', 300);
const BATCHES = flag('batches', 1500);
const BATCH_KIB = flag('batch-kib', 64);
const DEPTH = flag('depth', 32);

type Listener = 'PLAINTEXT' | 'SASL_PLAINTEXT' | 'SSL' | 'SASL_SSL';

async function startChild(dataDir: string, certs: TestCerts): Promise<{ ports: Map<string, number>; stop: () => Promise<void> }> {
  const props = {
    listeners: 'PLAINTEXT://127.0.0.1:0,SASL_PLAINTEXT://127.0.0.1:0,SSL://127.0.0.1:0,SASL_SSL://127.0.0.1:0',
    'ssl.key.location': certs.serverKey,
    'ssl.certificate.location': certs.serverCert,
    'sasl.jaas.config': plainJaas({ bench: 'bench-pw' }),
  };
  const file = path.join(dataDir, 'bench.properties');
  writeFileSync(file, Object.entries(props).map(([k, v]) => `${k}=${v}`).join('\n'));
  const root = path.resolve(__dirname, '..');
  const child = spawn(process.execPath, ['--import', 'tsx', '-e', `require('./src/cli/main').main(['start','--config',${JSON.stringify(file)},'--data-dir',${JSON.stringify(dataDir)}])`], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const ports = new Map<string, number>();
  await new Promise<void>((resolve, reject) => {
    createInterface({ input: child.stdout! }).on('line', (l) => {
      try {
        const j = JSON.parse(l) as { msg: string; port?: number; listener?: string };
        if (j.msg === 'listening' && j.listener) ports.set(j.listener, j.port!);
        if (ports.size === 4) resolve();
      } catch {
        /* not a log line */
      }
    });
    child.on('exit', (code) => reject(new Error(`broker exited with ${code}`)));
  });
  return {
    ports,
    stop: () =>
      new Promise((resolve) => {
        child.on('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

async function login(c: RawClient, mechanism: string): Promise<void> {
  const hs = await c.request<SaslHandshakeResponse>(ApiKey.SaslHandshake, 1, { mechanism });
  if (hs.errorCode !== 0) throw new Error(`handshake ${hs.errorCode}`);
  const step = async (token: Buffer) => {
    const res = await c.request<SaslAuthenticateResponse>(ApiKey.SaslAuthenticate, 2, { authBytes: token });
    if (res.errorCode !== 0) throw new Error(`authenticate: ${res.errorMessage}`);
    return res.authBytes;
  };
  const mech = scramMechanismByName(mechanism);
  if (!mech) {
    await step(Buffer.from('\u0000bench\u0000bench-pw'));
    return;
  }
  const client = new ScramClient(mech, 'bench', 'bench-pw');
  const final = client.final(await step(client.first()));
  if (!client.verifyServerFinal(await step(final))) throw new Error('server signature');
}

async function open(kind: Listener, ports: Map<string, number>, ca: Buffer, mechanism = 'PLAIN'): Promise<RawClient> {
  const port = ports.get(kind)!;
  const c = kind === 'SSL' || kind === 'SASL_SSL' ? await RawClient.connectTls(port, { ca, servername: 'localhost' }) : await RawClient.connect(port);
  if (kind.startsWith('SASL_')) await login(c, mechanism);
  return c;
}

async function loginRate(label: string, connect: () => Promise<RawClient>): Promise<void> {
  const started = process.hrtime.bigint();
  for (let i = 0; i < LOGINS; i++) (await connect()).close();
  const secs = Number(process.hrtime.bigint() - started) / 1e9;
  console.log(`${label.padEnd(44)} ${Math.round(LOGINS / secs)} connections/s (${((secs / LOGINS) * 1000).toFixed(2)} ms each)`);
}

async function produceRate(kind: Listener, c: RawClient, batch: Buffer, report = true): Promise<void> {
  let inflight = 0;
  let sent = 0;
  let done = 0;
  const started = process.hrtime.bigint();
  await new Promise<void>((resolve, reject) => {
    const pump = () => {
      while (inflight < DEPTH && sent < BATCHES) {
        const body = { transactionalId: null, acks: 1, timeoutMs: 30_000, topicData: [{ name: `bench-${kind}`, partitionData: [{ index: 0, records: Buffer.from(batch) }] }] };
        c.send(c.encode(ApiKey.Produce, 9, body, 1000 + ++sent));
        inflight++;
      }
    };
    const readLoop = async () => {
      while (done < BATCHES) {
        const res = c.decode<ProduceResponse>(ApiKey.Produce, 9, await c.nextFrame(30_000));
        if (res.body.responses[0].partitionResponses[0].errorCode !== 0) throw new Error('produce failed');
        done++;
        inflight--;
        pump();
      }
    };
    pump();
    readLoop().then(resolve, reject);
  });
  const secs = Number(process.hrtime.bigint() - started) / 1e9;
  if (report) console.log(`produce on ${kind.padEnd(15)} ${BATCHES} x ${BATCH_KIB} KiB, depth ${DEPTH}: ${((BATCHES * batch.length) / (1 << 20) / secs).toFixed(1)} MiB/s`);
}

async function main(): Promise<void> {
  const dataDir = tempDataDir('brook-bench-sec-');
  const certs = makeTestCerts();
  // Seeded before start, the way an operator would (brook users scram --data-dir).
  const store = await FileScramStore.open(dataDir);
  await store.apply(SCRAM_MECHANISMS.map((m) => ({ user: 'bench', mechanism: m, credential: credentialFromPassword(m, 'bench-pw') })));
  const broker = await startChild(dataDir, certs);
  const ca = readFileSync(certs.caCert);
  try {
    await loginRate('PLAINTEXT connect + ApiVersions', async () => {
      const c = await open('PLAINTEXT', broker.ports, ca);
      await c.request(ApiKey.ApiVersions, 3, { clientSoftwareName: 'b', clientSoftwareVersion: '1' });
      return c;
    });
    for (const mech of ['PLAIN', 'SCRAM-SHA-256', 'SCRAM-SHA-512']) await loginRate(`SASL_PLAINTEXT login ${mech}${mech === 'PLAIN' ? '' : ' (4096 it.)'}`, () => open('SASL_PLAINTEXT', broker.ports, ca, mech));
    await loginRate('SSL handshake + ApiVersions', async () => {
      const c = await open('SSL', broker.ports, ca);
      await c.request(ApiKey.ApiVersions, 3, { clientSoftwareName: 'b', clientSoftwareVersion: '1' });
      return c;
    });
    await loginRate('SASL_SSL handshake + login SCRAM-SHA-256', () => open('SASL_SSL', broker.ports, ca, 'SCRAM-SHA-256'));
    const count = Math.max(1, Math.floor((BATCH_KIB * 1024) / (1024 + 16)));
    const batch = buildRecordBatch({ records: Array.from({ length: count }, (_, i) => ({ key: `k${i}`, value: Buffer.alloc(1024, 'v') })) });
    // Two rounds over the listeners: the first warms up the JIT and creates the topics' segments.
    for (const report of [false, true]) {
      for (const kind of ['PLAINTEXT', 'SASL_PLAINTEXT', 'SSL', 'SASL_SSL'] as const) {
        const c = await open(kind, broker.ports, ca);
        await produceRate(kind, c, batch, report);
        c.close();
      }
    }
  } finally {
    await broker.stop();
    rmSync(dataDir, { recursive: true, force: true });
    certs.remove();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
