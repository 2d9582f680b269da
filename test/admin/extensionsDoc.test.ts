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

function extensionsDoc(): string {
  return readFileSync(resolve(__dirname, '..', '..', 'docs', 'EXTENSIONS.md'), 'utf8');
}

/**
 * Rows cut off from their table's header (a blank line inside a table) render as a paragraph of pipes, not as
 * table rows: every run of table lines must open with a header and its `|---|` line, with as many columns as rows.
 */
function tableRunsWithoutHeader(text: string): string[] {
  const lines = text.split('\n');
  const bad: string[] = [];
  let i = 0;
  while (i < lines.length) {
    if (!lines[i]!.startsWith('|')) {
      i++;
      continue;
    }
    const start = i;
    while (i < lines.length && lines[i]!.startsWith('|')) i++;
    const run = lines.slice(start, i);
    const columns = (l: string): number => l.replace(/\\\|/g, '').replace(/`[^`]*`/g, '``').split('|').length;
    if (run.length < 2 || !/^\|(\s*:?-+:?\s*\|)+$/.test(run[1]!)) bad.push(`line ${start + 1}: ${run[0]!.slice(0, 60)}`);
    else for (const [k, l] of run.entries()) if (columns(l) !== columns(run[0]!)) bad.push(`line ${start + k + 1}: ${columns(l) - 2} columns, header has ${columns(run[0]!) - 2}`);
  }
  return bad;
}

function documentedConfigs(): Map<string, string> {
  const text = extensionsDoc();
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

  it('has every table row under its table header', () => {
    expect(tableRunsWithoutHeader(extensionsDoc())).to.deep.equal([]);
    // the check itself: a row after a blank line is found
    expect(tableRunsWithoutHeader('| a | b |\n|---|---|\n| 1 | 2 |\n\n| 3 | 4 |\n')).to.deep.equal(['line 5: | 3 | 4 |']);
  });

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
      for (const name of names.filter((n) => n.startsWith('brook.'))) {
        // a listener's settings are listed on the broker too (bare, read-only)
        const where = scope === 'broker' && documented.get(name) === 'listener' ? 'broker' : documented.get(name);
        expect(where, `${name} listed for ${scope}`).to.equal(scope);
      }
    }
  });
});
