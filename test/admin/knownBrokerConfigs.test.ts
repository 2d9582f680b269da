import { expect } from 'chai';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import * as path from 'node:path';
import { isKnownBrokerConfig, unknownBrokerConfigs } from '../../src/admin/knownBrokerConfigs';
import { startTestBroker } from '../helpers/broker';
import { memoryLogger } from '../helpers/memoryLogger';

const SRC = path.resolve(__dirname, '../../src');
// client-side properties (the CLI's --command-config, the REST proxy's consumer instances) are not the broker's
const NOT_BROKER = [/^cli\//, /^http\/rest\//];

function sources(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    const file = path.join(dir, name);
    if (statSync(file).isDirectory()) sources(file, out);
    else if (name.endsWith('.ts')) out.push(file);
  }
  return out;
}

const NAME = `'([a-z][a-z0-9-]*(?:\\.[a-z0-9-]+)+)'`;
/** The ways src/ reads a broker property: raw['x'] / props['x'], and the small parsing helpers given the name. */
const READS = [
  new RegExp(`\\b(?:raw|props|config\\.raw|cfg\\.raw)\\[\\s*${NAME}\\s*\\]`, 'g'),
  new RegExp(`\\b(?:intProp|boolProp|intOf|positiveInt|nonNegativeInt|num|listenerProp)\\([^()]*?${NAME}`, 'g'),
];

describe('admin: unknown broker properties', function () {
  this.timeout(60_000);

  it('knows every property src/ reads', () => {
    const read = new Map<string, string>();
    for (const file of sources(SRC)) {
      const rel = path.relative(SRC, file);
      if (NOT_BROKER.some((r) => r.test(rel))) continue;
      const text = readFileSync(file, 'utf8');
      for (const re of READS) for (const m of text.matchAll(re)) read.set(m[1]!, rel);
    }
    expect(read.size).to.be.greaterThan(60);
    const missing = [...read].filter(([name]) => !isKnownBrokerConfig(name)).map(([name, where]) => `${name} (${where})`);
    expect(missing, 'add them to READ_WHERE_USED in src/admin/knownBrokerConfigs.ts').to.deep.equal([]);
  });

  it('flags typos and foreign keys, not per-listener keys, Brook extensions, log.* synonyms or Kafka names Brook reads', () => {
    expect(
      unknownBrokerConfigs({
        'bogus.key': '1',
        'num.partitons': '3',
        'brook.max.inflight.request': '5',
        'num.partitions': '3',
        'log.retention.hours': '1',
        'listener.name.sasl_ssl.plain.sasl.jaas.config': 'x',
        'listener.name.internal.ssl.client.auth': 'required',
        'brook.max.inflight.requests': '10',
        'brook.http.rate.limit.per.sec': '0',
        'brook.ssl.handshake.timeout.ms': '1000',
        'group.share.record.lock.duration.ms': '30000',
        'leader.replication.throttled.rate': '1000',
        'offsets.topic.replication.factor': '1',
        'process.roles': 'broker',
        'ssl.keystore.location': '/k.pem',
      }),
    ).to.deep.equal(['bogus.key', 'brook.max.inflight.request', 'group.share.record.lock.duration.ms', 'num.partitons']);
  });

  it('a broker given unknown properties says so once at start, and starts', async () => {
    const log = memoryLogger();
    const b = await startTestBroker({ logger: log, config: { 'bogus.key': '1', 'num.partitons': '3', 'num.partitions': '2', 'listener.name.plaintext.foo.bar': 'x' } });
    try {
      const warned = log.entries.filter((e) => /Brook does not know/.test(e.msg));
      expect(warned).to.have.length(1);
      expect(warned[0]!.level).to.equal('warn');
      expect(warned[0]!.fields.unknown).to.deep.equal(['bogus.key', 'num.partitons']);
    } finally {
      await b.destroy();
    }
  });
});
