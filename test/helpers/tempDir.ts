import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';

export function tempDataDir(prefix = 'brook-test-'): string {
  return mkdtempSync(path.join(tmpdir(), prefix));
}
