import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { eventually } from './eventually';

/**
 * A current librdkafka (the one @confluentinc/kafka-javascript bundles), built once per machine into a cache
 * outside the repository, for tests that run Debian's kcat and confluent-kafka against it (LD_LIBRARY_PATH,
 * same soname librdkafka.so.1) or compile C programs against it.
 */
export const LIBRDKAFKA_VERSION = '2.15.1';

export interface LibrdkafkaBuild {
  version: string;
  /** The install prefix (configure --prefix). */
  prefix: string;
  /** Holds librdkafka.so.1 and librdkafka++.so.1: put it on LD_LIBRARY_PATH, or -L/-rpath for C programs. */
  libDir: string;
  /** Holds librdkafka/rdkafka.h: -I for C programs. */
  includeDir: string;
}

const PACKAGE_DIR = path.join(__dirname, '..', '..', 'node_modules', '@confluentinc', 'kafka-javascript');
const BUILD_TIMEOUT_MS = 15 * 60_000;
/** A lock older than this whose owner is gone is taken over. */
const LOCK_POLL_MS = 500;

export function librdkafkaCacheRoot(): string {
  const base = process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache');
  return path.join(base, 'brook');
}

function describe(prefix: string): LibrdkafkaBuild {
  return { version: LIBRDKAFKA_VERSION, prefix, libDir: path.join(prefix, 'lib'), includeDir: path.join(prefix, 'include') };
}

const COMPLETE_MARK = '.brook-build-complete';

function isComplete(prefix: string): boolean {
  return fs.existsSync(path.join(prefix, COMPLETE_MARK)) && fs.existsSync(path.join(prefix, 'lib', 'librdkafka.so.1'));
}

function run(cmd: string, args: string[], cwd: string, log: fs.WriteStream): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    const timer = setTimeout(() => child.kill('SIGKILL'), BUILD_TIMEOUT_MS);
    child.stdout.pipe(log, { end: false });
    child.stderr.pipe(log, { end: false });
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      if (code === 0) resolve();
      else reject(new Error(`${cmd} ${args.join(' ')} exited ${code} in ${cwd}`));
    });
  });
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Takes the lock directory if it is free (or left behind by a dead process); false while another process holds it. */
function tryLock(lockDir: string): boolean {
  try {
    fs.mkdirSync(lockDir);
    fs.writeFileSync(path.join(lockDir, 'pid'), String(process.pid));
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    let owner = NaN;
    try {
      owner = Number(fs.readFileSync(path.join(lockDir, 'pid'), 'utf8'));
    } catch {
      // The owner has created the directory but not yet written its pid.
    }
    if (Number.isInteger(owner) && !pidAlive(owner)) {
      fs.rmSync(lockDir, { recursive: true, force: true });
      return tryLock(lockDir);
    }
    return false;
  }
}

/** mkdir is atomic: whoever creates the lock directory builds; others wait for it to go away. */
async function withLock<T>(lockDir: string, fn: () => Promise<T>): Promise<T> {
  await eventually(() => tryLock(lockDir), `the librdkafka build lock ${lockDir}`, { ms: BUILD_TIMEOUT_MS, intervalMs: LOCK_POLL_MS });
  try {
    return await fn();
  } finally {
    fs.rmSync(lockDir, { recursive: true, force: true });
  }
}

/** Copies librdkafka's source out of the npm package, leaving out anything its own in-tree build produced. */
function copySource(from: string, to: string): void {
  fs.cpSync(from, to, {
    recursive: true,
    filter: (src) => !/\.(o|d|a|so(\.\d+)?|lds|pc)$/.test(src) && !/(config\.(h|cache|log(\.old)?)|Makefile\.config)$/.test(src),
  });
}

let pending: Promise<LibrdkafkaBuild> | null = null;

/**
 * The install of librdkafka 2.15.1 in the cache, building it first if needed (about a minute on two cores).
 * Idempotent and safe to call from parallel processes; the source comes from the installed npm package
 * @confluentinc/kafka-javascript (deps/librdkafka), so nothing is downloaded.
 */
export function ensureLibrdkafka(): Promise<LibrdkafkaBuild> {
  pending ??= build().catch((e) => {
    pending = null;
    throw e;
  });
  return pending;
}

async function build(): Promise<LibrdkafkaBuild> {
  const root = librdkafkaCacheRoot();
  const prefix = path.join(root, `librdkafka-${LIBRDKAFKA_VERSION}`);
  if (isComplete(prefix)) return describe(prefix);
  const source = path.join(PACKAGE_DIR, 'deps', 'librdkafka');
  const pkg = JSON.parse(fs.readFileSync(path.join(PACKAGE_DIR, 'package.json'), 'utf8')) as { librdkafka?: string };
  if (pkg.librdkafka !== LIBRDKAFKA_VERSION) {
    throw new Error(`@confluentinc/kafka-javascript bundles librdkafka ${pkg.librdkafka}, expected ${LIBRDKAFKA_VERSION}`);
  }
  fs.mkdirSync(root, { recursive: true });
  return withLock(`${prefix}.lock`, async () => {
    if (isComplete(prefix)) return describe(prefix); // built by whoever held the lock before us
    const work = fs.mkdtempSync(path.join(root, `librdkafka-${LIBRDKAFKA_VERSION}-build-`));
    const logFile = path.join(root, `librdkafka-${LIBRDKAFKA_VERSION}-build.log`);
    const log = fs.createWriteStream(logFile);
    try {
      fs.rmSync(prefix, { recursive: true, force: true });
      const src = path.join(work, 'librdkafka');
      copySource(source, src);
      // GSSAPI (Cyrus SASL) and curl (OIDC) are not needed by the tests; all other features as Debian builds them.
      await run('./configure', [`--prefix=${prefix}`, '--disable-gssapi', '--disable-curl'], src, log);
      await run('make', [`-j${Math.min(2, os.availableParallelism())}`, 'libs'], src, log);
      await run('make', ['install-subdirs'], src, log); // plain 'install' also builds examples, which the npm package does not ship
      fs.writeFileSync(path.join(prefix, COMPLETE_MARK), `${LIBRDKAFKA_VERSION}\n`);
    } catch (e) {
      throw new Error(`building librdkafka ${LIBRDKAFKA_VERSION} failed (log: ${logFile}): ${(e as Error).message}`);
    } finally {
      await new Promise((r) => log.end(r));
      fs.rmSync(work, { recursive: true, force: true });
    }
    return describe(prefix);
  });
}

/** Environment for a child process (kcat, python3 confluent_kafka) that loads this librdkafka instead of Debian's. */
export function librdkafkaEnv(b: LibrdkafkaBuild, base: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const prev = base.LD_LIBRARY_PATH;
  return { ...base, LD_LIBRARY_PATH: prev ? `${b.libDir}:${prev}` : b.libDir };
}
