import { expect } from 'chai';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ErrorCode } from '../../protocol/errors';
import type { BrokerCore } from '../../src/brokerCore';
import { createLogger } from '../../src/log';
import { partitionLog } from '../../src/metadata/partitionLogs';
import type { TopicInfo } from '../../src/metadata/types';
import { LogManager } from '../../storage/logManager';
import { buildBatch } from '../storage/helpers';
import { tempDataDir } from '../helpers/tempDir';

const topic: TopicInfo = { name: 'rec', id: Buffer.alloc(16, 1), partitions: 2, configs: {}, internal: false };

/** A log still being recovered after a crash is refused with a retriable error; internal users wait for it. */
describe('partition lookup while a log is recovering', () => {
  const dirs: string[] = [];
  after(() => dirs.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

  it('answers NOT_LEADER_OR_FOLLOWER (retried by kafkajs and librdkafka) and starts the recovery of that log at once', async () => {
    const dataDir = tempDataDir('brook-recovering-');
    dirs.push(dataDir);
    const first = new LogManager({ dataDir, schedulerIntervalMs: 0 });
    await first.open();
    for (const p of [0, 1]) await (await first.create('rec', p)).append(buildBatch([{ value: `v${p}` }]));
    // a crash: the files as they are while the first manager still runs (no clean-shutdown marker)
    const crashed = tempDataDir('brook-recovering-crash-');
    dirs.push(crashed);
    fs.cpSync(dataDir, crashed, { recursive: true });
    await first.close();
    expect(fs.existsSync(path.join(crashed, '.clean-shutdown'))).to.equal(false);

    // no background recovery: only requests start one, so the states below are certain
    const logs = new LogManager({ dataDir: crashed, schedulerIntervalMs: 0, recoveryConcurrency: 0 });
    await logs.open();
    try {
      const services = { logs, logger: createLogger('silent') } as unknown as BrokerCore;
      expect(logs.get('rec', 0)!.recovering).to.equal(true);
      const refused = await partitionLog(services, topic, 0);
      expect(refused.errorCode).to.equal(ErrorCode.NOT_LEADER_OR_FOLLOWER);
      expect(refused.log).to.equal(null);
      // the refusal started the recovery; the client's retry finds the log served
      await logs.get('rec', 0)!.open();
      const served = await partitionLog(services, topic, 0);
      expect(served.errorCode).to.equal(0);
      expect(served.log!.logEndOffset).to.equal(1);
      // an internal user waits for the recovery instead
      expect(logs.get('rec', 1)!.recovering).to.equal(true);
      const waited = await partitionLog(services, topic, 1, { waitForRecovery: true });
      expect(waited.errorCode).to.equal(0);
      expect(waited.log!.logEndOffset).to.equal(1);
    } finally {
      await logs.close();
    }
  });
});
