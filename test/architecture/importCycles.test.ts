import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';

const ROOT = path.resolve(__dirname, '..', '..');
const CLI = path.join(ROOT, 'node_modules', 'dependency-cruiser', 'bin', 'dependency-cruise.mjs');

interface Violation {
  from: string;
  to: string;
  rule: { name: string };
  cycle?: Array<{ name: string }>;
}

interface CruiseResult {
  summary: { totalCruised: number; violations: Violation[] };
  modules: Array<{ source: string }>;
}

/**
 * The layering rule (protocol -> storage -> src, no import circles, type-only
 * imports counted) as dependency-cruiser checks it with .dependency-cruiser.cjs.
 */
describe('architecture: protocol -> storage -> src one way, no import circles', function () {
  this.timeout(180_000);

  it('dependency-cruiser finds no cycle, type-only imports included', () => {
    const run = spawnSync(process.execPath, [CLI, 'src', 'storage', 'protocol', '--config', '.dependency-cruiser.cjs', '--output-type', 'json'], {
      cwd: ROOT,
      encoding: 'utf8',
      maxBuffer: 256 * 1024 * 1024,
    });
    expect(run.error, 'dependency-cruiser did not run').to.equal(undefined);
    const result = JSON.parse(run.stdout) as CruiseResult;
    // A parser that cannot read TypeScript cruises nothing and finds nothing: make sure the code was read.
    const sources = new Set(result.modules.map((m) => m.source));
    expect(sources, 'the TypeScript sources were parsed').to.include.members(['src/broker.ts', 'storage/index.ts', 'protocol/errors.ts']);
    expect(result.summary.totalCruised).to.be.greaterThan(300);
    const cycles = result.summary.violations
      .filter((v) => v.rule.name === 'no-circular')
      .map((v) => [v.from, ...(v.cycle ?? []).map((c) => c.name)].join(' -> '));
    expect(cycles, `import circles:\n${cycles.join('\n')}`).to.deep.equal([]);
    const upward = result.summary.violations.filter((v) => v.rule.name !== 'no-circular').map((v) => `${v.rule.name}: ${v.from} -> ${v.to}`);
    expect(upward, `imports against the layering:\n${upward.join('\n')}`).to.deep.equal([]);
  });
});
