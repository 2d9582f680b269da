import { expect } from 'chai';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { createRequire } from 'node:module';

const ROOT = path.resolve(__dirname, '..', '..');
const load = createRequire(__filename);

describe('architecture: npm test and npm run test:long split the test files between them', () => {
  const longFiles = load(path.join(ROOT, 'test', 'longSuite.cjs')) as string[];
  const mainConfig = load(path.join(ROOT, '.mocharc.cjs')) as { spec: string[]; ignore: string[] };
  const longConfig = load(path.join(ROOT, 'test', 'long.mocharc.cjs')) as { spec: string[] };

  it('lists only test files that exist, each once', () => {
    expect(longFiles.length).to.be.greaterThan(0);
    expect(new Set(longFiles).size).to.equal(longFiles.length);
    for (const f of longFiles) {
      expect(f, f).to.match(/^test\/.+\.test\.ts$/);
      expect(fs.existsSync(path.join(ROOT, f)), `${f} exists`).to.equal(true);
    }
  });

  it('npm test leaves out exactly the long files and test:long runs exactly them', () => {
    expect(mainConfig.spec).to.deep.equal(['test/**/*.test.ts']);
    expect(mainConfig.ignore).to.deep.equal(longFiles);
    expect(longConfig.spec).to.deep.equal(longFiles);
  });

  it('.ci/run runs both suites', () => {
    const ci = fs.readFileSync(path.join(ROOT, '.ci', 'run'), 'utf8');
    expect(ci).to.match(/^npm test\b/m);
    expect(ci).to.match(/^npm run test:long\b/m);
  });
});
