import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync } from 'node:fs';
import { ErrorCode, errorName } from '../../../protocol/errors';
import { ApiKey } from '../../../protocol/generated/apis';
import type { AlterUserScramCredentialsResponse } from '../../../protocol/generated/messages/AlterUserScramCredentialsResponse';
import type { DescribeUserScramCredentialsResponse } from '../../../protocol/generated/messages/DescribeUserScramCredentialsResponse';
import { lockDataDir } from '../../metadata/dataDirLock';
import {
  credentialFromPassword,
  MAX_ITERATIONS,
  MIN_ITERATIONS,
  saltedPassword,
  scramMechanismByCode,
  scramMechanismByName,
  type ScramMechanism,
} from '../../security/scram/credential';
import { FileScramStore } from '../../security/scram/fileStore';
import type { ScramCredentialChange } from '../../security/scram/store';
import type { AdminCommand } from './command';
import { CliError, ExitCode, usageError } from './errors';
import { formatJson, formatTable, writeOut, type CliIO } from './io';
import { intValue, type ParsedFlags } from './options';
import { withRawConnection } from './rawConnection';

interface UserRow {
  user: string;
  mechanism: string;
  iterations: number;
}

function mechanisms(flags: ParsedFlags): ScramMechanism[] {
  const names = flags.lists.get('mechanism') ?? ['SCRAM-SHA-256', 'SCRAM-SHA-512'];
  return names.map((n) => {
    const m = scramMechanismByName(n.toUpperCase());
    if (!m) throw usageError(`--mechanism must be SCRAM-SHA-256 or SCRAM-SHA-512, got ${n}`);
    return m;
  });
}

/** Offline: edits the credential file of a stopped broker (how the first users of a SASL-only broker are made). */
async function withDataDir<T>(dataDir: string, create: boolean, fn: (store: FileScramStore) => Promise<T>): Promise<T> {
  // seeding the first users comes before the broker's first start, when its data dir may not exist yet
  if (!existsSync(dataDir)) {
    if (!create) throw new CliError(`no broker data at --data-dir ${dataDir}`);
    mkdirSync(dataDir, { recursive: true });
  }
  let unlock: () => Promise<void>;
  try {
    unlock = await lockDataDir(dataDir);
  } catch (err) {
    throw new CliError(`cannot use --data-dir ${dataDir}: ${(err as Error).message} (stop the broker, or use --bootstrap-server)`);
  }
  try {
    return await fn(await FileScramStore.open(dataDir));
  } finally {
    await unlock();
  }
}

async function listUsers(flags: ParsedFlags, io: CliIO, dataDir: string | undefined): Promise<UserRow[]> {
  if (dataDir !== undefined) {
    return withDataDir(dataDir, false, async (store) => store.users().flatMap((u) => u.credentials.map((c) => ({ user: u.user, mechanism: c.mechanism.name, iterations: c.iterations }))));
  }
  const res = await withRawConnection(flags, io, (c) => c.request<DescribeUserScramCredentialsResponse>(ApiKey.DescribeUserScramCredentials, { users: null }));
  if (res.errorCode !== 0) throw new CliError(`DescribeUserScramCredentials: ${errorName(res.errorCode)}${res.errorMessage ? `: ${res.errorMessage}` : ''}`);
  return res.results.flatMap((r) => r.credentialInfos.map((i) => ({ user: r.user, mechanism: scramMechanismByCode(i.mechanism)?.name ?? `mechanism ${i.mechanism}`, iterations: i.iterations })));
}

async function alter(flags: ParsedFlags, io: CliIO, dataDir: string | undefined, user: string, mechs: ScramMechanism[], password: string | null, iterations: number): Promise<void> {
  if (dataDir !== undefined) {
    await withDataDir(dataDir, password !== null, async (store) => {
      const changes: ScramCredentialChange[] = mechs.map((m) => {
        if (password === null && !store.get(user, m)) throw new CliError(`user ${user} has no ${m.name} credential`);
        return { user, mechanism: m, credential: password === null ? null : credentialFromPassword(m, password, iterations) };
      });
      await store.apply(changes);
    });
    return;
  }
  const res = await withRawConnection(flags, io, (c) =>
    c.request<AlterUserScramCredentialsResponse>(ApiKey.AlterUserScramCredentials, {
      deletions: password === null ? mechs.map((m) => ({ name: user, mechanism: m.code })) : [],
      upsertions:
        password === null
          ? []
          : mechs.map((m) => {
              // The password never leaves this process: the broker gets salt and salted password only.
              const salt = randomBytes(32);
              return { name: user, mechanism: m.code, iterations, salt, saltedPassword: saltedPassword(m, password, salt, iterations) };
            }),
    }),
  );
  const failed = res.results.filter((r) => r.errorCode !== ErrorCode.NONE);
  if (failed.length > 0) throw new CliError(failed.map((r) => `${r.user}: ${errorName(r.errorCode)}${r.errorMessage ? `: ${r.errorMessage}` : ''}`).join('\n'));
}

const scram: AdminCommand = {
  name: 'users scram',
  summary: 'add, delete or list SCRAM users (salted credentials)',
  details: `Examples:
  brook users scram --add alice --password alice-secret --mechanism SCRAM-SHA-256
  brook users scram --delete alice --mechanism SCRAM-SHA-256
  brook users scram --list
  brook users scram --add admin --password s3cret --data-dir ./data   (broker stopped: seeds the first users)
Without --mechanism both SCRAM-SHA-256 and SCRAM-SHA-512 are set. The password is salted here
(PBKDF2, --iterations, default ${MIN_ITERATIONS}) and never sent. Against a running broker this uses
AlterUserScramCredentials / DescribeUserScramCredentials; for a TLS or SASL listener give
--command-config with Kafka client properties (security.protocol, sasl.mechanism, sasl.jaas.config, ssl.*).`,
  flags: {
    add: { kind: 'value', help: 'create or replace the credentials of this user' },
    delete: { kind: 'value', help: 'delete the credentials of this user' },
    list: { kind: 'switch', help: 'list users, mechanisms and iterations' },
    password: { kind: 'value', help: 'password for --add (or env BROOK_SCRAM_PASSWORD)' },
    mechanism: { kind: 'list', help: 'SCRAM-SHA-256 or SCRAM-SHA-512 (repeatable; default both)' },
    iterations: { kind: 'value', help: `PBKDF2 iterations for --add (${MIN_ITERATIONS}..${MAX_ITERATIONS}, default ${MIN_ITERATIONS})` },
    'data-dir': { kind: 'value', help: "edit a stopped broker's data dir directly instead of talking to a broker" },
  },
  async run(flags, io) {
    const add = flags.values.get('add');
    const del = flags.values.get('delete');
    const list = flags.switches.has('list');
    if ([add !== undefined, del !== undefined, list].filter(Boolean).length !== 1) throw usageError('give exactly one of --add USER, --delete USER, --list');
    const dataDir = flags.values.get('data-dir');
    const json = flags.switches.has('json');
    if (list) {
      const rows = await listUsers(flags, io, dataDir);
      await writeOut(io.stdout, json ? formatJson(rows) : formatTable(['USER', 'MECHANISM', 'ITERATIONS'], rows.map((r) => [r.user, r.mechanism, r.iterations])));
      return;
    }
    const user = (add ?? del)!;
    if (user === '') throw usageError('the user name must not be empty');
    const mechs = mechanisms(flags);
    if (add !== undefined) {
      const password = flags.values.get('password') ?? io.env.BROOK_SCRAM_PASSWORD;
      if (password === undefined || password === '') throw usageError('--add needs --password (or env BROOK_SCRAM_PASSWORD)');
      const iterations = intValue(flags, 'iterations', { min: MIN_ITERATIONS, max: MAX_ITERATIONS }) ?? MIN_ITERATIONS;
      await alter(flags, io, dataDir, user, mechs, password, iterations);
      await writeOut(io.stdout, json ? formatJson({ user, added: mechs.map((m) => m.name) }) : `Set ${mechs.map((m) => m.name).join(' and ')} credentials for user ${user}.\n`);
    } else {
      await alter(flags, io, dataDir, user, mechs, null, 0);
      await writeOut(io.stdout, json ? formatJson({ user, deleted: mechs.map((m) => m.name) }) : `Deleted ${mechs.map((m) => m.name).join(' and ')} credentials of user ${user}.\n`);
    }
  },
};

export const userCommands: AdminCommand[] = [scram];
