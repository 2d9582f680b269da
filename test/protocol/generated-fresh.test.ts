import { expect } from 'chai';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { generate, generateRecordSources, listGenerated } from '../../protocol/generator/generate';
import { SPEC_DIR, specsAvailable } from './generated-samples';

const COMMITTED = resolve(__dirname, '..', '..', 'protocol', 'generated');
const COMMITTED_RECORDS = join(COMMITTED, 'coordinator');

describe('generated codecs: committed output is what the generator makes', function () {
  let out: string | undefined;
  after(() => {
    if (out) rmSync(out, { recursive: true, force: true });
  });

  it('regenerating from the specs reproduces protocol/generated exactly', function () {
    if (!specsAvailable()) {
      console.log(`skipped: Kafka specs not found at ${SPEC_DIR}`);
      this.skip();
    }
    out = mkdtempSync(join(tmpdir(), 'brook-gen-'));
    const result = generate(SPEC_DIR, out);
    expect(result.specs).to.be.greaterThan(180);
    expect(listGenerated(out)).to.deep.equal(listGenerated(COMMITTED));
    const stale: string[] = [];
    for (const rel of listGenerated(out)) {
      if (readFileSync(join(out, rel), 'utf8') !== readFileSync(join(COMMITTED, rel), 'utf8')) stale.push(rel);
    }
    expect(stale, 'files that differ: run `npm run gen:protocol`').to.deep.equal([]);
  });

  it('regenerating the coordinator record specs reproduces protocol/generated/coordinator exactly', function () {
    const recordSpecs = join(SPEC_DIR, '..', 'coordinator');
    if (!existsSync(recordSpecs)) {
      console.log(`skipped: coordinator record specs not found at ${recordSpecs}`);
      this.skip();
    }
    const sources = generateRecordSources(recordSpecs);
    expect(sources.size).to.be.greaterThan(20);
    expect(readdirSync(COMMITTED_RECORDS).sort()).to.deep.equal([...sources.keys()].sort());
    const stale = [...sources].filter(([rel, text]) => readFileSync(join(COMMITTED_RECORDS, rel), 'utf8') !== text).map(([rel]) => rel);
    expect(stale, 'files that differ: run `npm run gen:protocol`').to.deep.equal([]);
  });
});
