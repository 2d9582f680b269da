import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

/** Compiles a bench tool's C source with gcc when its binary is missing or older than the source. */
export function buildC(source: string, binary: string, libs: string[] = []): void {
  if (fs.existsSync(binary) && fs.statSync(binary).mtimeMs > fs.statSync(source).mtimeMs) return;
  fs.mkdirSync(path.dirname(binary), { recursive: true });
  execFileSync('gcc', ['-O2', '-o', binary, source, ...libs], { stdio: 'inherit' });
}
