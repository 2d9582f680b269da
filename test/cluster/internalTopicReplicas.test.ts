import { expect } from 'chai';
import { ApiKey } from '../../protocol/generated/apis';
import { ErrorCode } from '../../protocol/errors';
import type { FindCoordinatorResponse } from '../../protocol/generated/messages/FindCoordinatorResponse';
import { OFFSETS_TOPIC } from '../../src/groups/offsetsTopicRecords';
import { TXN_STATE_TOPIC } from '../../src/txn/txnStateLog';
import { SHARE_STATE_TOPIC } from '../../src/share/records';
import { MemoryCluster } from '../helpers/memoryCluster';
import { commitOffset, fetchCommitted, withClient } from '../helpers/coordinators';
import { eventually } from '../helpers/eventually';
import { registryCall } from '../helpers/registryHttp';
import type { TestBroker } from '../helpers/broker';

const GROUP = 'g';
const KEYS: Array<[number, string, string]> = [
  [0, GROUP, OFFSETS_TOPIC],
  [1, 'tx', TXN_STATE_TOPIC],
  [2, 'any:AAAAAAAAAAAAAAAAAAAAAA:0', SHARE_STATE_TOPIC],
];

/** FindCoordinator (v6, batched) as a client sends it: the error code and node id. */
async function findCoordinator(port: number, keyType: number, key: string): Promise<{ errorCode: number; nodeId: number }> {
  const res = await withClient(port, (c) => c.request<FindCoordinatorResponse>(ApiKey.FindCoordinator, 6, { keyType, coordinatorKeys: [key] }));
  return { errorCode: res.coordinators[0]!.errorCode, nodeId: res.coordinators[0]!.nodeId };
}

async function call(port: number, method: string, path: string): Promise<{ status: number; json: any }> {
  return registryCall({ httpPort: port } as TestBroker, method, path);
}

describe('internal topics get their full replication factor (KIP-115)', function () {
  this.timeout(90_000);
  let c: MemoryCluster | undefined;

  afterEach(async () => {
    await c?.stop();
    c = undefined;
  });

  it('are not created while fewer brokers are alive than their replication factor (COORDINATOR_NOT_AVAILABLE meanwhile), so one more loss later does not stop offset commits', async () => {
    c = await MemoryCluster.start({ brokers: 3, http: true, config: { 'offsets.topic.num.partitions': '1', 'min.insync.replicas': '2' } });
    await c.createTopic('work', 1, 3);
    await c.killBroker(3);
    const port = c.broker(1).port;

    // offsets.topic.replication.factor is 3 (the test cluster's size): with two brokers alive, nothing is created.
    for (const [keyType, key, topic] of KEYS) {
      expect(await findCoordinator(port, keyType, key), topic).to.deep.equal({ errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE, nodeId: -1 });
      expect(c.metadata.topic(topic), topic).to.equal(undefined);
    }
    expect(await commitOffset(port, GROUP, 'work', 5)).to.equal(ErrorCode.NOT_COORDINATOR);
    const schemas = await call(c.broker(1).httpPort!, 'GET', '/subjects');
    expect(schemas.status).to.equal(500);
    expect(schemas.json.message).to.include('brook.http.schemas.replication.factor');
    expect(c.metadata.topic('_schemas')).to.equal(undefined);

    // The third broker is back: the clients' retries find every coordinator, on three replicas.
    await c.restartBroker(3);
    for (const [keyType, key, topic] of KEYS) {
      await eventually(async () => (await findCoordinator(port, keyType, key)).errorCode === ErrorCode.NONE, `a coordinator for ${topic}`);
      expect(c.state(topic, 0).replicas, topic).to.have.length(3);
    }
    await eventually(async () => (await call(c!.broker(1).httpPort!, 'GET', '/subjects')).status === 200, 'the registry');
    expect(c.state('_schemas', 0).replicas).to.have.length(3);

    const coordinator = (await findCoordinator(port, 0, GROUP)).nodeId;
    await c.settled();
    expect(await commitOffset(c.broker(coordinator).port, GROUP, 'work', 5)).to.equal(ErrorCode.NONE);

    // One broker lost: two of three replicas are still in sync, min.insync.replicas=2 holds, commits go on.
    const lost = [1, 2, 3].find((id) => id !== coordinator)!;
    await c.killBroker(lost);
    expect(c.state(OFFSETS_TOPIC, 0).isr).to.have.length(2);
    await eventually(async () => (await commitOffset(c!.broker(coordinator).port, GROUP, 'work', 6)) === ErrorCode.NONE, 'a commit with one broker gone');
    expect(await fetchCommitted(c.broker(coordinator).port, GROUP, 'work')).to.deep.equal({ errorCode: 0, offset: 6 });
  });

  it('a cluster configured for fewer replicas creates them with that many brokers', async () => {
    c = await MemoryCluster.start({ brokers: 2, config: { 'offsets.topic.num.partitions': '1', 'offsets.topic.replication.factor': '1' } });
    await c.killBroker(2);
    for (const [keyType, key, topic] of KEYS) {
      expect((await findCoordinator(c.broker(1).port, keyType, key)).errorCode, topic).to.equal(ErrorCode.NONE);
      expect(c.state(topic, 0).replicas, topic).to.deep.equal([1]);
    }
  });
});
