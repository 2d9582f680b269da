import { expect } from 'chai';
import { ScramSaslServer } from '../../src/security/scram/server';
import { credentialFromPassword, credentialFromSaltedPassword, saltedPassword, SCRAM_SHA_256, SCRAM_SHA_512, type ScramCredential } from '../../src/security/scram/credential';
import { decodeSaslName, encodeSaslName, parseClientFinal, parseClientFirst } from '../../src/security/scram/messages';
import { ScramTestClient } from '../helpers/scramClient';
import type { SaslStep } from '../../src/security/sasl/mechanism';

function reply(step: SaslStep): Buffer {
  if (step.kind === 'failed') throw new Error(`unexpected failure: ${step.detail}`);
  return step.reply;
}

describe('SCRAM server (RFC 5802 / 7677)', () => {
  it('reproduces the SCRAM-SHA-256 example exchange of RFC 7677 byte for byte', () => {
    const salt = Buffer.from('W22ZaJ0SNY7soEsUEjb6gQ==', 'base64');
    const cred = credentialFromSaltedPassword(SCRAM_SHA_256, saltedPassword(SCRAM_SHA_256, 'pencil', salt, 4096), salt, 4096);
    const server = new ScramSaslServer(SCRAM_SHA_256, (u) => (u === 'user' ? cred : null), () => '%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0');
    const first = server.evaluate(Buffer.from('n,,n=user,r=rOprNGfwEbeRWgbNEkqO'));
    expect(reply(first).toString()).to.equal('r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096');
    const final = server.evaluate(
      Buffer.from('c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ='),
    );
    expect(final.kind).to.equal('done');
    expect(reply(final).toString()).to.equal('v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=');
    expect(final.kind === 'done' && final.principal).to.equal('User:user');
  });

  for (const mech of [SCRAM_SHA_256, SCRAM_SHA_512]) {
    const creds = new Map<string, ScramCredential>([['alice', credentialFromPassword(mech, 'alice-secret')]]);
    const lookup = (u: string) => creds.get(u) ?? null;

    it(`${mech.name}: a client with the right password authenticates and can verify the server`, () => {
      const client = new ScramTestClient(mech, 'alice', 'alice-secret');
      const server = new ScramSaslServer(mech, lookup);
      const serverFirst = reply(server.evaluate(client.first()));
      const done = server.evaluate(client.final(serverFirst));
      expect(done.kind).to.equal('done');
      expect(client.verifyServerFinal(reply(done))).to.equal(true);
    });

    it(`${mech.name}: a wrong password and an unknown user fail the same way, at the proof`, () => {
      for (const [user, password] of [['alice', 'wrong'], ['mallory', 'x']]) {
        const client = new ScramTestClient(mech, user, password);
        const server = new ScramSaslServer(mech, lookup);
        const first = server.evaluate(client.first());
        expect(first.kind, user).to.equal('challenge');
        const final = server.evaluate(client.final(reply(first)));
        expect(final.kind).to.equal('failed');
        expect(final.kind === 'failed' && final.message).to.equal(`Authentication failed during authentication due to invalid credentials with SASL mechanism ${mech.name}`);
      }
    });

    it(`${mech.name}: an unknown user's salt is stable, so probing twice cannot tell it from a real one`, () => {
      const salts = [0, 1].map(() => {
        const server = new ScramSaslServer(mech, lookup);
        return reply(server.evaluate(Buffer.from('n,,n=ghost,r=abc'))).toString().split(',')[1];
      });
      expect(salts[0]).to.equal(salts[1]);
    });
  }

  it('refuses a tampered nonce, a wrong channel binding, a replayed final message and messages after the end', () => {
    const mech = SCRAM_SHA_256;
    const cred = credentialFromPassword(mech, 'pw');
    const lookup = () => cred;
    const run = (tamper: (final: string) => string) => {
      const client = new ScramTestClient(mech, 'bob', 'pw');
      const server = new ScramSaslServer(mech, lookup);
      const final = client.final(reply(server.evaluate(client.first()))).toString();
      return server.evaluate(Buffer.from(tamper(final)));
    };
    expect(run((f) => f.replace(/r=[^,]*/, 'r=other'))).to.include({ kind: 'failed' });
    expect(run((f) => f.replace('c=biws', `c=${Buffer.from('y,,').toString('base64')}`))).to.include({ kind: 'failed' });
    expect(run((f) => f.replace(/p=.*/, `p=${Buffer.alloc(32, 1).toString('base64')}`))).to.include({ kind: 'failed' });
    expect(run((f) => f.replace(/p=.*/, 'p=AAAA'))).to.include({ kind: 'failed' });
    const client = new ScramTestClient(mech, 'bob', 'pw');
    const server = new ScramSaslServer(mech, lookup);
    const final = client.final(reply(server.evaluate(client.first())));
    expect(server.evaluate(final).kind).to.equal('done');
    expect(server.evaluate(final).kind).to.equal('failed');
  });

  it('refuses malformed client-first messages', () => {
    const server = () => new ScramSaslServer(SCRAM_SHA_256, () => null);
    for (const bad of ['', 'garbage', 'n,,', 'n,,r=abc', 'n,,n=,r=abc', 'n,,n=a,r=', 'p=tls-unique,,n=a,r=b', 'n,,m=ext,n=a,r=b', 'n,,n=a=b,r=c', 'n,a=x,n=y,r=z', 'n,,n=a,r=b,tokenauth=true', '\u0000\u0001\u0002']) {
      expect(server().evaluate(Buffer.from(bad)).kind, JSON.stringify(bad)).to.equal('failed');
    }
  });

  it('parses and escapes saslnames and the final message', () => {
    expect(encodeSaslName('a,b=c')).to.equal('a=2Cb=3Dc');
    expect(decodeSaslName('a=2Cb=3Dc')).to.equal('a,b=c');
    expect(decodeSaslName('a=4')).to.equal(null);
    expect(parseClientFirst('n,,n=a=2Cb,r=xyz')).to.include({ username: 'a,b', nonce: 'xyz', bare: 'n=a=2Cb,r=xyz', gs2Header: 'n,,' });
    expect(parseClientFinal('c=biws,r=abc,p=AAAA')).to.include({ nonce: 'abc', withoutProof: 'c=biws,r=abc' });
    expect(parseClientFinal('c=biws,p=AAAA')).to.equal(null);
  });
});
