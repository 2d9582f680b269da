import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { startTestBroker, type TestBroker } from '../helpers/broker';

/** kcat (librdkafka) must run in a child process: the in-process broker needs this event loop to answer it. */
async function kcat(args: string[], input?: string): Promise<string> {
  const child = execFile('kcat', args, { timeout: 20_000 });
  if (input !== undefined) child.stdin!.end(input);
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  if (code !== 0) throw new Error(`kcat ${args.join(' ')} exited with ${code}`);
  return out;
}

describe('kcat (librdkafka) against the broker', function () {
  let broker: TestBroker;
  before(async () => {
    broker = await startTestBroker({ config: { 'num.partitions': '2', 'node.id': '4' } });
  });
  after(async () => {
    if (broker) await broker.destroy();
  });

  it('lists metadata (-L)', async () => {
    await broker.services.metadata.createTopic('kcat-listed', { partitions: 2 });
    const out = await kcat(['-b', broker.bootstrap, '-L']);
    expect(out).to.match(new RegExp(`broker 4 at 127\\.0\\.0\\.1:${broker.port} \\(controller\\)`));
    expect(out).to.match(/topic "kcat-listed" with 2 partitions/);
  });

  it('produces with keys (auto-creating the topic) and consumes from the beginning', async () => {
    const lines = Array.from({ length: 50 }, (_, i) => `key${i}:value${i}`).join('\n') + '\n';
    await kcat(['-b', broker.bootstrap, '-P', '-t', 'kcat-data', '-p', '1', '-K:', '-z', 'lz4'], lines);
    const out = await kcat(['-b', broker.bootstrap, '-C', '-t', 'kcat-data', '-p', '1', '-o', 'beginning', '-e', '-f', '%o %k %s\n']);
    expect(out.trim().split('\n')).to.deep.equal(Array.from({ length: 50 }, (_, i) => `${i} key${i} value${i}`));
  });

  it('accepts LZ4 from a client in Kafka 0.9 mode (magic 0 frames carry the pre-0.10 header checksum, KAFKA-3160)', async () => {
    const value = 'a'.repeat(200);
    const old = ['-X', 'api.version.request=false', '-X', 'broker.version.fallback=0.9.0'];
    await kcat(['-b', broker.bootstrap, '-P', '-t', 'kcat-lz4-v0', '-p', '0', '-K:', '-z', 'lz4', ...old], `k1:${value}\nk2:${value}\n`);
    const out = await kcat(['-b', broker.bootstrap, '-C', '-t', 'kcat-lz4-v0', '-p', '0', '-o', 'beginning', '-e', '-f', '%o %k %S\n']);
    expect(out.trim().split('\n')).to.deep.equal(['0 k1 200', '1 k2 200']);
  });
});
