import { expect } from 'chai';
import { ByteRateQuota } from '../../src/security/quota/byteRateQuota';
import { describeQuotas, MATCH_DEFAULT, MATCH_EXACT, MATCH_SPECIFIED, parseFilter, type QuotaFilter } from '../../src/security/quota/describe';
import { entityFromWire, validateQuotaValue, type QuotaEntity } from '../../src/security/quota/entity';
import { QuotaIndex } from '../../src/security/quota/precedence';
import { applyChanges, type QuotaEntry } from '../../src/security/quota/store';

const P = 'producer_byte_rate';
const e = (entity: QuotaEntity, value: number): QuotaEntry => ({ entity, values: { [P]: value } });

describe('quota entities and precedence', () => {
  // One entry per level, each with a distinct value naming its level.
  const all: QuotaEntry[] = [
    e({ user: 'alice', clientId: 'app' }, 1),
    e({ user: 'alice', clientId: null }, 2),
    e({ user: 'alice' }, 3),
    e({ user: null, clientId: 'app' }, 4),
    e({ user: null, clientId: null }, 5),
    e({ user: null }, 6),
    e({ clientId: 'app' }, 7),
    e({ clientId: null }, 8),
  ];

  it("follows Kafka's 8 levels, most specific first", () => {
    // Remove levels from the top one at a time: the next one must win.
    for (let level = 1; level <= 8; level++) {
      const index = new QuotaIndex(all.slice(level - 1), P);
      expect(index.resolve('alice', 'app')?.limit, `level ${level}`).to.equal(level);
    }
    expect(new QuotaIndex([], P).resolve('alice', 'app')).to.equal(null);
  });

  it('named entities only match their own user or client id', () => {
    const index = new QuotaIndex([e({ user: 'alice', clientId: 'app' }, 1), e({ user: 'alice' }, 3), e({ clientId: 'app' }, 7)], P);
    expect(index.resolve('alice', 'other')?.limit).to.equal(3);
    expect(index.resolve('bob', 'app')?.limit).to.equal(7);
    expect(index.resolve('bob', 'other')).to.equal(null);
  });

  it('a user quota is shared by all client ids of the user; a default user quota is per user', () => {
    const shared = new QuotaIndex([e({ user: 'alice' }, 3)], P);
    expect(shared.resolve('alice', 'a')!.sensorKey).to.equal(shared.resolve('alice', 'b')!.sensorKey);
    const perUser = new QuotaIndex([e({ user: null }, 6)], P);
    expect(perUser.resolve('alice', 'a')!.sensorKey).to.not.equal(perUser.resolve('bob', 'a')!.sensorKey);
    expect(perUser.resolve('alice', 'a')!.sensorKey).to.equal(perUser.resolve('alice', 'b')!.sensorKey);
    const perClient = new QuotaIndex([e({ clientId: null }, 8)], P);
    expect(perClient.resolve('alice', 'a')!.sensorKey).to.equal(perClient.resolve('bob', 'a')!.sensorKey);
    expect(perClient.resolve('alice', 'a')!.sensorKey).to.not.equal(perClient.resolve('alice', 'b')!.sensorKey);
  });

  it('each quota key resolves on its own', () => {
    const entries: QuotaEntry[] = [
      { entity: { user: 'alice' }, values: { consumer_byte_rate: 50 } },
      { entity: { clientId: 'app' }, values: { producer_byte_rate: 70 } },
    ];
    expect(new QuotaIndex(entries, 'producer_byte_rate').resolve('alice', 'app')?.limit).to.equal(70);
    expect(new QuotaIndex(entries, 'consumer_byte_rate').resolve('alice', 'app')?.limit).to.equal(50);
  });

  it('user quotas use the principal name; clients without a client id fall under the empty one', () => {
    const q = new ByteRateQuota(P, { samples: 2, windowMs: 1000 }, [e({ user: 'alice' }, 100), e({ clientId: '' }, 5)]);
    expect(q.match('User:alice', 'x')?.limit).to.equal(100);
    expect(q.match('User:ANONYMOUS', null)?.limit).to.equal(5);
    expect(q.active).to.equal(true);
    expect(new ByteRateQuota(P, { samples: 2, windowMs: 1000 }, []).active).to.equal(false);
  });

  it('records against the shared rate and drops rates idle for a whole window', () => {
    const q = new ByteRateQuota(P, { samples: 2, windowMs: 1000 }, [e({ user: null }, 1000)]);
    expect(q.record('User:a', 'c', 1000, 0)).to.equal(0);
    expect(q.record('User:a', 'd', 1000, 0)).to.equal(1000); // 2000 B in the padded 1 s window
    expect(q.record('User:b', 'c', 1000, 0)).to.equal(0);
    expect(q.trackedClients).to.equal(2);
    q.record('User:c', 'c', 1, 5000);
    expect(q.trackedClients).to.equal(1);
    expect(q.maxBytesInWindow('User:a', 'c')).to.equal(1000);
    const named = new ByteRateQuota(P, { samples: 2, windowMs: 1000 }, [e({ user: 'alice' }, 1000)]);
    expect(named.maxBytesInWindow('User:bob', null)).to.equal(Number.MAX_SAFE_INTEGER);
    expect(named.record('User:bob', null, 1e9, 0)).to.equal(0);
    expect(named.trackedClients).to.equal(0);
  });

  it('validates entities and values like Kafka', () => {
    expect(entityFromWire([])).to.be.a('string');
    expect(entityFromWire([{ entityType: 'group', entityName: 'x' }])).to.match(/unknown/);
    expect(entityFromWire([{ entityType: 'user', entityName: 'a' }, { entityType: 'user', entityName: 'b' }])).to.match(/duplicate/);
    expect(entityFromWire([{ entityType: 'ip', entityName: '1.2.3.4' }, { entityType: 'user', entityName: 'b' }])).to.match(/combined/);
    expect(entityFromWire([{ entityType: 'ip', entityName: 'not-an-ip' }])).to.match(/IP/);
    expect(entityFromWire([{ entityType: 'ip', entityName: '::1' }])).to.deep.equal({ ip: '::1' });
    expect(entityFromWire([{ entityType: 'client-id', entityName: null }, { entityType: 'user', entityName: 'a' }])).to.deep.equal({ clientId: null, user: 'a' });
    expect(validateQuotaValue({ user: 'a' }, 'producer_byte_rate', 1024)).to.equal(null);
    expect(validateQuotaValue({ user: 'a' }, 'producer_byte_rate', 1.5)).to.match(/whole/);
    expect(validateQuotaValue({ user: 'a' }, 'producer_byte_rate', 0)).to.match(/positive/);
    expect(validateQuotaValue({ user: 'a' }, 'producer_byte_rate', 1e300)).to.match(/long/);
    expect(validateQuotaValue({ user: 'a' }, 'consumer_byte_rate', Number.NaN)).to.match(/positive/);
    expect(validateQuotaValue({ user: 'a' }, 'request_percentage', 12.5)).to.equal(null);
    expect(validateQuotaValue({ user: 'a' }, 'connection_creation_rate', 5)).to.match(/not a quota key/);
    expect(validateQuotaValue({ ip: null }, 'connection_creation_rate', 5)).to.equal(null);
    expect(validateQuotaValue({ ip: null }, 'producer_byte_rate', 5)).to.match(/not a quota key/);
    expect(validateQuotaValue({ user: 'a' }, 'flux_capacitance', 5)).to.match(/not a quota key/);
  });

  it('applies changes: set, overwrite, remove, and drops entities left empty', () => {
    let entries = applyChanges([], [{ entity: { user: 'a' }, set: { producer_byte_rate: 1, consumer_byte_rate: 2 }, remove: [] }]);
    entries = applyChanges(entries, [{ entity: { user: 'a' }, set: { producer_byte_rate: 3 }, remove: ['consumer_byte_rate'] }]);
    expect(entries).to.deep.equal([{ entity: { user: 'a' }, values: { producer_byte_rate: 3 } }]);
    expect(applyChanges(entries, [{ entity: { user: 'a' }, set: {}, remove: ['producer_byte_rate'] }])).to.deep.equal([]);
    // default and named entities are different entities
    expect(applyChanges(entries, [{ entity: { user: null }, set: { producer_byte_rate: 9 }, remove: [] }])).to.have.length(2);
  });

  describe('DescribeClientQuotas filters', () => {
    const entries: QuotaEntry[] = [
      e({ user: 'alice' }, 1),
      e({ user: null }, 2),
      e({ user: 'alice', clientId: 'app' }, 3),
      e({ clientId: 'app' }, 4),
      { entity: { ip: '10.0.0.1' }, values: { connection_creation_rate: 5 } },
    ];
    const run = (components: Parameters<typeof parseFilter>[0], strict: boolean): number[] => {
      const f = parseFilter(components, strict) as QuotaFilter;
      expect(f).to.be.an('object');
      return describeQuotas(entries, f).map((x) => x.values[P] ?? x.values.connection_creation_rate);
    };

    it('exact, default and specified matches, strict or not', () => {
      expect(run([{ entityType: 'user', matchType: MATCH_EXACT, match: 'alice' }], false)).to.deep.equal([1, 3]);
      expect(run([{ entityType: 'user', matchType: MATCH_EXACT, match: 'alice' }], true)).to.deep.equal([1]);
      expect(run([{ entityType: 'user', matchType: MATCH_DEFAULT, match: null }], false)).to.deep.equal([2]);
      expect(run([{ entityType: 'user', matchType: MATCH_SPECIFIED, match: null }], false)).to.deep.equal([1, 3]);
      expect(run([{ entityType: 'client-id', matchType: MATCH_SPECIFIED, match: null }], true)).to.deep.equal([4]);
      expect(
        run(
          [
            { entityType: 'user', matchType: MATCH_SPECIFIED, match: null },
            { entityType: 'client-id', matchType: MATCH_EXACT, match: 'app' },
          ],
          true,
        ),
      ).to.deep.equal([3]);
      expect(run([], false)).to.deep.equal([1, 2, 3, 4, 5]);
      expect(run([], true)).to.deep.equal([]);
      expect(run([{ entityType: 'ip', matchType: MATCH_SPECIFIED, match: null }], true)).to.deep.equal([5]);
    });

    it('refuses invalid filters', () => {
      expect(parseFilter([{ entityType: 'user', matchType: MATCH_EXACT, match: null }], false)).to.be.a('string');
      expect(parseFilter([{ entityType: 'user', matchType: MATCH_DEFAULT, match: 'x' }], false)).to.be.a('string');
      expect(parseFilter([{ entityType: 'user', matchType: 7, match: null }], false)).to.be.a('string');
      expect(parseFilter([{ entityType: 'topic', matchType: MATCH_DEFAULT, match: null }], false)).to.be.a('string');
      expect(
        parseFilter(
          [
            { entityType: 'user', matchType: MATCH_DEFAULT, match: null },
            { entityType: 'user', matchType: MATCH_SPECIFIED, match: null },
          ],
          false,
        ),
      ).to.be.a('string');
      expect(
        parseFilter(
          [
            { entityType: 'ip', matchType: MATCH_DEFAULT, match: null },
            { entityType: 'user', matchType: MATCH_SPECIFIED, match: null },
          ],
          false,
        ),
      ).to.be.a('string');
    });
  });
});
