import { expect } from 'chai';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { generate, listGenerated } from '../../protocol/generator/generate';
import { SPEC_DIR, specsAvailable } from './generated-samples';

const COMMITTED = resolve(__dirname, '..', '..', 'protocol', 'generated');

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
});
