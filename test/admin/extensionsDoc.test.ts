/**
 * docs/EXTENSIONS.md is the one list of Brook's extensions; every broker-, topic- and group-scoped config it names
 * must be listed by DescribeConfigs like Kafka's own, and every `brook.` config DescribeConfigs lists must be
 * documented there.
 */
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { ApiKey } from '../../protocol/generated/apis';
import type { DescribeConfigsResponse } from '../../protocol/generated/messages/DescribeConfigsResponse';
import { startTestBroker, type TestBroker } from '../helpers/broker';
import { RawClient } from '../helpers/rawClient';

const TOPIC = 2;
const BROKER = 4;
const GROUP = 32;

function documentedConfigs(): Map<string, string> {
  const text = readFileSync(resolve(__dirname, '..', '..', 'docs', 'EXTENSIONS.md'), 'utf8');
  const out = new Map<string, string>();
  for (const line of text.split('\n')) {
    const m = /^\| `(brook\.[a-z0-9.]+)` \| ([a-z]+) \|/.exec(line);
    if (m) out.set(m[1], m[2]);
  }
  return out;
}

describe('docs/EXTENSIONS.md and DescribeConfigs agree', () => {
  let broker: TestBroker;
  let client: RawClient;
  before(async () => {
    broker = await startTestBroker();
    client = await RawClient.connect(broker.port);
    await broker.services.metadata.createTopic('ext-doc', { partitions: 1 });
  });
  after(async () => {
    client.close();
    await broker.destroy();
  });

  async function describe(resourceType: number, resourceName: string): Promise<string[]> {
    const res = await client.request<DescribeConfigsResponse>(ApiKey.DescribeConfigs, 4, {
      resources: [{ resourceType, resourceName, configurationKeys: null }],
      includeSynonyms: false,
      includeDocumentation: false,
    });
    expect(res.results[0].errorCode).to.equal(0);
    return res.results[0].configs.map((c) => c.name);
  }

  it('lists every documented broker and topic config, and documents every brook. config it lists', async () => {
    const documented = documentedConfigs();
    expect(documented.size).to.be.greaterThan(0);
    const listed = new Map<string, string[]>([
      ['broker', await describe(BROKER, String(broker.services.config.nodeId))],
      ['topic', await describe(TOPIC, 'ext-doc')],
      ['group', await describe(GROUP, 'ext-doc-group')],
    ]);
    for (const [name, scope] of documented) {
      if (!listed.has(scope)) continue;
      expect(listed.get(scope), `${name} (${scope})`).to.include(name);
    }
    for (const [scope, names] of listed) {
      for (const name of names.filter((n) => n.startsWith('brook.'))) expect(documented.get(name), `${name} listed for ${scope}`).to.equal(scope);
    }
  });
});
