import { expect } from 'chai';
import * as fs from 'node:fs';
import * as path from 'node:path';

const ROOT = path.resolve(__dirname, '..', '..');
const MAX_LINES = 500;
/** Hand-written source: the layers and the benchmarks. Generated codecs are exempt (the generator writes them). */
const DIRS = ['src', 'storage', 'protocol', 'bench'];
const GENERATED = path.join('protocol', 'generated');

function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const e of fs.readdirSync(path.join(ROOT, dir), { withFileTypes: true })) {
    const rel = path.join(dir, e.name);
    if (e.isDirectory()) {
      if (rel !== GENERATED && e.name !== 'node_modules' && e.name !== 'out') out.push(...sourceFiles(rel));
    } else if (/\.(ts|js|mjs|cjs)$/.test(e.name) && !e.name.endsWith('.d.ts')) {
      out.push(rel);
    }
  }
  return out;
}

function lineCount(file: string): number {
  const text = fs.readFileSync(path.join(ROOT, file), 'utf8');
  return text.length === 0 ? 0 : text.split('\n').length - (text.endsWith('\n') ? 1 : 0);
}

describe(`architecture: no hand-written source file over ${MAX_LINES} lines`, () => {
  it(`every .ts file under ${DIRS.join(', ')} (except ${GENERATED}) has at most ${MAX_LINES} lines`, () => {
    const files = DIRS.flatMap(sourceFiles);
    expect(files, 'the sources were found').to.include.members([path.join('src', 'groups', 'coordinator.ts'), path.join('storage', 'partitionLog.ts')]);
    const tooLong = files.map((f) => ({ f, n: lineCount(f) })).filter(({ n }) => n > MAX_LINES).map(({ f, n }) => `${f}: ${n} lines`);
    expect(tooLong, `split these by job:\n${tooLong.join('\n')}`).to.deep.equal([]);
  });
});
