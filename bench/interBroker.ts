/**
 * What securing inter-broker traffic costs: acks=all produce throughput and
 * latency on an RF=3 partition of three in-process brokers on etcd, with the
 * only listener PLAINTEXT, then SASL_SSL (PLAIN login, TLS to the followers,
 * ACLs on with super.users=User:broker). Produces go straight to the leader over Brook's own client
 * (BrokerClient, logged in like a broker), `inflight` requests at a time.
 *
 *   npx tsx bench/interBroker.ts [--quick]
 *
 * Everything shares the machine's cores (three brokers, etcd, the load), so
 * the figures compare the variants with each other, not with a real cluster.
 */
import { ApiKey } from '../protocol/generated/apis';
import type { ProduceResponse } from '../protocol/generated/messages/ProduceResponse';
import { buildConfig } from '../src/config/load';
import { BrokerClient } from '../src/replication/brokerClient';
import { interBrokerSecurity } from '../src/security/interBroker/settings';
import { EtcdTestCluster, eventually } from '../test/cluster/helpers/etcdCluster';
import { makeTestCerts, tlsListenerProps, type TestCerts } from '../test/helpers/certs';
import { startEtcd } from '../test/helpers/etcd';
import { buildBatch } from '../test/storage/helpers';

const quick = process.argv.includes('--quick');
const BATCHES = quick ? 500 : 3000;
const RECORDS_PER_BATCH = 10;
const VALUE = 'x'.repeat(1000);
const INFLIGHT = 8;

function variants(certs: TestCerts): Array<{ name: string; config: Record<string, string> }> {
  const common = { 'replica.fetch.wait.max.ms': '100' };
  return [
    { name: 'PLAINTEXT', config: { ...common, listeners: 'PLAINTEXT://127.0.0.1:0' } },
    {
      name: 'SASL_SSL (PLAIN), ACLs on',
      config: {
        ...common,
        listeners: 'SASL_SSL://127.0.0.1:0',
        ...tlsListenerProps(certs, 'SASL_SSL'),
        'listener.name.sasl_ssl.sasl.enabled.mechanisms': 'PLAIN',
        'listener.name.sasl_ssl.plain.sasl.jaas.config':
          'org.apache.kafka.common.security.plain.PlainLoginModule required username="broker" password="pw" user_broker="pw";',
        'authorizer.class.name': 'brook',
        'super.users': 'User:broker',
      },
    },
  ];
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

async function run(name: string, config: Record<string, string>): Promise<void> {
  const etcd = await startEtcd();
  const cluster = await EtcdTestCluster.start([1, 2, 3], { etcd, config });
  try {
    await eventually(() => cluster.broker(1).services.metadata.brokers().length === 3, 'three brokers');
    await cluster.broker(1).services.metadata.createTopic('bench', { assignment: [[1, 2, 3]] });
    const state = () => cluster.broker(1).services.metadata.partitionState('bench', 0);
    await eventually(() => state()?.isr.length === 3 && state()?.leader === 1, 'leader 1, ISR 3');
    const leader = cluster.broker(1);
    // The load logs in exactly like a broker would on this listener.
    const security = interBrokerSecurity(buildConfig({ ...cluster.configFor(1), ...config }));
    const client = await BrokerClient.connect('127.0.0.1', leader.port, 'bench-inter-broker', 5000, security);
    const batch = buildBatch(Array.from({ length: RECORDS_PER_BATCH }, () => ({ value: VALUE })));
    const latencies: number[] = [];
    let next = 0;
    let failed = 0;
    const started = process.hrtime.bigint();
    const worker = async () => {
      while (next < BATCHES) {
        next++;
        const t0 = process.hrtime.bigint();
        const res = await client.request<ProduceResponse>(ApiKey.Produce, 9, {
          transactionalId: null,
          acks: -1,
          timeoutMs: 10_000,
          topicData: [{ name: 'bench', partitionData: [{ index: 0, records: Buffer.from(batch) }] }],
        });
        if (res.responses[0]!.partitionResponses[0]!.errorCode !== 0) failed++;
        latencies.push(Number(process.hrtime.bigint() - t0) / 1e6);
      }
    };
    await Promise.all(Array.from({ length: INFLIGHT }, worker));
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    client.close();
    latencies.sort((a, b) => a - b);
    const mb = (BATCHES * RECORDS_PER_BATCH * VALUE.length) / (1 << 20);
    console.log(
      `${name.padEnd(28)} ${(BATCHES * RECORDS_PER_BATCH / seconds).toFixed(0).padStart(7)} msg/s ${(mb / seconds).toFixed(1).padStart(6)} MiB/s  ` +
        `p50 ${percentile(latencies, 50).toFixed(1)} ms  p99 ${percentile(latencies, 99).toFixed(1)} ms  failed ${failed}`,
    );
  } finally {
    await cluster.stop();
    await etcd.stop();
  }
}

async function main(): Promise<void> {
  const certs = makeTestCerts();
  try {
    console.log(`acks=all, RF=3, ${BATCHES} batches x ${RECORDS_PER_BATCH} records x ${VALUE.length} B, ${INFLIGHT} in flight`);
    for (const v of variants(certs)) await run(v.name, v.config);
  } finally {
    certs.remove();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
