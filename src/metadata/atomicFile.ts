import { promises as fs } from 'node:fs';
import * as path from 'node:path';

/**
 * Write temp + fsync + rename + fsync(dir): after a crash the file is either the old or the new content.
 * `mode` (e.g. 0o600 for files holding secrets) is set on the temp file before any byte is written, so the
 * content is never readable more widely, whatever the umask or a leftover temp file's mode.
 */
export async function writeFileAtomic(file: string, data: string | Buffer, mode?: number): Promise<void> {
  const tmp = `${file}.tmp-${process.pid}`;
  const fh = await fs.open(tmp, 'w', mode);
  try {
    if (mode !== undefined) await fh.chmod(mode);
    await fh.writeFile(data);
    await fh.sync();
  } finally {
    await fh.close();
  }
  await fs.rename(tmp, file);
  const dir = await fs.open(path.dirname(file), 'r');
  try {
    await dir.sync();
  } finally {
    await dir.close();
  }
}
