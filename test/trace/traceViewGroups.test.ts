import { expect } from 'chai';
import { Kafka, logLevel } from 'kafkajs';
import { startTestBroker, type TestBroker } from '../helpers/broker';
import { eventually } from '../helpers/eventually';
import { brook } from '../ops/cliHarness';
import { kcatWithInput } from '../helpers/kcat';

/* eslint-disable @typescript-eslint/no-explicit-any */

describe('trace of a filtered view\'s record: the groups that consumed the view (kcat)', function () {
  this.timeout(60_000);
  let broker: TestBroker;
  let base: string;

  before(async () => {
    broker = await startTestBroker({ metricsPort: 0, console: true, config: { 'group.initial.rebalance.delay.ms': '0', 'offsets.topic.num.partitions': '1' } });
    base = `http://127.0.0.1:${broker.httpPort}`;
    const admin = new Kafka({ brokers: [broker.bootstrap], logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 'src', numPartitions: 1 }] });
    await admin.createTopics({ topics: [{ topic: 'src-paid', numPartitions: 1, configEntries: [{ name: 'brook.view.of', value: 'src' }, { name: 'brook.view.filter', value: 'paid' }] }] });
    await admin.disconnect();
    for (let i = 0; i < 4; i++) await kcatWithInput(['-P', '-b', broker.bootstrap, '-t', 'src', '-K:', '-H', 'brook-tag=paid'], `k:v${i}\n`);
    // a kcat group reads the view to its end and commits on close, under the view's name at source offsets
    await kcatWithInput(['-G', 'view-readers', '-b', broker.bootstrap, '-X', 'auto.offset.reset=earliest', '-e', '-q', '-f', '', 'src-paid']);
    await eventually(() => broker.services.groups!.offsets.get('view-readers', 'src-paid', 0)?.offset === 4, 'view-readers committed 4 on src-paid');
  });

  after(async () => broker?.destroy());

  it('lists the view\'s groups, labelled with the view, when the record is traced through the view', async () => {
    const viaView = ((await (await fetch(`${base}/api/topics/src-paid/trace?partition=0&offset=1`)).json()) as any).traces[0];
    expect(viaView.topic).to.equal('src');
    expect(viaView.groups).to.deep.equal([{ group: 'view-readers', committedOffset: 4, commitTimestamp: viaView.groups[0].commitTimestamp, consumedPast: true, view: 'src-paid' }]);
    expect(viaView.timeline.find((e: any) => e.kind === 'committed-past').detail).to.equal('group view-readers committed offset 4 on view src-paid (past this record)');
    // by key through the view too
    const byKey = ((await (await fetch(`${base}/api/topics/src-paid/trace?key=k`)).json()) as any).traces;
    expect(byKey.map((t: any) => [t.offset, t.groups.map((g: any) => g.view)])).to.deep.equal([[0, ['src-paid']], [1, ['src-paid']], [2, ['src-paid']], [3, ['src-paid']]]);
    // traced on the source, the view's consumers are not the source's
    const viaSource = ((await (await fetch(`${base}/api/topics/src/trace?partition=0&offset=1`)).json()) as any).traces[0];
    expect(viaSource.groups).to.deep.equal([]);
    const cli = await brook(['messages', 'trace', '--http', base, '--topic', 'src-paid', '--partition', '0', '--offset', '3']);
    expect(cli.code, cli.stderr).to.equal(0);
    expect(cli.stdout).to.match(/committed-past\s+group view-readers committed offset 4 on view src-paid \(past this record\)/);
  });
});
