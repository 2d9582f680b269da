import { expect } from 'chai';
import { parseJaasConfig, plainUsersFromJaas } from '../../src/security/sasl/jaas';
import { PlainSaslServer } from '../../src/security/sasl/plain';
import { createSaslServer, listenerSaslSettings } from '../../src/security/sasl/listenerSasl';

describe('SASL PLAIN and JAAS configuration', () => {
  it('reads PLAIN users from a PlainLoginModule entry, with quoted and bare values and escapes', () => {
    const users = plainUsersFromJaas(
      'org.apache.kafka.common.security.plain.PlainLoginModule required username="admin" password="admin-secret" user_admin="admin-secret" user_alice="al\\"ice" user_bob=bare;',
    );
    expect([...users]).to.deep.equal([
      ['admin', 'admin-secret'],
      ['alice', 'al"ice'],
      ['bob', 'bare'],
    ]);
    expect(parseJaasConfig('a.B required x="1"; c.D optional;')).to.deep.equal([
      { loginModule: 'a.B', flag: 'required', options: { x: '1' } },
      { loginModule: 'c.D', flag: 'optional', options: {} },
    ]);
    expect(() => parseJaasConfig('a.B required x="1"')).to.throw(/missing ";"/);
    expect(() => parseJaasConfig('a.B required x="1;')).to.throw(/unterminated/);
  });

  it('PLAIN accepts the right password, an authzid equal to the user, and refuses everything else', () => {
    const pw = (u: string) => (u === 'alice' ? 'secret' : null);
    const step = (msg: string) => new PlainSaslServer(pw).evaluate(Buffer.from(msg));
    expect(step('\u0000alice\u0000secret')).to.deep.equal({ kind: 'done', reply: Buffer.alloc(0), principal: 'User:alice' });
    expect(step('alice\u0000alice\u0000secret').kind).to.equal('done');
    for (const bad of ['\u0000alice\u0000wrong', '\u0000alice\u0000secre', '\u0000mallory\u0000secret', 'bob\u0000alice\u0000secret', '\u0000\u0000secret', '\u0000alice\u0000', 'alice secret', '\u0000a\u0000b\u0000c']) {
      expect(step(bad).kind, JSON.stringify(bad)).to.equal('failed');
    }
    const once = new PlainSaslServer(pw);
    expect(once.evaluate(Buffer.from('\u0000alice\u0000secret')).kind).to.equal('done');
    expect(once.evaluate(Buffer.from('\u0000alice\u0000secret')).kind).to.equal('failed');
  });

  it('looks the JAAS text and mechanisms up per listener first, then broker-wide', () => {
    const props = {
      'sasl.enabled.mechanisms': 'SCRAM-SHA-512',
      'listener.name.internal.sasl.enabled.mechanisms': 'PLAIN, scram-sha-256',
      'listener.name.internal.plain.sasl.jaas.config': 'x.PlainLoginModule required user_a="1";',
      'sasl.jaas.config': 'x.PlainLoginModule required user_b="2";',
      'connections.max.reauth.ms': '60000',
    };
    const internal = listenerSaslSettings(props, 'INTERNAL');
    expect(internal.enabledMechanisms).to.deep.equal(['PLAIN', 'SCRAM-SHA-256']);
    expect([...internal.plainUsers.keys()]).to.deep.equal(['a']);
    expect(internal.maxReauthMs).to.equal(60000);
    expect(internal.failedAuthenticationDelayMs).to.equal(100);
    expect(listenerSaslSettings({ 'connection.failed.authentication.delay.ms': '0' }, 'X').failedAuthenticationDelayMs).to.equal(0);
    const other = listenerSaslSettings(props, 'SASL_PLAINTEXT');
    expect(other.enabledMechanisms).to.deep.equal(['SCRAM-SHA-512']);
    expect([...other.plainUsers.keys()]).to.deep.equal(['b']);
    expect(createSaslServer(other, 'PLAIN', undefined)).to.equal(null);
    expect(createSaslServer(other, 'SCRAM-SHA-512', undefined)?.mechanism).to.equal('SCRAM-SHA-512');
    expect(() => listenerSaslSettings({ 'sasl.enabled.mechanisms': 'GSSAPI' }, 'X')).to.throw(/GSSAPI is not supported/);
    expect(listenerSaslSettings({}, 'X').enabledMechanisms).to.deep.equal(['PLAIN', 'SCRAM-SHA-256', 'SCRAM-SHA-512']);
  });
});
