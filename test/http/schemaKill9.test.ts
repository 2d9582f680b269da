import { expect } from 'chai';
import { spawn, type ChildProcess } from 'node:child_process';
import { rmSync } from 'node:fs';
import * as path from 'node:path';
import { createInterface } from 'node:readline';
import { tempDataDir } from '../helpers/tempDir';

const ROOT = path.resolve(__dirname, '..', '..');

/** `brook start` with the HTTP side in a child process; resolves with its HTTP port from the "http listening" log line. */
async function startChild(dataDir: string): Promise<{ child: ChildProcess; http: number; exited: Promise<void> }> {
  const args = ['start', '--port', '0', '--data-dir', dataDir, '--metrics-port', '0', '--metrics-host', '127.0.0.1'];
  const child = spawn(process.execPath, ['--import', 'tsx', '-e', `require('./src/cli/main').main(${JSON.stringify(args)}).catch((e) => { console.error(e); process.exit(1); })`], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (d) => (stderr += d));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const http = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no http listening line: ${stderr}`)), 60_000);
    child.once('exit', (code) => reject(new Error(`child exited ${code}: ${stderr}`)));
    createInterface({ input: child.stdout! }).on('line', (l) => {
      try {
        const m = JSON.parse(l) as { msg?: string; port?: number };
        if (m.msg === 'http listening' && typeof m.port === 'number') {
          clearTimeout(timer);
          resolve(m.port);
        }
      } catch {
        // not a log line
      }
    });
  });
  return { child, http, exited };
}

const post = (port: number, p: string, body: unknown) =>
  fetch(`http://127.0.0.1:${port}${p}`, { method: 'POST', headers: { 'content-type': 'application/vnd.schemaregistry.v1+json' }, body: JSON.stringify(body) }).then(async (r) => ({ status: r.status, json: (await r.json()) as any }));

describe('schema registry after kill -9', function () {
  this.timeout(120_000);
  const dataDir = tempDataDir('brook-sr-kill9-');
  after(() => rmSync(dataDir, { recursive: true, force: true }));

  it('keeps every schema whose registration was acknowledged, with its id and version', async () => {
    const first = await startChild(dataDir);
    const acked: Array<{ subject: string; id: number; version: number; schema: string }> = [];
    try {
      for (let i = 0; i < 20; i++) {
        const schema = JSON.stringify({ type: 'record', name: `K${i}`, fields: [{ name: 'f', type: 'string' }] });
        const subject = `kill-${i % 4}-value`;
        // NONE so every record type can follow another under one subject.
        if (i < 4) await fetch(`http://127.0.0.1:${first.http}/config/${subject}`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: '{"compatibility":"NONE"}' });
        const r = await post(first.http, `/subjects/${subject}/versions`, { schema });
        expect(r.status).to.equal(200);
        acked.push({ subject, id: r.json.id, version: r.json.version, schema });
      }
    } finally {
      first.child.kill('SIGKILL');
      await first.exited;
    }
    const second = await startChild(dataDir);
    try {
      for (const a of acked) {
        const r = await fetch(`http://127.0.0.1:${second.http}/subjects/${a.subject}/versions/${a.version}`).then((x) => x.json() as Promise<any>);
        expect(r).to.include({ id: a.id, version: a.version });
        expect(JSON.parse(r.schema).name).to.equal(JSON.parse(a.schema).name);
      }
      // Ids keep growing after the crash: nothing acknowledged is handed out again.
      const next = await post(second.http, '/subjects/after-crash-value/versions', { schema: '"bytes"' });
      expect(next.json.id).to.be.greaterThan(Math.max(...acked.map((a) => a.id)));
    } finally {
      second.child.kill('SIGTERM');
      await second.exited;
    }
  });
});
