/**
 * The layering rule of the developers' guide, checked by `npm test`
 * (test/architecture/importCycles.test.ts): protocol -> storage -> src, one
 * way, and no import circles among src/, storage/ and protocol/, counting type-only imports too (a type import
 * couples two modules' meaning as much as a runtime one). The swc parser
 * reads TypeScript as written, so `import type` is an ordinary edge here.
 */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'Dependencies flow one way (protocol -> storage -> src); a circle means a leaf type or interface belongs elsewhere.',
      from: { path: '^(src|storage|protocol)/' },
      to: { circular: true },
    },
    {
      name: 'storage-knows-no-requests',
      severity: 'error',
      comment: 'storage/ holds logs only; it never reaches up into src/ (requests, coordinators, replication).',
      from: { path: '^storage/' },
      to: { path: '^src/' },
    },
    {
      name: 'protocol-is-the-bottom-layer',
      severity: 'error',
      comment: 'protocol/ (codecs, record batches, errors) depends on nothing of Brook above it.',
      from: { path: '^protocol/' },
      to: { path: '^(storage|src)/' },
    },
  ],
  options: {
    parser: 'swc',
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '(^|/)(node_modules|dist)/' },
    tsConfig: { fileName: 'tsconfig.json' },
  },
};
