/**
 * `npm run gen:protocol [specDir] [outDir]`: regenerates protocol/generated
 * from the Kafka JSON specs. BROOK_KAFKA_SPECS overrides the spec folder.
 * Without arguments it also regenerates protocol/generated/coordinator from
 * the coordinator record specs beside the message specs.
 */
import { resolve } from 'node:path';
import { generate, generateRecords } from './generate';

const repoRoot = resolve(__dirname, '..', '..');
const specDir = resolve(process.argv[2] ?? process.env.BROOK_KAFKA_SPECS ?? resolve(repoRoot, '..', 'shared', 'kafka-protocol', 'messages'));
const outDir = resolve(process.argv[3] ?? resolve(repoRoot, 'protocol', 'generated'));

const result = generate(specDir, outDir);
console.log(
  `generated ${result.files.length} files in ${outDir} from ${result.specs} specs: ` +
    `${result.apis} APIs with ${result.apiVersions} API versions (${result.specVersions} spec versions in all)`,
);

// Coordinator record codecs: only in the default run (explicit folders regenerate the messages alone).
if (process.argv[2] === undefined) {
  const recordSpecs = resolve(specDir, '..', 'coordinator');
  const recordOut = resolve(repoRoot, 'protocol', 'generated', 'coordinator');
  const records = generateRecords(recordSpecs, recordOut);
  console.log(`generated ${records.length} coordinator record codecs in ${recordOut} from ${recordSpecs}`);
}
