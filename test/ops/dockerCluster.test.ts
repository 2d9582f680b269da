import { expect } from 'chai';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { startEtcd, type TestEtcd } from '../helpers/etcd';
import { freePort } from '../helpers/freePort';
import { eventually } from '../helpers/eventually';

const REPO = path.resolve(__dirname, '../..');
const COMPOSE = path.join(REPO, 'docker/compose.cluster.yml');
const ENTRYPOINT = path.join(REPO, 'docker/entrypoint.sh');
const HEALTHCHECK = path.join(REPO, 'docker/healthcheck.js');

interface ComposeService {
  image?: string;
  environment?: Record<string, string>;
  depends_on?: Record<string, { condition: string }>;
  volumes?: string[];
}

/** Compose's YAML (anchors and `<<` merges included) as JSON, read by Debian's python3-yaml. */
function loadCompose(): { services: Record<string, ComposeService> } {
  const json = execFileSync('/usr/bin/python3', ['-c', 'import json,sys,yaml; print(json.dumps(yaml.safe_load(open(sys.argv[1]))))', COMPOSE], { encoding: 'utf8' });
  return JSON.parse(json) as { services: Record<string, ComposeService> };
}

function healthcheck(port: number): Promise<number | null> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [HEALTHCHECK], { env: { BROOK_HEALTHCHECK_PORT: String(port), BROOK_HEALTHCHECK_TIMEOUT_MS: '1000' }, stdio: 'ignore' });
    child.on('close', (code) => resolve(code));
  });
}

/**
 * Without a Docker engine the compose file cannot be brought up here, so this runs
 * what it describes: every broker service's environment goes through the image's
 * entrypoint unchanged, except what only the container network provides (host
 * names, fixed ports, the etcd address, the volume), and the three brokers must
 * form one replicated cluster.
 */
describe('docker: compose.cluster.yml, end to end without a Docker engine', function () {
  let dir: string;
  let etcd: TestEtcd | null = null;
  const children: ChildProcess[] = [];
  const logs: string[] = [];

  before(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'brook-compose-'));
  });
  after(async () => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    await etcd?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('describes etcd plus three brokers that all depend on a healthy etcd, each with its own node id, rack and volume', () => {
    const { services } = loadCompose();
    const brokers = Object.keys(services).filter((s) => s.startsWith('brook')).sort();
    expect(brokers).to.deep.equal(['brook1', 'brook2', 'brook3']);
    expect(services.etcd?.image).to.match(/etcd/);
    const ids = new Set<string>();
    const racks = new Set<string>();
    const volumes = new Set<string>();
    for (const name of brokers) {
      const s = services[name]!;
      expect(s.depends_on?.etcd?.condition, name).to.equal('service_healthy');
      expect(s.environment?.BROOK_CFG_METADATA_BACKEND, name).to.equal('etcd');
      ids.add(s.environment!.BROOK_CFG_NODE_ID!);
      racks.add(s.environment!.BROOK_CFG_BROKER_RACK!);
      for (const v of s.volumes ?? []) volumes.add(v.split(':')[0]!);
    }
    expect(ids.size).to.equal(3);
    expect(racks.size).to.equal(3);
    expect(volumes.size).to.equal(3);
  });

  it('starts the three brokers from their compose environment through the entrypoint and replicates across them', async function () {
    this.timeout(120_000);
    const { services } = loadCompose();
    etcd = await startEtcd();
    const fromSource = path.join(dir, 'brook-from-source');
    writeFileSync(fromSource, `#!/bin/sh\ncd ${JSON.stringify(REPO)}\nexec ${JSON.stringify(process.execPath)} --import tsx -e "require('./src/cli/main').main(process.argv.slice(1))" -- "$@"\n`);
    chmodSync(fromSource, 0o755);

    const ports: number[] = [];
    for (const name of ['brook1', 'brook2', 'brook3']) {
      const env = { ...services[name]!.environment! };
      const port = await freePort();
      ports.push(port);
      // What the container network would give: its own address, port and etcd host name.
      Object.assign(env, {
        PATH: process.env.PATH ?? '/usr/bin:/bin',
        BROOK_EXEC: fromSource,
        BROOK_HOST: '127.0.0.1',
        BROOK_PORT: String(port),
        BROOK_ADVERTISED_LISTENERS: `PLAINTEXT://127.0.0.1:${port}`,
        BROOK_DATA_DIR: path.join(dir, name),
        BROOK_METRICS_PORT: String(await freePort()),
        BROOK_CFG_ETCD_ENDPOINTS: etcd.endpoint,
      });
      const child = spawn('sh', [ENTRYPOINT], { env, stdio: ['ignore', 'pipe', 'pipe'] });
      const i = logs.push('') - 1;
      child.stdout!.on('data', (d: Buffer) => (logs[i] += d.toString()));
      child.stderr!.on('data', (d: Buffer) => (logs[i] += d.toString()));
      children.push(child);
    }
    const allLogs = () => logs.map((l, i) => `--- brook${i + 1}\n${l.slice(-3000)}`).join('\n');
    for (const port of ports) {
      await eventually(async () => {
        const code = await healthcheck(port);
        expect(code, allLogs()).to.equal(0);
        return code;
      }, "the broker's healthcheck to pass", 60_000);
    }

    const kafka = new Kafka({ clientId: 'compose-test', brokers: ports.map((p) => `127.0.0.1:${p}`), logLevel: logLevel.NOTHING });
    const admin = kafka.admin();
    await admin.connect();
    try {
      await eventually(async () => {
        const c = await admin.describeCluster();
        expect(c.brokers.map((b) => b.nodeId).sort(), allLogs()).to.deep.equal([1, 2, 3]);
        return c;
      }, 'the three brokers registered', 30_000);
      // No replication factor given: the compose file's default.replication.factor=3 applies.
      await admin.createTopics({ topics: [{ topic: 'orders', numPartitions: 3 }], waitForLeaders: true });
      const md = await eventually(async () => {
        const m = await admin.fetchTopicMetadata({ topics: ['orders'] });
        for (const p of m.topics[0]!.partitions) expect(p.isr.length, JSON.stringify(p)).to.equal(3);
        return m;
      }, 'every partition of orders with three in-sync replicas', 30_000);
      for (const p of md.topics[0]!.partitions) expect([...p.replicas].sort()).to.deep.equal([1, 2, 3]);
      // Leaders spread over the three brokers (one partition each), as the controller assigns them.
      expect(new Set(md.topics[0]!.partitions.map((p) => p.leader)).size).to.equal(3);

      const producer = kafka.producer({ allowAutoTopicCreation: false });
      await producer.connect();
      const messages = Array.from({ length: 30 }, (_, i) => ({ key: `k${i}`, value: `v${i}` }));
      await producer.send({ topic: 'orders', acks: -1, messages });
      await producer.disconnect();

      const consumer = kafka.consumer({ groupId: 'compose-readers' });
      await consumer.connect();
      await consumer.subscribe({ topic: 'orders', fromBeginning: true });
      const seen = new Set<string>();
      const done = new Promise<void>((resolve) => {
        void consumer.run({
          eachMessage: async ({ message }) => {
            seen.add(message.value!.toString());
            if (seen.size === messages.length) resolve();
          },
        });
      });
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        done,
        new Promise((_, reject) => {
          timer = setTimeout(() => reject(new Error(`consumed ${seen.size}/${messages.length}\n${allLogs()}`)), 60_000);
        }),
      ]).finally(() => clearTimeout(timer));
      await consumer.disconnect();
    } finally {
      await admin.disconnect();
    }

    // docker compose down sends SIGTERM (stop_grace_period 30s): every broker must stop cleanly.
    const exits = children.map((c) => new Promise<number | null>((resolve) => c.once('exit', (code) => resolve(code))));
    for (const c of children) c.kill('SIGTERM');
    expect(await Promise.all(exits), allLogs()).to.deep.equal([0, 0, 0]);
  });
});
