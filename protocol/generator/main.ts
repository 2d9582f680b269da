/**
 * `npm run gen:protocol [specDir] [outDir]`: regenerates protocol/generated
 * from the Kafka JSON specs. BROOK_KAFKA_SPECS overrides the spec folder.
 */
import { resolve } from 'node:path';
import { generate } from './generate';

const repoRoot = resolve(__dirname, '..', '..');
const specDir = resolve(process.argv[2] ?? process.env.BROOK_KAFKA_SPECS ?? resolve(repoRoot, '..', 'shared', 'kafka-protocol', 'messages'));
const outDir = resolve(process.argv[3] ?? resolve(repoRoot, 'protocol', 'generated'));

const result = generate(specDir, outDir);
console.log(
  `generated ${result.files.length} files in ${outDir} from ${result.specs} specs: ` +
    `${result.apis} APIs with ${result.apiVersions} API versions (${result.specVersions} spec versions in all)`,
);
