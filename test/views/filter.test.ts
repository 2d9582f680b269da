import { expect } from 'chai';
import { buildRecordBatch } from '../../protocol/records/batch';
import { BATCH } from '../../protocol/records/batchHeader';
import { FilterSyntaxError, MAX_FILTER_NESTING, parseFilter } from '../../src/views/filterParser';
import { filterProblem } from '../../src/views/viewTopics';
import { compareIntegerText, jsonFieldText } from '../../src/views/filterNumbers';
import { compileFilter } from '../../src/views/recordFilter';
import { RecordCursor } from '../../src/views/recordScan';

interface Rec {
  key?: string | null;
  value?: string | null;
  headers?: Record<string, string>;
}

/** Which of the records the filter keeps, by index, walking a real v2 batch with the view's cursor. */
function kept(filter: string, recs: Rec[]): number[] {
  const batch = buildRecordBatch({
    records: recs.map((r) => ({
      key: r.key == null ? null : Buffer.from(r.key),
      value: r.value == null ? null : Buffer.from(r.value),
      headers: Object.entries(r.headers ?? {}).map(([key, value]) => ({ key, value: Buffer.from(value) })),
      timestamp: 1n,
    })),
  });
  const f = compileFilter(filter);
  const c = new RecordCursor();
  c.reset(batch, BATCH.RECORDS, batch.length);
  const out: number[] = [];
  while (c.next()) if (f.matches(c)) out.push(c.offsetDelta);
  return out;
}

function positionOf(text: string): number {
  try {
    parseFilter(text);
  } catch (err) {
    expect(err).to.be.instanceOf(FilterSyntaxError);
    return (err as FilterSyntaxError).position;
  }
  throw new Error(`${text} parsed`);
}

describe('views: filter expressions', () => {
  const tagged = (t: string | null): Rec => (t === null ? {} : { headers: { 'brook-tag': t } });

  it('tag syntax keeps records whose brook-tag (or RocketMQ TAGS / rocketmq_TAGS) header is one of the tags', () => {
    expect(kept('paid || refunded', [tagged('paid'), tagged('new'), tagged('refunded'), tagged(null), tagged('paidx')])).to.deep.equal([0, 2]);
    expect(kept('paid', [{ headers: { TAGS: 'paid' } }, { headers: { rocketmq_TAGS: 'paid' } }, { headers: { tags: 'paid' } }])).to.deep.equal([0, 1]);
    expect(kept('*', [tagged('a'), tagged(null)])).to.deep.equal([0, 1]);
    expect(parseFilter(' a||b ')).to.deep.equal({ kind: 'tags', all: false, tags: ['a', 'b'] });
  });

  it('walks records whose lengths and deltas need multi-byte varints', () => {
    const big = 'v'.repeat(300_000);
    const recs: Rec[] = [tagged('paid'), { value: big, headers: { 'brook-tag': 'paid', pad: 'p'.repeat(200) } }, { key: 'k'.repeat(20_000), value: big, headers: { 'brook-tag': 'new' } }, tagged('paid')];
    expect(kept('paid', recs)).to.deep.equal([0, 1, 3]);
    expect(kept("pad IS NOT NULL OR key = 'x'", recs)).to.deep.equal([1]);
  });

  it('SQL92 subset over headers, key and top-level JSON value fields', () => {
    const recs: Rec[] = [
      { key: 'k1', value: '{"amount": 50, "status": "paid", "vip": true}', headers: { region: 'eu', n: '7' } },
      { key: 'k2', value: '{"amount": 1500, "status": "refunded"}', headers: { region: 'us' } },
      { key: 'k3', value: 'not json', headers: { region: 'eu', n: '12' } },
      { key: null, value: '{"amount": 1000}' },
    ];
    expect(kept('value.amount > 100', recs)).to.deep.equal([1, 3]);
    expect(kept('value.amount BETWEEN 50 AND 1000', recs)).to.deep.equal([0, 3]);
    expect(kept('value.amount NOT BETWEEN 50 AND 1000', recs)).to.deep.equal([1]);
    expect(kept("region = 'eu' AND n >= 10", recs)).to.deep.equal([2]);
    expect(kept("header.region <> 'eu'", recs)).to.deep.equal([1]);
    expect(kept("value.status IN ('paid', 'refunded')", recs)).to.deep.equal([0, 1]);
    expect(kept("value.status NOT IN ('paid')", recs)).to.deep.equal([1]);
    expect(kept('key IS NULL', recs)).to.deep.equal([3]);
    expect(kept('region IS NOT NULL AND NOT (n < 10)', recs)).to.deep.equal([2]);
    expect(kept("key = 'k2' OR value.vip = TRUE", recs)).to.deep.equal([0, 1]);
    expect(kept('value.amount <= 50 OR value.amount = 1000', recs)).to.deep.equal([0, 3]);
    // null is unknown: neither n < 10 nor NOT (n < 10) holds where n is missing
    expect(kept('NOT (n < 10)', recs)).to.deep.equal([2]);
    expect(kept('"region" = \'us\'', recs)).to.deep.equal([1]);
  });

  it('compares two record values numerically when both read as numbers, a quoted literal as text', () => {
    const recs: Rec[] = [{ headers: { n: '10', m: '9' } }, { headers: { n: '9', m: '10' } }, { headers: { n: '10', m: 'x' } }, { headers: { n: '010', m: '10' } }];
    expect(kept('n > m', recs)).to.deep.equal([0]); // 10 > 9 as numbers; '10' > 'x' is false as text
    expect(kept('m < n', recs)).to.deep.equal([0]);
    expect(kept('n = m', recs)).to.deep.equal([3]); // 010 and 10 are the same number
    expect(kept("n = '10'", recs)).to.deep.equal([0, 2]); // a quoted literal compares as text
    expect(kept('n = 10', recs)).to.deep.equal([0, 2, 3]); // a number literal compares as a number
  });

  it('compares strings by code point, not by UTF-16 unit', () => {
    const recs: Rec[] = [{ headers: { s: '\u{1F600}' } }, { headers: { s: '\uFFFF' } }, { headers: { s: 'a' } }];
    expect(kept("s > '\uFFFF'", recs)).to.deep.equal([0]);
    expect(kept("s < '\uFFFF'", recs)).to.deep.equal([2]);
    expect(kept("s >= '\u{1F600}'", recs)).to.deep.equal([0]);
  });

  it('reads hyphenated and dotted words as tags; only a keyword standing alone makes a filter SQL', () => {
    expect(parseFilter('in-stock || paid')).to.deep.equal({ kind: 'tags', all: false, tags: ['in-stock', 'paid'] });
    expect(parseFilter('not-paid||is.new||nullable')).to.deep.equal({ kind: 'tags', all: false, tags: ['not-paid', 'is.new', 'nullable'] });
    expect(kept('in-stock', [tagged('in-stock'), tagged('stock')])).to.deep.equal([0]);
    expect(parseFilter('a IS NULL').kind).to.equal('sql');
    expect(parseFilter('x is null').kind).to.equal('sql');
    // a tag named like a keyword is still refused, as documented
    expect(() => parseFilter('a || null')).to.throw(FilterSyntaxError);
    expect(() => parseFilter('a||null')).to.throw(FilterSyntaxError);
  });

  it('reports the position of a syntax error', () => {
    expect(positionOf('value.amount >')).to.equal(14);
    expect(positionOf("region = 'eu' AND")).to.equal(17);
    expect(positionOf('amount BETWEEN 1 5')).to.equal(17);
    expect(positionOf("status IN ('a' 'b')")).to.equal(15);
    expect(positionOf("status = 'open")).to.equal(9);
    expect(positionOf('paid || || refunded')).to.equal(8);
    expect(positionOf('a = 1 ; b = 2')).to.equal(6);
    expect(positionOf('')).to.equal(0);
    expect(() => parseFilter('amount >')).to.throw(/position 8/);
  });

  it("refuses a '-' or '.' that starts no number, and nesting past the cap, as syntax errors with a position", () => {
    expect(positionOf('a = -.')).to.equal(4);
    expect(positionOf('a > -.x')).to.equal(4);
    expect(positionOf('a = .')).to.equal(4);
    expect(positionOf('a = -x')).to.equal(4);
    expect(kept('n = -.5 OR n = .5 OR n = -5', [{ headers: { n: '-0.5' } }, { headers: { n: '0.5' } }, { headers: { n: '-5' } }, { headers: { n: '5' } }])).to.deep.equal([0, 1, 2]);
    const open = MAX_FILTER_NESTING;
    expect(parseFilter('('.repeat(open) + 'a = 1' + ')'.repeat(open)).kind).to.equal('sql');
    expect(positionOf('('.repeat(open + 1) + 'a = 1' + ')'.repeat(open + 1))).to.equal(open);
    expect(positionOf('('.repeat(3000) + 'a = 1' + ')'.repeat(3000))).to.equal(open);
    expect(positionOf('NOT '.repeat(3000) + 'a = 1')).to.equal(4 * open);
    expect(positionOf('NOT ('.repeat(60) + 'a = 1' + ')'.repeat(60))).to.equal(5 * 50);
    expect(kept('NOT '.repeat(open) + "a = '1'", [{ headers: { a: '1' } }, { headers: { a: '2' } }])).to.deep.equal([0]);
    // the config check answers every bad filter with its reason (INVALID_CONFIG), never with an exception
    expect(filterProblem('a = -.')).to.equal("unexpected character '-' at position 4");
    expect(filterProblem('('.repeat(3000) + 'a = 1' + ')'.repeat(3000))).to.equal(`nested deeper than ${open} levels of parentheses and NOT at position ${open}`);
  });

  it('keeps AND / OR chains flat, so a chain of thousands of terms parses and evaluates without deep recursion', () => {
    const chain = 'a=1 OR '.repeat(20_000) + 'a=2';
    const parsed = parseFilter(chain);
    expect(parsed.kind === 'sql' && parsed.condition.kind === 'or' && parsed.condition.terms.length).to.equal(20_001);
    expect(kept(chain, [{ headers: { a: '2' } }, { headers: { a: '3' } }, { headers: { a: '1' } }])).to.deep.equal([0, 2]);
    expect(kept('a<>1 AND '.repeat(20_000) + 'b=1', [{ headers: { a: '2', b: '1' } }, { headers: { a: '1', b: '1' } }, { headers: { a: '2' } }])).to.deep.equal([0]);
    // parentheses around a chain of the same kind merge into it
    const merged = parseFilter('(a=1 OR b=1) OR (c=1 OR (d=1)) OR e=1 AND f=1');
    expect(merged.kind === 'sql' && merged.condition.kind === 'or' && merged.condition.terms.map((t) => t.kind)).to.deep.equal(['compare', 'compare', 'compare', 'compare', 'and']);
    // three-valued logic over n terms: a false term decides AND, a true one OR, else an unknown one leaves it unknown
    const recs: Rec[] = [{ headers: { a: '1', b: '1' } }, { headers: { a: '1' } }, { headers: { a: '2' } }, {}];
    expect(kept('a = 1 AND c IS NULL AND b = 1', recs)).to.deep.equal([0]);
    expect(kept('NOT (a = 1 AND b = 1 AND c IS NULL)', recs)).to.deep.equal([2]); // record 1: b unknown, so NOT unknown
    expect(kept('NOT (b = 1 OR a = 2 OR x = 1)', recs)).to.deep.equal([]); // records 1, 3: an unknown term and no true one
    expect(kept('b = 1 OR a = 2 OR x = 1', recs)).to.deep.equal([0, 2]);
  });

  it('compares integers exactly, only strict decimal text as a number, and fractions or exponents as doubles', () => {
    const uids = ['1790000000000000001', '1790000000000000000', '0x10', ' 16 ', '16', '16.0', '1.6e1', '+16', '016', '-0', '0', '', '9223372036854775808'];
    const recs: Rec[] = uids.map((uid) => ({ headers: { uid } }));
    const keep = (f: string) => kept(f, recs).map((i) => uids[i]);
    expect(keep('uid = 1790000000000000001')).to.deep.equal(['1790000000000000001']);
    expect(keep('uid > 1790000000000000000')).to.deep.equal(['1790000000000000001', '9223372036854775808']);
    expect(keep('uid >= 1790000000000000000 AND uid < 1790000000000000001')).to.deep.equal(['1790000000000000000']);
    // hex, blanks and '+' are no numbers (unknown, so not even <> selects them); 16.0 and 1.6e1 compare as doubles
    expect(keep('uid = 16')).to.deep.equal(['16', '16.0', '1.6e1', '016']);
    expect(keep('uid <> 16')).to.deep.equal(['1790000000000000001', '1790000000000000000', '-0', '0', '9223372036854775808']);
    expect(keep('uid = 0')).to.deep.equal(['-0', '0']);
    expect(keep('uid IN (16, 9223372036854775808)')).to.deep.equal(['16', '16.0', '1.6e1', '016', '9223372036854775808']);
    expect(keep('uid BETWEEN 1 AND 1790000000000000000')).to.deep.equal(['1790000000000000000', '16', '16.0', '1.6e1', '016']);
    // doubles once a side has a fraction: 1790000000000000001 and ...000 are the same double
    expect(keep('uid = 1790000000000000000.0')).to.deep.equal(['1790000000000000001', '1790000000000000000']);
    expect(keep('uid < -1')).to.deep.equal([]);
    // two record values: exact as well
    const pairs: Rec[] = [{ headers: { n: '1790000000000000001', m: '1790000000000000000' } }, { headers: { n: '-9223372036854775809', m: '-9223372036854775808' } }, { headers: { n: '0x10', m: '16' } }];
    expect(kept('n > m', pairs)).to.deep.equal([0]);
    expect(kept('n < m', pairs)).to.deep.equal([1, 2]); // '0x10' is no number: that pair compares as text
    expect(kept('n <> m', pairs)).to.deep.equal([0, 1, 2]);
    expect(kept('n = 16 OR m = 16', pairs)).to.deep.equal([2]);
  });

  it('compares JSON integers beyond 2^53 exactly, by their digits in the value', () => {
    const values = [
      '{"uid": 1790000000000000001, "note": "a } \\" , {"}',
      '{"nested": {"uid": 1, "list": [1790000000000000001, "]"]}, "uid": 1790000000000000000}',
      '{"uid": 1790000000000000001, "uid": 1790000000000000002}',
      '{"u\\u0069d": 1790000000000000001}',
      '{"uid": 1.790000000000000001e18}',
      '{"uid": "1790000000000000001"}',
      '{"uid": 16}',
    ];
    const recs: Rec[] = values.map((value) => ({ value }));
    expect(kept('value.uid = 1790000000000000001', recs)).to.deep.equal([0, 3, 4, 5]); // 4: a double; 5: text of a number
    expect(kept('value.uid > 1790000000000000001', recs)).to.deep.equal([2]); // the last of duplicate fields counts, as in JSON.parse
    expect(kept('value.uid < 1790000000000000001', recs)).to.deep.equal([1, 6]);
    expect(kept('value.uid = 16', recs)).to.deep.equal([6]);
    expect(jsonFieldText(' { "a" : [ {"b": "}"} ] , "c":-12e3 } ', 'c')).to.equal('-12e3');
    expect(jsonFieldText('{"a": {"c": 1}}', 'c')).to.equal(null);
    expect(jsonFieldText('[1]', 'c')).to.equal(null);
  });

  it('orders integer text by its digits', () => {
    expect(compareIntegerText('-0', '0')).to.equal(0);
    expect(compareIntegerText('000123', '123')).to.equal(0);
    expect(compareIntegerText('99', '100')).to.equal(-1);
    expect(compareIntegerText('-99', '-100')).to.equal(1);
    expect(compareIntegerText('-1', '0')).to.equal(-1);
    expect(compareIntegerText('12345678901234567890123', '12345678901234567890124')).to.equal(-1);
    expect(compareIntegerText('-0000', '-0')).to.equal(0);
  });
});
