import { expect } from 'chai';
import { spawn } from 'node:child_process';
import * as path from 'node:path';
import { Kafka, logLevel, type Consumer } from 'kafkajs';
import { startTestBroker, type TestBroker } from '../helpers/broker';
import { COMMANDS } from '../../src/cli/admin';
import { brook, brookLive, jsonLines } from './cliHarness';
import { eventually } from '../helpers/eventually';
import { ensureLibrdkafka, librdkafkaEnv } from '../helpers/librdkafka';
import { freePort as deadPort } from '../helpers/freePort';

const REPO = path.resolve(__dirname, '../..');


describe('brook admin CLI against a running Brook', function () {
  let broker: TestBroker;
  let b: string[];

  before(async () => {
    broker = await startTestBroker({ config: { 'group.initial.rebalance.delay.ms': '0', 'offsets.topic.num.partitions': '4' } });
    b = ['--bootstrap-server', broker.bootstrap];
  });
  after(async () => {
    await broker?.destroy();
  });

  describe('topics', () => {
    it('creates, lists, describes, alters and deletes a topic', async () => {
      let r = await brook(['topics', 'create', '--topic', 'orders', '--partitions', '3', '--config', 'retention.ms=60000', ...b]);
      expect(r.code, r.stderr).to.equal(0);
      expect(r.stdout).to.equal('Created topic orders.\n');

      r = await brook(['topics', 'list', ...b]);
      expect(r.code).to.equal(0);
      expect(r.stdout.split('\n')).to.include('orders');
      expect(r.stdout).not.to.include('__consumer_offsets');
      r = await brook(['topics', 'list', '--internal', '--json', ...b]);
      expect(JSON.parse(r.stdout)).to.include('orders');

      r = await brook(['topics', 'describe', '-t', 'orders', ...b]);
      expect(r.code, r.stderr).to.equal(0);
      expect(r.stdout).to.match(/^Topic: orders\tPartitionCount: 3\tConfigs: .*retention\.ms=60000/);
      expect(r.stdout.trim().split('\n')).to.have.length(5); // summary, header, 3 partitions

      r = await brook(['topics', 'alter', '-t', 'orders', '--partitions', '5', '--config', 'cleanup.policy=compact', ...b]);
      expect(r.code, r.stderr).to.equal(0);
      expect(r.stdout).to.include('partitions 3 -> 5').and.include('cleanup.policy=compact');
      r = await brook(['topics', 'describe', '-t', 'orders', '--json', ...b]);
      const view = JSON.parse(r.stdout) as { partitions: unknown[]; configs: Record<string, string> };
      expect(view.partitions).to.have.length(5);
      expect(view.configs).to.include({ 'retention.ms': '60000', 'cleanup.policy': 'compact' });

      r = await brook(['topics', 'alter', '-t', 'orders', '--delete-config', 'retention.ms', ...b]);
      expect(r.code, r.stderr).to.equal(0);
      r = await brook(['topics', 'describe', '-t', 'orders', '--json', ...b]);
      expect((JSON.parse(r.stdout) as { configs: Record<string, string> }).configs).to.deep.equal({ 'cleanup.policy': 'compact' });

      // a refusal names the broker's reason, not only the error code
      r = await brook(['topics', 'alter', '-t', 'orders', '--config', 'retention.ms=soon', ...b]);
      expect(r.code).to.equal(1);
      expect(r.stderr).to.match(/refused: INVALID_CONFIG: .*retention\.ms/);

      r = await brook(['topics', 'delete', '-t', 'orders', ...b]);
      expect(r.code, r.stderr).to.equal(0);
      expect(r.stdout).to.equal('Deleted topic orders.\n');
      r = await brook(['topics', 'list', '--json', ...b]);
      expect(JSON.parse(r.stdout)).not.to.include('orders');
    });

    it('refuses a duplicate create unless --if-not-exists', async () => {
      expect((await brook(['topics', 'create', '-t', 'dup', '-p', '1', ...b])).code).to.equal(0);
      const again = await brook(['topics', 'create', '-t', 'dup', '-p', '1', ...b]);
      expect(again.code).to.equal(1);
      expect(again.stderr).to.include('already exists').and.include('--if-not-exists');
      const ok = await brook(['topics', 'create', '-t', 'dup', '-p', '1', '--if-not-exists', '--json', ...b]);
      expect(ok.code).to.equal(0);
      expect(JSON.parse(ok.stdout)).to.deep.equal({ topic: 'dup', created: false });
    });

    it('explains what is wrong with a missing topic or a partition shrink', async () => {
      for (const argv of [['topics', 'describe', '-t', 'nope'], ['topics', 'delete', '-t', 'nope'], ['topics', 'alter', '-t', 'nope', '-p', '2']]) {
        const r = await brook([...argv, ...b]);
        expect(r.code, argv.join(' ')).to.equal(1);
        expect(r.stderr).to.include('topic "nope" does not exist');
      }
      await brook(['topics', 'create', '-t', 'wide', '-p', '4', ...b]);
      const r = await brook(['topics', 'alter', '-t', 'wide', '-p', '2', ...b]);
      expect(r.code).to.equal(1);
      expect(r.stderr).to.include('can only be added');
    });
  });

  describe('produce and consume', () => {
    it('round-trips keys, values and headers, and starts at a given partition offset', async () => {
      await brook(['topics', 'create', '-t', 'lines', '-p', '1', ...b]);
      const input = 'k1=a:b\nk2=c\n=empty-key\nk4=d\n';
      let r = await brook(['produce', '-t', 'lines', '--key-separator', '=', '--header', 'source=test', '--header', 'v=2', ...b], input);
      expect(r.code, r.stderr).to.equal(0);
      expect(r.stderr).to.equal('Produced 4 messages to lines.\n');

      r = await brook(['consume', '-t', 'lines', '--from-beginning', '--max-messages', '4', '--format', 'json', ...b]);
      expect(r.code, r.stderr).to.equal(0);
      const msgs = jsonLines(r.stdout);
      expect(msgs.map((m) => [m.key, m.value, m.offset])).to.deep.equal([
        ['k1', 'a:b', '0'],
        ['k2', 'c', '1'],
        ['', 'empty-key', '2'],
        ['k4', 'd', '3'],
      ]);
      expect(msgs[0]!.headers).to.deep.equal({ source: 'test', v: '2' });

      r = await brook(['consume', '-t', 'lines', '--partition', '0', '--offset', '2', '--max-messages', '2', '--print-key', ...b]);
      expect(r.code, r.stderr).to.equal(0);
      expect(r.stdout).to.equal('\tempty-key\nk4\td\n');
      expect(r.stderr).to.equal('Processed 2 messages.\n');
    });

    it('writes to a chosen partition, with acks=1 or fire-and-forget acks=0', async () => {
      await brook(['topics', 'create', '-t', 'placed', '-p', '3', ...b]);
      let r = await brook(['produce', '-t', 'placed', '--partition', '1', '--acks', '1', ...b], 'x\ny\n');
      expect(r.code, r.stderr).to.equal(0);
      r = await brook(['produce', '-t', 'placed', '--partition', '2', '--acks', '0', '--json', ...b], 'z\n');
      expect(r.code, r.stderr).to.equal(0);
      expect(JSON.parse(r.stdout)).to.deep.equal({ topic: 'placed', messages: 1 });
      const counts = await eventually(async () => {
        const c = await (JSON.parse((await brook(['topics', 'describe', '-t', 'placed', '--json', ...b])).stdout) as { partitions: Array<{ messages: string }> }).partitions.map((p) => p.messages);
        expect(c).to.deep.equal(['0', '2', '1']);
        return c;
      }, 'the records placed on their partitions', 5000);
      expect(counts).to.have.length(3);
    });

    // kafkajs drops a message for a partition with no leader without an error; Kafka's producer refuses it
    it('refuses a partition the topic does not have (exit 1), writing nothing', async () => {
      await brook(['topics', 'create', '-t', 'narrow', '-p', '3', ...b]);
      const r = await brook(['produce', '-t', 'narrow', '--partition', '7', ...b], 'a\nb\nc\n');
      expect(r.code).to.equal(1);
      expect(r.stderr).to.match(/topic "narrow" has no partition 7 \(it has 3 partitions, numbered from 0\); nothing was sent/);
      expect(r.stderr).not.to.match(/Produced/);
      const d = JSON.parse((await brook(['topics', 'describe', '-t', 'narrow', '--json', ...b])).stdout) as { partitions: Array<{ messages: string }> };
      expect(d.partitions.map((p) => p.messages)).to.deep.equal(['0', '0', '0']);
    });

    it('stops after an idle period when nothing new arrives', async () => {
      await brook(['topics', 'create', '-t', 'quiet', '-p', '2', ...b]);
      const r = await brook(['consume', '-t', 'quiet', '--idle-timeout-ms', '300', ...b]);
      expect(r.code, r.stderr).to.equal(0);
      expect(r.stdout).to.equal('');
      expect(r.stderr).to.equal('Processed 0 messages.\n');
    });

    it('finishes cleanly on Ctrl-C: consume stops, produce sends what it read', async () => {
      await brook(['topics', 'create', '-t', 'tail', '-p', '1', ...b]);
      const tail = brookLive(['consume', '-t', 'tail', '--from-beginning', ...b]);
      const producing = brookLive(['produce', '-t', 'tail', ...b]);
      producing.stdin.write('first\nsecond\n');
      // stdin stays open: each line is sent as it arrives, not when the input ends.
      await eventually(async () => {
        const out = await tail.stdout();
        expect(out).to.equal('first\nsecond\n');
        return out;
      }, 'the tail to print both records', 10_000);
      producing.interrupt();
      const p = await producing.done;
      expect(p.code, p.stderr).to.equal(0);
      expect(p.stderr).to.equal('Produced 2 messages to tail.\n');
      tail.interrupt();
      const c = await tail.done;
      expect(c.code, c.stderr).to.equal(0);
      expect(c.stderr).to.equal('Processed 2 messages.\n');
    });

    it('reports the line that lacks the key separator', async () => {
      const r = await brook(['produce', '-t', 'lines2', '--key-separator', ':', ...b], 'a:1\nno-separator\n');
      expect(r.code).to.equal(1);
      expect(r.stderr).to.include('line 2 has no key separator ":"; the lines before it were sent');
      const d = JSON.parse((await brook(['topics', 'describe', '-t', 'lines2', '--json', ...b])).stdout) as { partitions: Array<{ messages: string }> };
      expect(d.partitions.map((p) => p.messages)).to.deep.equal(['1']);
    });

    it('shows a progress line on long work', async () => {
      const lines = Array.from({ length: 2000 }, (_, i) => `m${i}`).join('\n') + '\n';
      const r = await brook(['produce', '-t', 'bulk', '--progress', ...b], lines);
      expect(r.code, r.stderr).to.equal(0);
      expect(r.stderr).to.match(/produced \d+ messages to bulk/);
      expect(r.stderr).to.include('Produced 2000 messages to bulk.');
      const c = await brook(['consume', '-t', 'bulk', '--from-beginning', '--max-messages', '2000', '--progress', ...b]);
      expect(c.code, c.stderr).to.equal(0);
      expect(c.stderr).to.match(/consumed \d+ messages from bulk/);
      expect(c.stdout.split('\n')).to.have.length(2001);
      const d = await brook(['topics', 'describe', '-t', 'bulk', '--json', ...b]);
      const parts = (JSON.parse(d.stdout) as { partitions: Array<{ messages: string }> }).partitions;
      expect(parts.reduce((n, p) => n + Number(p.messages), 0)).to.equal(2000);
    });
  });

  describe('groups', () => {
    let member: Consumer | null = null;
    afterEach(async () => {
      await member?.disconnect();
      member = null;
    });

    it('consumes as a group, then lists, describes, and resets its offsets', async () => {
      await brook(['topics', 'create', '-t', 'work', '-p', '2', ...b]);
      const lines = Array.from({ length: 10 }, (_, i) => `${i % 2}:v${i}`).join('\n') + '\n';
      expect((await brook(['produce', '-t', 'work', '--key-separator', ':', ...b], lines)).code).to.equal(0);

      let r = await brook(['consume', '-t', 'work', '--group', 'workers', '--from-beginning', '--max-messages', '10', ...b]);
      expect(r.code, r.stderr).to.equal(0);
      expect(r.stdout.trim().split('\n').sort()).to.deep.equal(Array.from({ length: 10 }, (_, i) => `v${i}`).sort());

      r = await brook(['groups', 'list', ...b]);
      expect(r.code).to.equal(0);
      expect(r.stdout).to.match(/^workers\s+Empty\s+0\s+consumer$/m);
      // The offsets topic exists now; it is listed only on request.
      expect(JSON.parse((await brook(['topics', 'list', '--internal', '--json', ...b])).stdout)).to.include('__consumer_offsets');
      expect(JSON.parse((await brook(['topics', 'list', '--json', ...b])).stdout)).not.to.include('__consumer_offsets');

      r = await brook(['groups', 'describe', '-g', 'workers', '--json', ...b]);
      expect(r.code, r.stderr).to.equal(0);
      const before = JSON.parse(r.stdout) as { state: string; partitions: Array<{ partition: number; committed: string; endOffset: string; lag: string }> };
      expect(before.state).to.equal('Empty');
      const total = before.partitions.reduce((n, p) => n + Number(p.endOffset), 0);
      expect(total).to.equal(10);
      for (const p of before.partitions) expect([p.committed, p.lag]).to.deep.equal([p.endOffset, '0']);

      // Dry run by default: the plan is printed, nothing moves.
      r = await brook(['groups', 'reset-offsets', '-g', 'workers', '-t', 'work', '--to-earliest', ...b]);
      expect(r.code, r.stderr).to.equal(0);
      expect(r.stdout).to.include('Dry run');
      expect(r.stdout).to.match(/work\s+0\s+\d+\s+0/);
      r = await brook(['groups', 'describe', '-g', 'workers', '--json', ...b]);
      expect((JSON.parse(r.stdout) as typeof before).partitions.map((p) => p.lag)).to.deep.equal(['0', '0']);

      r = await brook(['groups', 'reset-offsets', '-g', 'workers', '-t', 'work', '--to-earliest', '--execute', ...b]);
      expect(r.code, r.stderr).to.equal(0);
      expect(r.stdout).to.include('were reset');
      r = await brook(['groups', 'describe', '-g', 'workers', ...b]);
      expect(r.stdout).to.match(/^TOPIC\s+PARTITION\s+CURRENT-OFFSET\s+LOG-END-OFFSET\s+LAG/m);
      const after = (await brook(['groups', 'describe', '-g', 'workers', '--json', ...b])).stdout;
      const lagAfter = (JSON.parse(after) as typeof before).partitions.reduce((n, p) => n + Number(p.lag), 0);
      expect(lagAfter).to.equal(10);

      // --to-offset past the end is clamped to the end; --to-datetime in the future means "the end" too.
      r = await brook(['groups', 'reset-offsets', '-g', 'workers', '-t', 'work', '--partitions', '0', '--to-offset', '999999', '--json', ...b]);
      const plan = JSON.parse(r.stdout) as { executed: boolean; partitions: Array<{ partition: number; target: string }> };
      expect(plan.executed).to.equal(false);
      expect(plan.partitions).to.have.length(1);
      expect(plan.partitions[0]!.target).to.equal(before.partitions.find((p) => p.partition === 0)!.endOffset);
      r = await brook(['groups', 'reset-offsets', '-g', 'workers', '-t', 'work', '--to-datetime', '2999-01-01T00:00:00Z', '--execute', ...b]);
      expect(r.code, r.stderr).to.equal(0);
      const atEnd = JSON.parse((await brook(['groups', 'describe', '-g', 'workers', '--json', ...b])).stdout) as typeof before;
      expect(atEnd.partitions.map((p) => p.lag)).to.deep.equal(['0', '0']);

      // A group that consumes again after --to-datetime in the past starts over.
      r = await brook(['groups', 'reset-offsets', '-g', 'workers', '-t', 'work', '--to-datetime', '0', '--execute', ...b]);
      expect(r.code, r.stderr).to.equal(0);
      r = await brook(['consume', '-t', 'work', '--group', 'workers', '--max-messages', '10', ...b]);
      expect(r.stdout.trim().split('\n')).to.have.length(10);
    });

    it('shows live members with their assignments, and refuses to reset an active group', async () => {
      await brook(['topics', 'create', '-t', 'live', '-p', '2', ...b]);
      await brook(['produce', '-t', 'live', ...b], 'a\nb\nc\n');
      const kafka = new Kafka({ clientId: 'live-member', brokers: [broker.bootstrap], logLevel: logLevel.NOTHING });
      member = kafka.consumer({ groupId: 'live-group', maxWaitTimeInMs: 100 });
      await member.connect();
      await member.subscribe({ topic: 'live', fromBeginning: true });
      let seen = 0;
      const allSeen = new Promise<void>((resolve) => {
        void member!.run({
          eachMessage: async () => {
            if (++seen === 3) resolve();
          },
        });
      });
      await allSeen;
      await member.commitOffsets([]); // flush resolved offsets

      const r = await brook(['groups', 'describe', '-g', 'live-group', '--json', ...b]);
      expect(r.code, r.stderr).to.equal(0);
      const view = JSON.parse(r.stdout) as { state: string; members: Array<{ clientId: string; assignment: Record<string, number[]> }>; partitions: Array<{ clientId: string | null }> };
      expect(view.state).to.equal('Stable');
      expect(view.members).to.have.length(1);
      expect(view.members[0]!.clientId).to.equal('live-member');
      expect(view.members[0]!.assignment).to.deep.equal({ live: [0, 1] });
      expect(view.partitions.map((p) => p.clientId)).to.deep.equal(['live-member', 'live-member']);
      const text = await brook(['groups', 'describe', '-g', 'live-group', ...b]);
      expect(text.stdout).to.match(/State: Stable\tMembers: 1/);
      const listed = JSON.parse((await brook(['groups', 'list', '--json', ...b])).stdout) as Array<{ groupId: string; state: string; members: number }>;
      expect(listed.find((g) => g.groupId === 'live-group')).to.deep.include({ state: 'Stable', members: 1 });

      const reset = await brook(['groups', 'reset-offsets', '-g', 'live-group', '-t', 'live', '--to-earliest', '--execute', ...b]);
      expect(reset.code).to.equal(1);
      expect(reset.stderr).to.include("is Stable; offsets can only be reset while it has no running instances");
    });

    it('shows the partitions each member of a KIP-848 group (kcat, librdkafka 2.15.1) owns', async function () {
      this.timeout(120_000);
      const build = await ensureLibrdkafka();
      await brook(['topics', 'create', '-t', 'live848', '-p', '2', ...b]);
      await brook(['produce', '-t', 'live848', ...b], 'a\nb\n');
      // a member that stays in the group: kcat -G keeps consuming until killed
      const member = spawn('kcat', ['-b', broker.bootstrap, '-G', 'g848', '-X', 'group.protocol=consumer', '-X', 'client.id=kcat848', '-X', 'auto.offset.reset=earliest', '-q', '-u', 'live848'], {
        env: librdkafkaEnv(build),
        stdio: ['ignore', 'pipe', 'ignore'],
      });
      try {
        let seen = 0;
        await new Promise<void>((resolve) => member.stdout.on('data', (d: Buffer) => (seen += d.toString().split('\n').filter(Boolean).length) >= 2 && resolve()));
        const view = await eventually(async () => {
          const r = await brook(['groups', 'describe', '-g', 'g848', '--json', ...b]);
          const v = JSON.parse(r.stdout) as { protocolType: string; members: Array<{ clientId: string; assignment: Record<string, number[]> }>; partitions: Array<{ partition: number; clientId: string | null }> };
          expect(v.members.map((m) => m.assignment)).to.deep.equal([{ live848: [0, 1] }]);
          return v;
        }, 'the KIP-848 member with both partitions in groups describe', { intervalMs: 200 });
        expect(view.members[0]!.clientId).to.equal('kcat848');
        expect(view.partitions.map((p) => [p.partition, p.clientId])).to.deep.equal([[0, 'kcat848'], [1, 'kcat848']]);
      } finally {
        member.kill('SIGKILL');
      }
    });

    it('says which group does not exist', async () => {
      const r = await brook(['groups', 'describe', '-g', 'ghost', ...b]);
      expect(r.code).to.equal(1);
      expect(r.stderr).to.include('consumer group "ghost" does not exist');
    });
  });

  describe('bad command lines (exit 2, nothing sent)', () => {
    const cases: Array<[string[], RegExp]> = [
      [['topics'], /"topics" needs a subcommand: one of list, create, describe, alter, delete/],
      [['topics', 'frobnicate'], /unknown command "topics frobnicate"/],
      [['topics', 'create'], /--topic is required/],
      [['topics', 'create', '-t', 'x', '--partitions', 'many'], /--partitions must be an integer/],
      [['topics', 'create', '-t', 'x', '--partitions', '0'], /--partitions must be at least 1/],
      [['topics', 'create', '-t', 'x', '--config', 'novalue'], /--config expects key=value/],
      [['topics', 'list', '--bogus'], /unknown option --bogus/],
      [['topics', 'list', '--bootstrap-server', 'nohostport'], /expects host:port/],
      [['topics', 'alter', '-t', 'x'], /nothing to alter/],
      [['groups', 'reset-offsets', '-g', 'g', '-t', 't'], /exactly one of --to-earliest/],
      [['groups', 'reset-offsets', '-g', 'g', '-t', 't', '--to-latest', '--to-earliest'], /exactly one of/],
      [['groups', 'reset-offsets', '-g', 'g', '-t', 't', '--to-datetime', 'yesterday'], /ISO-8601/],
      [['consume', '-t', 'x', '--offset', '5'], /--offset needs --partition/],
      [['consume', '-t', 'x', '--format', 'xml'], /--format must be text or json/],
      [['consume', '-t', 'x', '--group', 'g', '--partition', '0'], /cannot be combined/],
      [['produce', '-t', 'x', '--acks', '7'], /--acks must be at most 1/],
      [['topics', 'list', 'extra'], /unexpected argument "extra"/],
    ];
    for (const [argv, message] of cases) {
      it(argv.join(' '), async () => {
        const r = await brook([...argv, ...(argv.includes('--bootstrap-server') ? [] : b)]);
        expect(r.code).to.equal(2);
        expect(r.stderr).to.match(message);
        expect(r.stdout).to.equal('');
      });
    }

    it('prints per-command help with --help', async () => {
      const r = await brook(['groups', 'reset-offsets', '--help']);
      expect(r.code).to.equal(0);
      expect(r.stdout).to.include('Usage: brook groups reset-offsets').and.include('--to-datetime').and.include('--bootstrap-server');
    });

    // list flags get "(repeatable)" from the help printer; a help text saying it too printed it twice
    it('says "(repeatable)" once per repeatable flag in every command\'s help', async () => {
      for (const c of COMMANDS) {
        const r = await brook([...c.name.split(' '), '--help']);
        expect(r.code, c.name).to.equal(0);
        expect(r.stdout, c.name).not.to.include('(repeatable) (repeatable)');
      }
      expect((await brook(['cluster', 'configs', '--help'])).stdout).to.match(/--set VALUE +name=value to set \(repeatable\)\n/);
    });
  });

  describe('unreachable broker (exit 3)', () => {
    it('says which address failed, for every kind of command', async () => {
      const port = await deadPort();
      const dead = ['--bootstrap-server', `127.0.0.1:${port}`, '--timeout-ms', '500'];
      for (const argv of [['topics', 'list'], ['groups', 'list'], ['consume', '-t', 'x', '--max-messages', '1'], ['produce', '-t', 'x']]) {
        const r = await brook([...argv, ...dead], 'one\n');
        expect(r.code, `${argv.join(' ')}: ${r.stderr}`).to.equal(3);
        expect(r.stderr).to.include(`cannot reach a broker at 127.0.0.1:${port}`);
      }
    });
  });

  describe('the brook executable', () => {
    function run(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
      return new Promise((resolve, reject) => {
        const child = spawn(process.execPath, ['--import', 'tsx', '-e', "require('./src/cli/main').main(process.argv.slice(1))", '--', ...args], { cwd: REPO });
        let stdout = '';
        let stderr = '';
        child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
        child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
        child.on('error', reject);
        child.on('close', (code) => resolve({ code, stdout, stderr }));
      });
    }

    it('dispatches admin commands and exits with their code', async () => {
      await brook(['topics', 'create', '-t', 'via-binary', '-p', '1', ...b]);
      const ok = await run(['topics', 'list', ...b]);
      expect(ok.code, ok.stderr).to.equal(0);
      expect(ok.stdout.split('\n')).to.include('via-binary');
      const bad = await run(['topics', 'list', '--nope']);
      expect(bad.code).to.equal(2);
      const help = await run(['--help']);
      expect(help.code).to.equal(0);
      expect(help.stdout).to.include('brook start').and.include('brook groups reset-offsets').and.include('--metrics-port');
    });
  });
});
