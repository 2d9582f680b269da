import { expect } from 'chai';
import { chmodSync, mkdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { FileScramStore, SCRAM_FILE } from '../../src/security/scram/fileStore';
import { credentialFromPassword, SCRAM_SHA_256, SCRAM_SHA_512 } from '../../src/security/scram/credential';
import { tempDataDir } from '../helpers/tempDir';

describe('SCRAM credential file store', () => {
  it('persists salted credentials as plain JSON, reloads them, and tells listeners of changes', async () => {
    const dir = tempDataDir();
    try {
      const store = await FileScramStore.open(dir);
      const seen: string[] = [];
      store.onChange((changes) => seen.push(...changes.map((c) => `${c.credential ? '+' : '-'}${c.user}/${c.mechanism.name}`)));
      const cred = credentialFromPassword(SCRAM_SHA_256, 'pw', 4096, Buffer.alloc(16, 3));
      await store.apply([
        { user: 'a', mechanism: SCRAM_SHA_256, credential: cred },
        { user: 'a', mechanism: SCRAM_SHA_512, credential: credentialFromPassword(SCRAM_SHA_512, 'pw') },
        { user: 'b', mechanism: SCRAM_SHA_256, credential: cred },
      ]);
      await store.apply([{ user: 'b', mechanism: SCRAM_SHA_256, credential: null }]);
      expect(seen).to.deep.equal(['+a/SCRAM-SHA-256', '+a/SCRAM-SHA-512', '+b/SCRAM-SHA-256', '-b/SCRAM-SHA-256']);
      const json = JSON.parse(readFileSync(`${dir}/${SCRAM_FILE}`, 'utf8')) as { version: number; users: Record<string, Record<string, { salt: string }>> };
      expect(json.version).to.equal(1);
      expect(statSync(`${dir}/${SCRAM_FILE}`).mode & 0o777, 'owner-only, like dynamic-broker-configs.json').to.equal(0o600);
      expect(Object.keys(json.users)).to.deep.equal(['a']);
      expect(json.users.a['SCRAM-SHA-256'].salt).to.equal(Buffer.alloc(16, 3).toString('base64'));
      chmodSync(`${dir}/${SCRAM_FILE}`, 0o644);
      const again = await FileScramStore.open(dir);
      expect(statSync(`${dir}/${SCRAM_FILE}`).mode & 0o777, 'a wider file from an older version is tightened at open').to.equal(0o600);
      expect(again.get('a', SCRAM_SHA_256)).to.deep.equal(cred);
      expect(again.get('b', SCRAM_SHA_256)).to.equal(null);
      expect(again.users().map((u) => [u.user, u.credentials.map((c) => c.mechanism.name)])).to.deep.equal([['a', ['SCRAM-SHA-256', 'SCRAM-SHA-512']]]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a failed write changes nothing in memory and later writes still work', async () => {
    const dir = tempDataDir();
    try {
      const store = await FileScramStore.open(dir);
      // The data dir vanishing makes the write fail, even for root.
      rmSync(dir, { recursive: true, force: true });
      const err = await store.apply([{ user: 'x', mechanism: SCRAM_SHA_256, credential: credentialFromPassword(SCRAM_SHA_256, 'pw') }]).then(
        () => null,
        (e: Error) => e,
      );
      expect((err as NodeJS.ErrnoException | null)?.code).to.equal('ENOENT');
      expect(store.get('x', SCRAM_SHA_256)).to.equal(null);
      mkdirSync(dir);
      await store.apply([{ user: 'y', mechanism: SCRAM_SHA_256, credential: credentialFromPassword(SCRAM_SHA_256, 'pw') }]);
      expect(store.users().map((u) => u.user)).to.deep.equal(['y']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
