import { promises as fs } from 'node:fs';
import * as path from 'node:path';

export const LOCK_FILE = '.lock';

/** Directories locked by brokers of this process (a pid check cannot tell them apart). */
const heldHere = new Set<string>();

async function alive(pid: number): Promise<boolean> {
  try {
    process.kill(pid, 0);
  } catch (err) {
    // EPERM: the process exists but belongs to someone else.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
  // A broker killed with -9 stays a zombie until its parent reaps it, and signal 0 still reaches a zombie: a
  // supervisor restarting it at once would be refused. Linux says so in /proc (elsewhere: assume it runs).
  const stat = await fs.readFile(`/proc/${pid}/stat`, 'utf8').catch(() => null);
  if (stat === null) return true;
  const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
  return state !== 'Z' && state !== 'X';
}

/**
 * Claims a data dir for one broker, so two brokers never append to the same
 * logs. The lock file holds the owner's pid; a lock left by a process that
 * died (kill -9) is taken over.
 */
export async function lockDataDir(dataDir: string): Promise<() => Promise<void>> {
  const dir = path.resolve(dataDir);
  const file = path.join(dir, LOCK_FILE);
  if (heldHere.has(dir)) throw new Error(`data dir ${dir} is already used by a broker in this process`);
  for (let attempt = 0; ; attempt++) {
    try {
      await fs.writeFile(file, `${process.pid}\n`, { flag: 'wx' });
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST' || attempt > 0) throw err;
      const owner = Number((await fs.readFile(file, 'utf8').catch(() => '')).trim());
      if (Number.isInteger(owner) && owner > 0 && owner !== process.pid && (await alive(owner))) {
        throw new Error(`data dir ${dir} is locked by running process ${owner}`);
      }
      await fs.rm(file, { force: true });
    }
  }
  heldHere.add(dir);
  return async () => {
    heldHere.delete(dir);
    await fs.rm(file, { force: true });
  };
}
