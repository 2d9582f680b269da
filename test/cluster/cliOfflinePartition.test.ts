/**
 * The `brook` CLI (a process, as an operator runs it) keeps working while one partition of the cluster is
 * offline. Found failing over a cluster: kafkajs, under the CLI, refused every Metadata answer naming a partition
 * without a leader (LEADER_NOT_AVAILABLE, as Kafka answers too), so `topics list`, `groups list` and the rest
 * failed for every topic; Kafka's own tools show such a partition with no leader.
 */
import { expect } from 'chai';
import { execFile } from 'node:child_process';
import * as path from 'node:path';
import { MemoryCluster } from '../helpers/memoryCluster';
import { eventually } from '../helpers/eventually';

const BIN = path.resolve(__dirname, '../../bin/brook.js');

function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { timeout: 30_000 }, (err, stdout, stderr) => resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }));
  });
}

describe('brook CLI with a partition offline', function () {
  this.timeout(90_000);
  let c: MemoryCluster;
  after(async () => c?.stop());

  it('lists and describes topics and groups, showing the offline partition without a leader', async () => {
    c = await MemoryCluster.start({ brokers: 2 });
    await c.createTopic('healthy', 1, 2);
    await c.createTopic('alone', 1, 1);
    const lost = c.state('alone', 0).leader;
    const survivor = c.state('alone', 0).replicas.includes(1) ? 2 : 1;
    await c.killBroker(lost);
    await eventually(() => c.state('alone', 0).leader === -1 && c.state('healthy', 0).leader === survivor, 'alone offline, healthy led by the survivor');
    const b = ['-b', `127.0.0.1:${c.broker(survivor).port}`];

    const list = await cli(['topics', 'list', ...b]);
    expect(list.code, list.stderr).to.equal(0);
    expect(list.stdout.trim().split('\n')).to.deep.equal(['alone', 'healthy']);
    const healthy = await cli(['topics', 'describe', '-t', 'healthy', '--json', ...b]);
    expect(healthy.code, healthy.stderr).to.equal(0);
    expect((JSON.parse(healthy.stdout) as { partitions: Array<{ leader: number }> }).partitions[0]!.leader).to.equal(survivor);
    const alone = await cli(['topics', 'describe', '-t', 'alone', '--json', ...b]);
    expect(alone.code, alone.stderr).to.equal(0);
    expect((JSON.parse(alone.stdout) as { partitions: Array<{ leader: number; latest: string }> }).partitions[0]).to.deep.include({ leader: -1, latest: '-' });
    const groups = await cli(['groups', 'list', ...b]);
    expect(groups.code, groups.stderr).to.equal(0);
  });
});
