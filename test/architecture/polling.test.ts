import { expect } from 'chai';
import * as fs from 'node:fs';
import * as path from 'node:path';

const ROOT = path.resolve(__dirname, '..', '..');
const TEST_DIR = path.join(ROOT, 'test');
const HELPER = path.join('test', 'helpers', 'eventually.ts');

/**
 * What a second polling helper or a fixed sleep looks like in a test file.
 * Deadline timers that reject or resolve a wait on an event (`setTimeout(() => reject(...), ms)`) are not matched.
 */
const RULES: Array<{ name: string; re: RegExp }> = [
  // new Promise((r) => setTimeout(r, ms)): a fixed sleep
  { name: 'sleep', re: /set(?:Timeout|Immediate)\(\s*(?:r|res|resolve|done)\s*[,)]/g },
  { name: 'sleep', re: /from\s+['"](?:node:)?timers\/promises['"]/g },
  // a loop of its own against a deadline
  { name: 'deadline loop', re: /(?:const|let)\s+deadline\s*=\s*(?:Date|performance)\.now\(\)|for\s*\(\s*const\s+deadline\b/g },
  // a helper named like one
  {
    name: 'polling helper',
    re: /(?:function\s+|(?:const|let)\s+|^\s*async\s+)(?:sleep|delay|waitFor|waitUntil|until|untilTrue|pollUntil|poll|retryUntil|eventually)\s*(?:=\s*(?:async\s*)?(?:\(|\w+\s*=>)|<[^>]*>\s*\(|\()/gm,
  },
];

/**
 * Cases that look like the rules but are not polling: each names the file, the rule and why.
 * Keep this list short; a new entry needs a reason a reviewer would accept.
 */
const ALLOWED: Array<{ file: string; rule: string; why: string }> = [
  { file: 'test/helpers/rawClient.ts', rule: 'sleep', why: 'nextFrame waits for the socket to deliver a frame (woken by the data event); the timer only bounds that wait' },
  { file: 'test/helpers/rawClient.ts', rule: 'deadline loop', why: 'the same event wait: the loop re-checks the frame queue each time the socket wakes it' },
  { file: 'test/groups/helpers.ts', rule: 'sleep', why: 'flush() lets resolved promise continuations run under the fake clock; it waits for no time and no condition' },
  { file: 'test/storage/inlineWrites.test.ts', rule: 'sleep', why: 'one event-loop turn to show pooled writes are still queued: the pool threads are parked on a FIFO, so they cannot finish whatever the wait' },
];

function testFiles(dir: string): string[] {
  const out: string[] = [];
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...testFiles(full));
    else if (e.name.endsWith('.ts')) out.push(full);
  }
  return out;
}

function lineOf(text: string, index: number): number {
  return text.slice(0, index).split('\n').length;
}

describe('architecture: tests poll only through test/helpers/eventually.ts and never sleep a fixed time', () => {
  const files = testFiles(TEST_DIR).map((f) => path.relative(ROOT, f));

  it('finds the test files and the one helper', () => {
    expect(files).to.include(HELPER);
    expect(files.length).to.be.greaterThan(100);
  });

  it('no second polling helper, deadline loop or fixed sleep outside the allow-list', () => {
    const found: string[] = [];
    for (const file of files) {
      if (file === HELPER || file.endsWith(path.join('architecture', 'polling.test.ts'))) continue;
      const text = fs.readFileSync(path.join(ROOT, file), 'utf8');
      for (const { name, re } of RULES) {
        for (const m of text.matchAll(re)) {
          if (ALLOWED.some((a) => a.file === file.split(path.sep).join('/') && a.rule === name)) continue;
          found.push(`${file}:${lineOf(text, m.index ?? 0)} ${name}: ${m[0].trim().slice(0, 80)}`);
        }
      }
    }
    expect(found, `use eventually() from ${HELPER} (wait on a marker record before "nothing more arrives"):\n${found.join('\n')}`).to.deep.equal([]);
  });

  it('the allow-list names only files that still need it', () => {
    const stale = ALLOWED.filter(({ file, rule }) => {
      const full = path.join(ROOT, file);
      if (!fs.existsSync(full)) return true;
      const text = fs.readFileSync(full, 'utf8');
      return !RULES.filter((r) => r.name === rule).some((r) => [...text.matchAll(r.re)].length > 0);
    });
    expect(stale.map((a) => `${a.file} (${a.rule})`)).to.deep.equal([]);
  });

  it('the rules catch what they are for', () => {
    const samples = [
      'await new Promise((r) => setTimeout(r, 300));',
      "import { setTimeout as sleep } from 'node:timers/promises';",
      'const deadline = Date.now() + 5000;',
      'async function waitFor(what: string, cond: () => boolean): Promise<void> {',
      'export async function until(what: string, check: () => boolean, ms = 30_000): Promise<void> {',
      'const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));',
      '  async waitFor(what: string, cond: () => boolean): Promise<void> {',
    ];
    for (const s of samples) expect(RULES.some(({ re }) => [...s.matchAll(re)].length > 0), s).to.equal(true);
    const fine = [
      "const timer = setTimeout(() => reject(new Error('late')), 5000);",
      'await eventually(() => done, "the thing");',
      "await page.getByTestId('status').waitFor();",
      '      eventually(async () => (await describe()) === 10n, "settled", CLUSTER_POLL),',
      'const t = setTimeout(wake, timeoutMs);',
    ];
    for (const s of fine) expect(RULES.some(({ re }) => [...s.matchAll(re)].length > 0), s).to.equal(false);
  });
});
