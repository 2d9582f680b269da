/**
 * Generates every codec from a folder of Kafka JSON specs into an output
 * folder. Used by `main.ts` and by the test that checks the committed output.
 */
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadSpecs, type MessageSpec } from './spec';
import { emitMessage } from './emitMessage';
import { emitAllMessages, emitApis, emitHeaders, pairApis } from './emitIndex';

export interface GenerateResult {
  specs: number;
  apis: number;
  /** Sum over APIs of their version counts (request side). */
  apiVersions: number;
  /** Sum over every spec of its version counts. */
  specVersions: number;
  files: string[];
}

function versionCount(s: MessageSpec): number {
  return s.validVersions.high - s.validVersions.low + 1;
}

/** Relative path (under the output folder) to generated source. */
export function generateSources(specDir: string): Map<string, string> {
  const specs = loadSpecs(specDir);
  const files = new Map<string, string>();
  for (const spec of specs) files.set(`messages/${spec.name}.ts`, emitMessage(spec));
  const pairs = pairApis(specs);
  files.set('apis.ts', emitApis(pairs));
  files.set('headers.ts', emitHeaders());
  files.set('allMessages.ts', emitAllMessages(specs));
  return files;
}

export function generate(specDir: string, outDir: string): GenerateResult {
  const specs = loadSpecs(specDir);
  const sources = generateSources(specDir);
  // Start clean so a removed spec does not leave a stale module behind.
  rmSync(join(outDir, 'messages'), { recursive: true, force: true });
  mkdirSync(join(outDir, 'messages'), { recursive: true });
  for (const [rel, text] of sources) writeFileSync(join(outDir, rel), text);
  const pairs = pairApis(specs);
  return {
    specs: specs.length,
    apis: pairs.length,
    apiVersions: pairs.reduce((n, p) => n + versionCount(p.request), 0),
    specVersions: specs.reduce((n, s) => n + versionCount(s), 0),
    files: [...sources.keys()].sort(),
  };
}

/**
 * Codecs of the coordinator record specs (`coordinator-key`/`coordinator-value`,
 * Kafka's `__consumer_offsets` and `__transaction_state` layouts), one module
 * per spec directly in `outDir` (no API index: they are not requests).
 */
export function generateRecordSources(specDir: string): Map<string, string> {
  const files = new Map<string, string>();
  for (const spec of loadSpecs(specDir)) files.set(`${spec.name}.ts`, emitMessage(spec));
  return files;
}

export function generateRecords(specDir: string, outDir: string): string[] {
  const sources = generateRecordSources(specDir);
  rmSync(outDir, { recursive: true, force: true });
  mkdirSync(outDir, { recursive: true });
  for (const [rel, text] of sources) writeFileSync(join(outDir, rel), text);
  return [...sources.keys()].sort();
}

export function listGenerated(outDir: string): string[] {
  const top = readdirSync(outDir).filter((f) => f.endsWith('.ts'));
  const messages = readdirSync(join(outDir, 'messages')).map((f) => `messages/${f}`);
  return [...top, ...messages].sort();
}
