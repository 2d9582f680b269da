import { expect } from 'chai';
import { defaultSegmentHandleCap, openFilesSoftLimit } from '../../src/config/fdLimit';
import { loadConfig } from '../../src/config/load';

const LIMITS = `Limit                     Soft Limit           Hard Limit           Units
Max cpu time              unlimited            unlimited            seconds
Max open files            20000                40000                files
`;

describe('config: default cap on open segment descriptors follows the open-files limit', () => {
  it('reads the soft limit from /proc/self/limits text', () => {
    expect(openFilesSoftLimit(LIMITS)).to.equal(20_000);
    expect(openFilesSoftLimit(LIMITS.replace('20000 ', 'unlimited'))).to.equal(Number.MAX_SAFE_INTEGER);
    expect(openFilesSoftLimit('nothing here')).to.equal(null);
  });

  it('leaves room for 10,000 connections under a 20,000 limit and half of a small limit', () => {
    expect(defaultSegmentHandleCap(20_000)).to.equal(9_760);
    expect(defaultSegmentHandleCap(1_048_576)).to.equal(1_048_576 - 10_240);
    expect(defaultSegmentHandleCap(4_096)).to.equal(4_096 - 2_304);
    expect(defaultSegmentHandleCap(1_024)).to.equal(256);
    expect(defaultSegmentHandleCap(null)).to.equal(8_192);
  });

  it('is the broker default unless brook.log.max.open.segment.handles is set', () => {
    expect(loadConfig({}).maxOpenSegmentHandles).to.equal(defaultSegmentHandleCap());
    expect(loadConfig({ overrides: { 'brook.log.max.open.segment.handles': '1234' } }).maxOpenSegmentHandles).to.equal(1234);
  });
});
