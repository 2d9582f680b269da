import { expect } from 'chai';
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as net from 'node:net';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { startTestBroker } from '../helpers/broker';
import { eventually } from '../helpers/eventually';
import { freePort } from '../helpers/freePort';

const REPO = path.resolve(__dirname, '../..');
const ENTRYPOINT = path.join(REPO, 'docker/entrypoint.sh');
const HEALTHCHECK = path.join(REPO, 'docker/healthcheck.js');

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function run(cmd: string, args: string[], env: Record<string, string>): Promise<Run> {
  return new Promise((resolve, reject) => {
    // A clean environment: the entrypoint reads BROOK_* variables, so none may leak in from the test runner.
    const child = spawn(cmd, args, { env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: tmpdir(), ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}


describe('docker: entrypoint and healthcheck', function () {
  let dir: string;
  let echoArgs: string;

  before(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'brook-docker-'));
    echoArgs = path.join(dir, 'echo-args');
    writeFileSync(echoArgs, '#!/bin/sh\nfor a in "$@"; do printf \'%s\\n\' "$a"; done\n');
    chmodSync(echoArgs, 0o755);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  describe('entrypoint', () => {
    const args = async (argv: string[], env: Record<string, string> = {}) => {
      const r = await run('sh', [ENTRYPOINT, ...argv], { BROOK_EXEC: echoArgs, ...env });
      expect(r.code, r.stderr).to.equal(0);
      return r.stdout.split('\n').slice(0, -1);
    };

    it('starts a broker for the container by default: all interfaces, the volume, metrics on 9644', async () => {
      expect(await args([])).to.deep.equal(['start', '--host', '0.0.0.0', '--port', '9092', '--data-dir', '/var/lib/brook', '--metrics-port', '9644']);
      expect(await args(['start'])).to.deep.equal(await args([]));
    });

    it('maps the environment to options, with the arguments after start winning', async () => {
      const got = await args(['start', '--set', "note=it's two words"], {
        BROOK_HOST: '127.0.0.1',
        BROOK_PORT: '19092',
        BROOK_DATA_DIR: '/data',
        BROOK_ADVERTISED_LISTENERS: 'PLAINTEXT://broker:19092',
        BROOK_METRICS_PORT: '9999',
        BROOK_CONSOLE: 'true',
        BROOK_CFG_LOG_RETENTION_MS: '60000',
        BROOK_CFG_NUM_PARTITIONS: '3',
      });
      expect(got).to.deep.equal([
        'start', '--host', '127.0.0.1', '--port', '19092', '--data-dir', '/data',
        '--set', 'advertised.listeners=PLAINTEXT://broker:19092',
        '--metrics-port', '9999', '--console',
        '--set', 'log.retention.ms=60000', '--set', 'num.partitions=3',
        '--set', "note=it's two words",
      ]);
    });

    // Kafka images' convention, so property names with '_' (listener.name.sasl_ssl.*) or '-' can be set too
    it('maps BROOK_CFG_ names as the Kafka images do: _ is a dot, __ an underscore, ___ a dash', async () => {
      const got = await args([], {
        BROOK_CFG_LISTENER_NAME_SASL__SSL_PLAIN_SASL_JAAS_CONFIG: 'org.apache.kafka.common.security.plain.PlainLoginModule required user_alice="a";',
        BROOK_CFG_LISTENER_SECURITY_PROTOCOL_MAP: 'SASL__SSL:SASL_SSL',
        BROOK_CFG_BROOK_SOME___DASHED_NAME: 'x',
      });
      expect(got.slice(-6)).to.deep.equal([
        '--set', 'brook.some-dashed.name=x',
        '--set', 'listener.name.sasl_ssl.plain.sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required user_alice="a";',
        '--set', 'listener.security.protocol.map=SASL__SSL:SASL_SSL',
      ]);
    });

    it('turns metrics off with an empty BROOK_METRICS_PORT, and refuses the console without them', async () => {
      expect(await args([], { BROOK_METRICS_PORT: '' })).to.not.include('--metrics-port');
      const r = await run('sh', [ENTRYPOINT], { BROOK_EXEC: echoArgs, BROOK_METRICS_PORT: '', BROOK_CONSOLE: 'true' });
      expect(r.code).to.equal(2);
      expect(r.stderr).to.include('BROOK_CONSOLE=true needs BROOK_METRICS_PORT');
    });

    it('passes CLI commands through untouched', async () => {
      expect(await args(['topics', 'list', '-b', 'broker:9092'], { BROOK_PORT: '1' })).to.deep.equal(['topics', 'list', '-b', 'broker:9092']);
    });
  });

  describe('healthcheck', () => {
    it('is healthy when a broker answers ApiVersions', async () => {
      const broker = await startTestBroker({ config: { 'offsets.topic.num.partitions': '1' } });
      try {
        const r = await run(process.execPath, [HEALTHCHECK], { BROOK_PORT: String(broker.port) });
        expect(r.code, r.stderr).to.equal(0);
        expect(r.stdout).to.match(/^healthy: 127\.0\.0\.1:\d+ serves \d+ APIs/);
      } finally {
        await broker.destroy();
      }
    });

    it('is unhealthy when nothing listens', async () => {
      const port = await freePort();
      const r = await run(process.execPath, [HEALTHCHECK], { BROOK_HEALTHCHECK_PORT: String(port) });
      expect(r.code).to.equal(1);
      expect(r.stderr).to.include(`unhealthy: 127.0.0.1:${port}`);
    });

    it('is unhealthy when the port is open but nothing answers', async () => {
      const held = new Set<net.Socket>();
      const silent = net.createServer((sock) => held.add(sock));
      await new Promise<void>((r) => silent.listen(0, '127.0.0.1', () => r()));
      try {
        const port = (silent.address() as net.AddressInfo).port;
        const r = await run(process.execPath, [HEALTHCHECK], { BROOK_HEALTHCHECK_PORT: String(port), BROOK_HEALTHCHECK_TIMEOUT_MS: '300' });
        expect(r.code).to.equal(1);
        expect(r.stderr).to.include('no answer');
      } finally {
        for (const sock of held) sock.destroy();
        await new Promise<void>((r) => silent.close(() => r()));
      }
    });
  });

  describe('container start-up, end to end without a Docker engine', () => {
    let child: ChildProcess | null = null;
    after(() => {
      if (child && child.exitCode === null) child.kill('SIGKILL');
    });

    it('runs the broker from the environment until the healthcheck passes, then stops cleanly on SIGTERM', async () => {
      const fromSource = path.join(dir, 'brook-from-source');
      writeFileSync(fromSource, `#!/bin/sh\ncd ${JSON.stringify(REPO)}\nexec ${JSON.stringify(process.execPath)} --import tsx -e "require('./src/cli/main').main(process.argv.slice(1))" -- "$@"\n`);
      chmodSync(fromSource, 0o755);
      const [port, metricsPort] = [await freePort(), await freePort()];
      const dataDir = path.join(dir, 'data');
      child = spawn('sh', [ENTRYPOINT], {
        env: {
          PATH: process.env.PATH ?? '/usr/bin:/bin',
          BROOK_EXEC: fromSource,
          BROOK_HOST: '127.0.0.1',
          BROOK_PORT: String(port),
          BROOK_DATA_DIR: dataDir,
          BROOK_METRICS_PORT: String(metricsPort),
          BROOK_CFG_OFFSETS_TOPIC_NUM_PARTITIONS: '1',
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let log = '';
      child.stdout!.on('data', (d: Buffer) => (log += d.toString()));
      child.stderr!.on('data', (d: Buffer) => (log += d.toString()));
      const exited = new Promise<number | null>((resolve) => child!.once('exit', (code) => resolve(code)));

      await eventually(async () => {
        const r = await run(process.execPath, [HEALTHCHECK], { BROOK_PORT: String(port) });
        expect(r.code, `${r.stderr}\nbroker log:\n${log}`).to.equal(0);
        return r;
      }, 'the healthcheck to pass', 30_000);
      const metrics = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
      expect(metrics).to.include('brook_requests_total{api="ApiVersions"}');
      expect(existsSync(dataDir)).to.equal(true);

      child.kill('SIGTERM');
      expect(await exited, log).to.equal(0);
      expect(log).to.include('shutdown complete');
      const after = await run(process.execPath, [HEALTHCHECK], { BROOK_PORT: String(port), BROOK_HEALTHCHECK_TIMEOUT_MS: '500' });
      expect(after.code).to.equal(1);
    });
  });

  describe('Dockerfile', () => {
    const dockerfile = readFileSync(path.join(REPO, 'docker/Dockerfile'), 'utf8');
    const runtime = dockerfile.slice(dockerfile.lastIndexOf('\nFROM '));

    it('runs as a non-root user with a data volume, both ports exposed and a protocol-level healthcheck', () => {
      expect(runtime).to.match(/^USER node$/m);
      expect(runtime).to.match(/^VOLUME \["\/var\/lib\/brook"\]$/m);
      expect(runtime).to.match(/^EXPOSE 9092 9644$/m);
      expect(runtime).to.match(/^HEALTHCHECK .*CMD \["node", "\/opt\/brook\/docker\/healthcheck\.js"\]$/m);
      expect(runtime).to.match(/^ENTRYPOINT \["\/opt\/brook\/docker\/entrypoint\.sh"\]$/m);
    });

    // What the build stage's npm commands run: the lifecycle scripts of `npm ci` / `npm install` (unless
    // --ignore-scripts) and every `npm run X`, with the `npm run` calls inside them followed.
    const build = dockerfile.slice(0, dockerfile.lastIndexOf('\nFROM '));
    const pkg = JSON.parse(readFileSync(path.join(REPO, 'package.json'), 'utf8')) as { scripts: Record<string, string>; allowScripts?: Record<string, boolean> };
    const runLines = [...build.matchAll(/^RUN ((?:.*\\\n)*.*)$/gm)].map((m) => m[1]!.replace(/\\\n/g, ' '));
    const npmCommands = runLines.flatMap((l) => l.split(/&&|;/).map((c) => c.trim())).filter((c) => c.startsWith('npm '));
    const installs = npmCommands.filter((c) => /^npm (ci|install|i)\b/.test(c));
    const lifecycle = installs.some((c) => !c.includes('--ignore-scripts')) ? ['preinstall', 'install', 'postinstall', 'prepare'] : [];
    const scriptsRun = (): string[] => {
      const seen = new Set<string>();
      const visit = (name: string) => {
        if (seen.has(name) || pkg.scripts[name] === undefined) return;
        seen.add(name);
        for (const m of pkg.scripts[name]!.matchAll(/npm run (\S+)/g)) visit(m[1]!);
      };
      for (const name of lifecycle) visit(name);
      for (const c of npmCommands) for (const m of c.matchAll(/npm run (\S+)/g)) visit(m[1]!);
      return [...seen];
    };
    const copiedToBuild = [...build.matchAll(/^COPY (?!--from)(.+) \S+$/gm)].flatMap((m) => m[1]!.split(/\s+/));

    it('copies into the build stage every repository file the scripts it runs use (postinstall included)', () => {
      const run = scriptsRun();
      expect(run, 'the build stage must compile dist/ (npm run build or the prepare script)').to.include('build');
      for (const name of run) {
        // arguments naming a file or folder of the repository: node scripts/x.js, tsc -p tsconfig.json, ...
        for (const arg of pkg.scripts[name]!.split(/\s+/).filter((a) => /^[\w.@-][\w./@-]*$/.test(a) && !a.startsWith('-'))) {
          if (!existsSync(path.join(REPO, arg)) || ['node', 'tsc', 'npm', 'run', 'tsx', 'mocha'].includes(arg)) continue;
          const covered = copiedToBuild.some((src) => arg === src || arg.startsWith(`${src.replace(/\/$/, '')}/`));
          expect(covered, `package.json script "${name}" uses ${arg}, which docker/Dockerfile's build stage does not copy`).to.equal(true);
        }
      }
    });

    it('with install scripts off, rebuilds each runtime dependency whose install script package.json allows', () => {
      if (installs.every((c) => !c.includes('--ignore-scripts'))) return;
      const lock = JSON.parse(readFileSync(path.join(REPO, 'package-lock.json'), 'utf8')) as { packages: Record<string, { dev?: boolean; hasInstallScript?: boolean }> };
      const rebuilt = npmCommands.filter((c) => c.startsWith('npm rebuild ')).flatMap((c) => c.split(/\s+/).slice(2));
      const needed = Object.entries(pkg.allowScripts ?? {}).filter(([name, allowed]) => {
        const entry = lock.packages[`node_modules/${name}`];
        return allowed && entry?.hasInstallScript === true && entry.dev !== true;
      });
      expect(needed.map(([name]) => name)).to.include('zstd-napi');
      for (const [name] of needed) expect(rebuilt, `${name} needs its install script in the image`).to.include(name);
    });

    it('copies only files that exist, and installs nothing at run time', () => {
      for (const m of dockerfile.matchAll(/^COPY (?!--from)(.+) \S+$/gm)) {
        for (const src of m[1]!.split(/\s+/)) expect(existsSync(path.join(REPO, src)), src).to.equal(true);
      }
      expect(runtime).not.to.match(/npm (ci|install)|apt-get|curl|wget/);
    });
  });
});
