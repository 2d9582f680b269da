/**
 * How long after a broker is cut off from etcd it fences itself (session 'lost'),
 * against when the other brokers see its registration expire (the controller can
 * move leadership only after that). Run: npx tsx bench/sessionFencing.ts
 */
import { startEtcd } from '../test/helpers/etcd';
import { TcpProxy } from '../test/helpers/tcpProxy';
import { EtcdMetadataService } from '../src/metadata/etcd/etcdMetadataService';
import { clusterConfig } from '../src/metadata/etcd/clusterConfig';
import { createLogger } from '../src/log';

async function main() {
  const etcd = await startEtcd();
  const results: Array<{ timeout: number; lostAfterCut: number; expiredAfterCut: number }> = [];
  for (const timeout of [2000, 3000, 6000]) {
    for (let run = 0; run < 3; run++) {
      const proxy = await TcpProxy.start('127.0.0.1', Number(new URL(etcd.endpoint).port));
      const prefix = `/bench-${timeout}-${run}`;
      const mk = async (id: number, ep: string) => {
        const s = await EtcdMetadataService.open({ cluster: clusterConfig({ raw: { 'etcd.endpoints': ep, 'etcd.prefix': prefix, 'broker.session.timeout.ms': String(timeout) } }), self: { nodeId: id, host: '127.0.0.1', port: 9000 + id, rack: null }, defaultPartitions: 1, defaultReplicationFactor: 1, logger: createLogger('silent') });
        await s.setSelf(s.self());
        return s;
      };
      const a = await mk(1, etcd.endpoint);
      const b = await mk(2, proxy.url);
      while (a.brokers().length < 2) await new Promise((r) => setTimeout(r, 20));
      await new Promise((r) => setTimeout(r, Math.random() * 1000));
      let lostAt = 0;
      b.onSessionChange((st) => { if (st === 'lost' && !lostAt) lostAt = Date.now(); });
      const cut = Date.now();
      proxy.blackhole();
      while (a.brokers().length > 1) await new Promise((r) => setTimeout(r, 5));
      const expired = Date.now();
      results.push({ timeout, lostAfterCut: lostAt - cut, expiredAfterCut: expired - cut });
      await a.close();
      proxy.heal();
      await b.close();
      await proxy.close();
    }
  }
  console.table(results);
  await etcd.stop();
}
void main();
