import { expect } from 'chai';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { mergeLegacySpec, type RawSpecJson } from '../../protocol/generator/legacyMerge';
import { loadSpecs, stripComments } from '../../protocol/generator/spec';
import { SPEC_DIR, specsAvailable } from './generated-samples';

function spec(validVersions: string, fields: RawSpecJson['fields']): RawSpecJson {
  return { name: 'TestRequest', validVersions, flexibleVersions: '9+', fields };
}

describe('legacy spec merge (versions Kafka 4.0 dropped)', () => {
  it('joins the legacy range below the current one and keeps fields only old versions had, in their old place', () => {
    const legacy = spec('0-11', [
      { name: 'A', type: 'int32', versions: '0+' },
      { name: 'Old', type: 'int64', versions: '0', default: '1' },
      { name: 'B', type: 'string', versions: '0+' },
    ]);
    const current = spec('3-13', [
      { name: 'A', type: 'int32', versions: '0+' },
      { name: 'B', type: 'string', versions: '0-12', ignorable: true },
      { name: 'New', type: 'uuid', versions: '13+' },
    ]);
    const merged = mergeLegacySpec(legacy, current);
    expect(merged.validVersions).to.equal('0-13');
    expect(merged.fields.map((f) => [f.name, f.versions])).to.deep.equal([
      ['A', '0+'],
      ['Old', '0'],
      ['B', '0-12'],
      ['New', '13+'],
    ]);
  });

  it('keeps a current spec that already covers the legacy versions as it is', () => {
    const s = spec('0-5', [{ name: 'A', type: 'int32', versions: '0+' }]);
    expect(mergeLegacySpec(spec('0-4', s.fields), s)).to.equal(s);
  });

  it('refuses a field whose type changed, and ranges that leave a hole at the cut', () => {
    expect(() => mergeLegacySpec(spec('0-4', [{ name: 'A', type: 'int32', versions: '0+' }]), spec('2-5', [{ name: 'A', type: 'int64', versions: '0+' }]))).to.throw(/type changed/);
    expect(() => mergeLegacySpec(spec('0-4', [{ name: 'A', type: 'int32', versions: '0-1' }]), spec('2-5', [{ name: 'A', type: 'int32', versions: '3+' }]))).to.throw(/one range/);
  });

  it('gives every refreshed API its dropped versions back from legacy/', function () {
    if (!specsAvailable()) this.skip();
    const legacyDir = join(SPEC_DIR, '..', 'legacy');
    if (!existsSync(legacyDir)) this.skip();
    const byFile = new Map(loadSpecs(SPEC_DIR).map((s) => [s.fileName, s]));
    for (const f of ['ProduceRequest.json', 'FetchRequest.json', 'ListOffsetsResponse.json', 'OffsetCommitRequest.json', 'RequestHeader.json']) {
      const old = JSON.parse(stripComments(readFileSync(join(legacyDir, f), 'utf8'))) as RawSpecJson;
      const low = Number(old.validVersions.split('-')[0]);
      expect(byFile.get(f)!.validVersions.low, f).to.equal(low);
    }
    // ListOffsets v0's list of offsets survives only in the legacy spec.
    const partition = byFile.get('ListOffsetsResponse.json')!.structs.find((s) => s.specName === 'ListOffsetsPartitionResponse')!;
    expect(partition.fields.find((f) => f.specName === 'OldStyleOffsets')!.versions).to.deep.equal({ low: 0, high: 0 });
  });
});
