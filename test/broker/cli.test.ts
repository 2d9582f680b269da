import { expect } from 'chai';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { createInterface } from 'node:readline';
import { ApiKey } from '../../protocol/generated/apis';
import type { MetadataResponse } from '../../protocol/generated/messages/MetadataResponse';
import { batchOf, fetchRaw, fetchRequest, produceRaw, recordsOf } from '../helpers/dataPath';
import { eventually } from '../helpers/eventually';
import { RawClient } from '../helpers/rawClient';
import { tempDataDir } from '../helpers/tempDir';

const ROOT = path.resolve(__dirname, '..', '..');

interface LogLine {
  msg: string;
  [k: string]: unknown;
}

/** Runs `brook <args>` from the TypeScript sources in a child process, collecting its JSON log lines. */
function runCli(args: string[]) {
  const child = spawn(process.execPath, ['--import', 'tsx', '-e', `require('./src/cli/main').main(${JSON.stringify(args)}).catch((e) => { console.error(e); process.exit(1); })`], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: LogLine[] = [];
  let stderr = '';
  child.stderr!.on('data', (d) => (stderr += d));
  createInterface({ input: child.stdout! }).on('line', (l) => {
    try {
      lines.push(JSON.parse(l) as LogLine);
    } catch {
      lines.push({ msg: l });
    }
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  /** The first log line with this message, once brook has printed it. */
  function logLine(msg: string, timeoutMs = 20_000): Promise<LogLine> {
    return eventually(() => {
      const found = lines.find((l) => l.msg === msg);
      if (!found && child.exitCode !== null) throw new Error(`brook exited (${child.exitCode}) before "${msg}": ${stderr}`);
      return found;
    }, `a "${msg}" log line`, timeoutMs).catch((err: Error) => {
      throw new Error(`${err.message}; stderr: ${stderr}`);
    });
  }
  return { child: child as ChildProcess, lines, logLine, exited, stderr: () => stderr };
}

describe('brook CLI', function () {
  this.timeout(60_000);

  it('prints usage for --help', async () => {
    const run = runCli(['--help']);
    expect(await run.exited).to.equal(0);
    expect(run.lines.map((l) => l.msg).join('\n')).to.match(/Usage: brook start/);
  });

  it('starts from a config file, logs the bound port, serves clients, and shuts down cleanly on SIGTERM', async () => {
    const dataDir = tempDataDir();
    const props = path.join(dataDir, 'server.properties');
    writeFileSync(props, 'num.partitions=3\nnode.id=9\nlog.segment.bytes=1048576\n');
    const run = runCli(['start', '--port', '0', '--data-dir', path.join(dataDir, 'data'), '--config', props, '--set', 'auto.create.topics.enable=true']);
    try {
      const listening = await run.logLine('listening');
      expect(listening.host).to.equal('127.0.0.1');
      const port = listening.port as number;
      expect(port).to.be.greaterThan(0);

      const c = await RawClient.connect(port);
      const md = await c.request<MetadataResponse>(ApiKey.Metadata, 12, { topics: [{ name: 'cli-topic', topicId: Buffer.alloc(16) }], allowAutoTopicCreation: true });
      expect(md.brokers.map((b) => b.nodeId)).to.deep.equal([9]);
      expect(md.topics[0].partitions).to.have.length(3);
      await run.logLine('topic created');
      expect((await produceRaw(c, 'cli-topic', 2, batchOf([{ value: 'from-cli-test' }]))).errorCode).to.equal(0);
      c.close();

      run.child.kill('SIGTERM');
      expect(await run.exited).to.equal(0);
      const msgs = run.lines.map((l) => l.msg);
      expect(msgs).to.include.members(['signal received', 'shutting down', 'shutdown complete']);

      // The data survived: a second run serves it back.
      const again = runCli(['start', '--port', '0', '--data-dir', path.join(dataDir, 'data')]);
      try {
        const l2 = await again.logLine('listening');
        const c2 = await RawClient.connect(l2.port as number);
        const res = await fetchRaw(c2, fetchRequest([{ topic: 'cli-topic', partition: 2, offset: 0 }]));
        expect(recordsOf(res.responses[0].partitions[0].records).map((r) => r.value)).to.deep.equal(['from-cli-test']);
        c2.close();
      } finally {
        again.child.kill('SIGTERM');
        expect(await again.exited).to.equal(0);
      }
      // A clean shutdown leaves storage's clean marker so the next start skips recovery scans.
      expect(again.lines.some((l) => l.msg === 'log manager opened' && l.cleanShutdown === true)).to.equal(true);
    } finally {
      if (run.child.exitCode === null) run.child.kill('SIGKILL');
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  for (const file of ['brook-metadata.json', 'scram-credentials.json']) {
    it(`refuses to start with a damaged ${file}: one log line naming the file and what to do, the file left as it was`, async () => {
      const dataDir = tempDataDir();
      try {
        mkdirSync(dataDir, { recursive: true });
        const damaged = '{"clusterId": "abc", "topics": [ {"name": "orders", "id"';
        writeFileSync(path.join(dataDir, file), damaged);
        const run = runCli(['start', '--host', '127.0.0.1', '--port', '0', '--data-dir', dataDir]);
        expect(await run.exited).to.equal(1);
        const line = run.lines.find((l) => l.msg === 'broker failed to start');
        expect(line, `a "broker failed to start" line; stderr: ${run.stderr()}`).to.not.equal(undefined);
        expect(line!.err).to.be.a('string').and.include(path.join(dataDir, file)).and.include('restore it from a backup');
        expect(line!.stack, 'no stack for a damaged file').to.equal(undefined);
        expect(run.stderr()).to.not.match(/SyntaxError/);
        expect(readFileSync(path.join(dataDir, file), 'utf8')).to.equal(damaged);
      } finally {
        rmSync(dataDir, { recursive: true, force: true });
      }
    });
  }

  it('exits with an error for unknown options', async () => {
    const run = runCli(['start', '--nope']);
    expect(await run.exited).to.equal(2);
    expect(run.stderr()).to.match(/unknown option --nope/);
  });
});
